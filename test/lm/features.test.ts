import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AnthropicProvider } from "../../src/blocks/lm/anthropic/index.js";
import { AzureOpenAIProvider } from "../../src/blocks/lm/azure-openai/index.js";
import { MockLM } from "../../src/blocks/lm/mock/index.js";
import { OllamaProvider, ollamaHost } from "../../src/blocks/lm/ollama/index.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { VLLMProvider } from "../../src/blocks/lm/vllm/index.js";
import { WatsonxProvider } from "../../src/blocks/lm/watsonx/index.js";
import { ConfigError } from "../../src/errors.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";
import { KEY, PROVIDERS } from "./providers.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: KEY });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.configure({ responses: ["Out {{n}}"], rules: [], respond: undefined, failures: [] });
});
afterEach(() => vi.unstubAllEnvs());

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "weather",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};

describe.each(PROVIDERS)("$type features", (p) => {
  it("returns a list of n outputs when n > 1", async () => {
    const b = p.make(fake, FAST, recordingContext());
    const rows = await b.call(
      [{ input: [{ role: "user", content: "hi" }], gen_kwargs: { n: 3 } }],
      { method: "chat_completion" },
    );
    const result = rows[0]!.result as { content: string }[];
    expect(result.map((r) => r.content).sort()).toEqual(["Out 1", "Out 2", "Out 3"]);
  });

  it("parses tool-call arguments into objects", async () => {
    fake.configure({
      rules: [
        {
          match: /weather/,
          response: {
            content: null,
            tool_calls: [{ name: "get_weather", arguments: { city: "Paris" } }],
          },
        },
      ],
    });
    const b = p.make(fake, FAST, recordingContext());
    const rows = await b.call(
      [
        {
          input: [{ role: "user", content: "what is the weather?" }],
          tools: [weatherTool],
          tool_choice: "auto",
        },
      ],
      { method: "chat_completion" },
    );
    const msg = rows[0]!.result as {
      role: string;
      tool_calls: { function: { name: string; arguments: unknown } }[];
    };
    expect(msg.role).toBe("assistant");
    expect(msg.tool_calls[0]!.function).toEqual({
      name: "get_weather",
      arguments: { city: "Paris" },
    });
  });

  it("records prompts and completions in spans only when DGT_TELEMETRY_RECORD_PAYLOADS is set, truncated", async () => {
    const ctx = recordingContext();
    const b = p.make(fake, FAST, ctx);
    await b.call([{ input: [{ role: "user", content: "plain" }] }], { method: "chat_completion" });
    vi.stubEnv("DGT_TELEMETRY_RECORD_PAYLOADS", "true");
    vi.stubEnv("DGT_TELEMETRY_PAYLOAD_MAX_CHARS", "20");
    await b.call([{ input: [{ role: "user", content: "a long prompt that will be cut" }] }], {
      method: "chat_completion",
    });
    const [first, second] = ctx.telemetry.spans.filter((s) => s.name === "dgt.llm_call");
    expect(first!.attributes.messages).toBeUndefined();
    expect(String(second!.attributes.messages)).toHaveLength(20);
    expect(second!.attributes).toMatchObject({ payload_truncated: true });
    expect(second!.attributes.completion).toBeDefined();
    expect(ctx.telemetry.dump()).not.toContain(KEY);
  });
});

