import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { filesBelow } from "../../src/util/files-below.js";
import { cliEnv, digit, MAIN, parseJsonl, ROOT, TSX, tempDir } from "./helpers.js";

/** A `digit fake-llm` child process and what it printed so far. */
interface FakeServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

const started: FakeServerProcess[] = [];
afterEach(() => {
  for (const s of started.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGTERM"); // tsx passes it on to the server process
});

/** Start `digit fake-llm <args>` as a real child process; resolves once it prints its URL. */
function startFakeServer(args: readonly string[]): Promise<FakeServerProcess> {
  const child = spawn(TSX, [MAIN, "fake-llm", ...args], { cwd: ROOT, env: cliEnv() });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (!m) return;
      child.stdout.off("data", onData);
      const server = { child, url: m[1]!, output: () => out, exited };
      started.push(server);
      resolve(server);
    };
    child.stdout.on("data", onData);
    void exited.then((code) =>
      reject(new Error(`digit fake-llm exited (${code}) before listening:\n${out}`)),
    );
  });
}

/** Every bundled example task: its file and its task_name. */
function bundledTasks(): { file: string; name: string }[] {
  return filesBelow(join(ROOT, "tasks"), (name) => name === "task.yaml").map((file) => ({
    file,
    name: String((parse(readFileSync(file, "utf8")) as { task_name: string }).task_name),
  }));
}