describe("construction errors (before the run starts)", () => {
  it.each([
    [
      "openai",
      "OPENAI_API_KEY",
      () => new OpenAIProvider({ name: "g", type: "openai", model_id_or_path: "m" }),
    ],
    [
      "azure-openai",
      "AZURE_OPENAI_API_KEY",
      () =>
        new AzureOpenAIProvider({
          name: "g",
          type: "azure-openai",
          model_id_or_path: "m",
          base_url: "http://x",
        }),
    ],
    [
      "anthropic",
      "ANTHROPIC_API_KEY",
      () =>
        new AnthropicProvider({
          name: "g",
          type: "anthropic",
          model_id_or_path: "m",
          max_tokens: 5,
        }),
    ],
    [
      "watsonx",
      "WATSONX_API_KEY",
      () =>
        new WatsonxProvider({ name: "g", type: "watsonx", model_id_or_path: "m", project_id: "p" }),
    ],
  ])("%s without a key names the block and %s", (_type, envVar, make) => {
    for (const v of [
      "OPENAI_API_KEY",
      "AZURE_OPENAI_API_KEY",
      "ANTHROPIC_API_KEY",
      "WATSONX_API_KEY",
      "WATSONX_API_TOKEN",
    ])
      vi.stubEnv(v, "");
    const err = (() => {
      try {
        make();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("block 'g'");
    expect((err as Error).message).toContain(envVar);
  });

  it("takes the key from the environment", () => {
    vi.stubEnv("OPENAI_API_KEY", "from-env");
    expect(
      () => new OpenAIProvider({ name: "g", type: "openai", model_id_or_path: "m" }),
    ).not.toThrow();
  });

  it("requires a watsonx project, Anthropic max_tokens and a vLLM base_url", () => {
    vi.stubEnv("WATSONX_PROJECT_ID", "");
    expect(
      () =>
        new WatsonxProvider({ name: "g", type: "watsonx", model_id_or_path: "m", api_key: "k" }),
    ).toThrow(/WATSONX_PROJECT_ID/);
    expect(
      () =>
        new AnthropicProvider({
          name: "g",
          type: "anthropic",
          model_id_or_path: "m",
          api_key: "k",
        }),
    ).toThrow(/max_tokens is required/);
    expect(
      () => new VLLMProvider({ name: "g", type: "vllm-server", model_id_or_path: "m" }),
    ).toThrow(/base_url is required/);
  });

  it("finds the Ollama host in config, then OLLAMA_HOST, then the default", () => {
    expect(ollamaHost("http://h:1/", undefined)).toBe("http://h:1");
    expect(ollamaHost(undefined, "0.0.0.0:11434")).toBe("http://0.0.0.0:11434");
    expect(ollamaHost(undefined, undefined)).toBe("http://127.0.0.1:11434");
    vi.stubEnv("OLLAMA_HOST", fake.url);
    const b = new OllamaProvider({
      name: "g",
      type: "ollama",
      model_id_or_path: "m",
      api_key: KEY,
    });
    return b.call([{ input: "x" }]).then((rows) => expect(rows[0]!.result).toBe("Out 1"));
  });

  it("rejects an unknown method for the whole call", async () => {
    const b = new MockLM({ name: "m", type: "mock" });
    await expect(b.call([{ input: "x" }], { method: "generate" })).rejects.toThrow(
      /unknown method 'generate'/,
    );
  });
});

describe("mock provider", () => {
  it("is deterministic and templated on the request number, input and row fields", async () => {
    const make = () =>
      new MockLM({
        name: "m",
        type: "mock",
        responses: ["{{n}}:{{input}}:{{task_name}}", "second {{n}}"],
      });
    const rows = () => [
      { input: "p1", task_name: "t" },
      { input: [{ role: "user", content: "p2" }], task_name: "t" },
    ];
    const a = await make().call(rows().slice(0, 1));
    expect(a[0]!.result).toBe("1:p1:t");
    const c = await make().call(rows().slice(1), { method: "chat_completion" });
    expect(c[0]!.result).toEqual({ role: "assistant", content: "1:p2:t" });
    const many = await make().call(Array.from({ length: 4 }, (_, i) => ({ input: `q${i}` })));
    expect(many.map((r) => r.result)).toEqual([
      "1:q0:{{task_name}}",
      "second 2",
      "3:q2:{{task_name}}",
      "second 4",
    ]);
    expect(many[0]!.addtl).toMatchObject({ prompt_tokens: 1 });
  });

  it("answers a prompt from the entries whose match finds it, whatever the order of requests", async () => {
    const make = () =>
      new MockLM({
        name: "m",
        type: "mock",
        responses: [
          "plain {{n}}",
          { match: "^Q:", response: "question A" },
          { match: "^Q:", response: "question B" },
          { match: "^Rate", response: "Rating: 1" },
        ],
      });
    const forward = await make().call([
      { input: "Q: one" },
      { input: "Rate this" },
      { input: "other" },
      { input: "Q: two" },
    ]);
    expect(forward.map((r) => r.result)).toEqual([
      "question A",
      "Rating: 1",
      "plain 3",
      "question B",
    ]);
    // The same prompts in another order get answers of the same kinds.
    const reversed = await make().call([
      { input: "Q: two" },
      { input: "other" },
      { input: "Rate this" },
      { input: "Q: one" },
    ]);
    expect(reversed.map((r) => String(r.result).split(" ")[0])).toEqual([
      "question",
      "plain",
      "Rating:",
      "question",
    ]);
  });

  it("answers a request carrying a draw key by key and prompt, whatever the order requests arrive in", async () => {
    const make = () =>
      new MockLM({ name: "m", type: "mock", jitter_ms: 10, responses: ["A {{n}}", "B {{n}}"] });
    const rows = Array.from({ length: 8 }, (_, i) => ({
      input: `q${i % 3}`,
      draw_key: `t:0:${i}`,
    }));
    const forward = await make().call(rows);
    const reversed = await make().call([...rows].reverse());
    expect(reversed.map((r) => r.result).reverse()).toEqual(forward.map((r) => r.result));
    // Distinct keys get distinct numbers; both templates are used.
    expect(new Set(forward.map((r) => r.result)).size).toBe(8);
    expect(new Set(forward.map((r) => String(r.result)[0]))).toEqual(new Set(["A", "B"]));
  });

  it("refuses a match that is not a regular expression", () => {
    expect(
      () => new MockLM({ name: "m", type: "mock", responses: [{ match: "(", response: "x" }] }),
    ).toThrow(/regular expression/);
  });
});