describe("digit fake-llm", () => {
  it("serves the batch APIs with --batch-delay-ms and --batch-fail-every", async () => {
    const fake = await startFakeServer([
      "--port",
      "0",
      "--batch-delay-ms",
      "400",
      "--batch-fail-every",
      "2",
    ]);
    const client = new OpenAI({ apiKey: "k", baseURL: `${fake.url}/v1` });
    const lines = [0, 1].map((i) =>
      JSON.stringify({
        custom_id: `r${i}`,
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "m", messages: [{ role: "user", content: `q${i}` }] },
      }),
    );
    const file = await client.files.create({
      file: await toFile(Buffer.from(lines.join("\n")), "in.jsonl"),
      purpose: "batch",
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(batch.status).toBe("in_progress");
    await new Promise((r) => setTimeout(r, 500));
    expect((await client.batches.retrieve(batch.id)).request_counts).toEqual({
      total: 2,
      completed: 1,
      failed: 1,
    });
  });

  it("with its default answers, every bundled example completes with records (configs/fake-llm/public.yaml)", async () => {
    const fake = await startFakeServer(["--port", "0"]);
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.output()).toContain(`${fake.url}/v1`);
    const dir = tempDir("digit-fake-llm-");
    // The shipped override file, pointed at this server's port instead of the default 8000.
    const config = join(dir, "fake.yaml");
    writeFileSync(
      config,
      readFileSync(join(ROOT, "configs/fake-llm/public.yaml"), "utf8").replaceAll(
        "http://127.0.0.1:8000",
        fake.url,
      ),
    );
    const out = join(dir, "out");
    const r = await digit([
      "run",
      "tasks/",
      "--include-namespaces",
      "public",
      "--config-path",
      config,
      "--output-dir",
      out,
      "--num-outputs-to-generate",
      "3",
      "--quiet",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const summary = JSON.parse(readFileSync(join(out, "run_summary.json"), "utf8")) as {
      tasks: { task: string; status: string; records: number }[];
    };
    const tasks = bundledTasks();
    expect(tasks.length).toBeGreaterThanOrEqual(10);
    for (const { file, name } of tasks) {
      const s = summary.tasks.find((t) => t.task === name);
      expect(s?.status, `${file}: ${JSON.stringify(s)}`).toBe("completed");
      const records = parseJsonl(readFileSync(join(out, name, "final_data.jsonl"), "utf8")).filter(
        (row) => row.is_seed !== true,
      );
      expect(records.length, name).toBeGreaterThanOrEqual(3);
      expect(records.length, name).toBe(s!.records);
    }

    fake.child.kill("SIGTERM");
    expect(await fake.exited).toBe(0);
    const requests = Number(
      /SIGTERM: stopping; (\d+) requests, (\d+) answered/.exec(fake.output())?.[1],
    );
    expect(requests).toBeGreaterThan(0);
  });

  it("answers --response templates on every protocol and stops cleanly on SIGINT", async () => {
    const fake = await startFakeServer(["--port", "0", "--response", "Reply {{n}} to: {{prompt}}"]);
    const post = async (path: string, body: unknown) =>
      (
        await fetch(`${fake.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        })
      ).json() as Promise<Record<string, unknown>>;
    const chat = await post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hello, there" }],
    });
    expect((chat.choices as { message: { content: string } }[])[0]!.message.content).toBe(
      "Reply 1 to: hello, there",
    );
    const ollama = await post("/api/generate", { model: "m", prompt: "hi" });
    expect(ollama.response).toBe("Reply 2 to: hi");
    const anthropic = await post("/v1/messages", {
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "yo" }],
    });
    expect((anthropic.content as { text: string }[])[0]!.text).toBe("Reply 3 to: yo");
    fake.child.kill("SIGINT");
    expect(await fake.exited).toBe(0);
    expect(fake.output()).toMatch(/SIGINT: stopping; 3 requests, 3 answered/);
  });

  it("refuses a script with an invalid rule, naming the file and line, before listening", async () => {
    const dir = tempDir("digit-fake-llm-script-");
    const script = join(dir, "fake.yaml");
    writeFileSync(script, 'responses: ["ok"]\nrules:\n  - match: "(unclosed"\n    response: "x"\n');
    const r = await digit(["fake-llm", "--port", "0", "--script", script]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not a valid regular expression");
    expect(r.stderr).toContain(`${script}:3`);
    expect(r.stderr).toContain("DIGIT_CONFIG_INVALID");
    expect(r.stdout).not.toContain("listening");
  });

  it("serves the script example of docs/fake-llm.md: rules first, then responses in turn", async () => {
    const doc = readFileSync(join(ROOT, "docs/fake-llm.md"), "utf8");
    const example = /```yaml\n(# fake\.yaml — npx digit fake-llm --script[\s\S]*?)```/.exec(
      doc,
    )?.[1];
    expect(example).toBeDefined();
    const dir = tempDir("digit-fake-llm-doc-");
    const script = join(dir, "fake.yaml");
    writeFileSync(script, example!);
    const fake = await startFakeServer(["--port", "0", "--script", script, "--latency-ms", "0"]);
    const weatherTool = {
      type: "function",
      function: { name: "get_weather", parameters: { type: "object", properties: {} } },
    };
    const ask = async (content: string, offerTools = false) => {
      const res = await fetch(`${fake.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content }],
          ...(offerTools ? { tools: [weatherTool] } : {}),
        }),
      });
      return (
        (await res.json()) as {
          choices: {
            message: { content: string | null; tool_calls?: { function: { name: string } }[] };
          }[];
        }
      ).choices[0]!.message;
    };
    expect((await ask("Please rate the answer below")).content).toBe("Looks right.\nRating: 3");
    const weather = await ask("What is the weather?", true);
    expect(weather.tool_calls?.[0]?.function.name).toBe("get_weather");
    // The weather rule answers only requests that offer tools; this one falls through to responses.
    expect((await ask("What is the weather?")).content).toMatch(/^Answer 3 about the( [a-z]+)+$/);
    expect((await ask("Something else")).content).toMatch(/^Answer 4 about the( [a-z]+){6}$/);
    fake.child.kill("SIGTERM");
    expect(await fake.exited).toBe(0);
  });

  it("reports a port in use as a usage error with a fix", async () => {
    const fake = await startFakeServer(["--port", "0"]);
    const port = new URL(fake.url).port;
    const r = await digit(["fake-llm", "--port", port]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    expect(r.stderr).toContain("fix: pass another --port");
    fake.child.kill("SIGTERM");
    expect(await fake.exited).toBe(0);
  });
});
