import { UsageError } from "../../errors.js";
import {
  DEFAULT_SCRIPT,
  type FakeFailureKind,
  type FakeLLM,
  type FakeLLMOptions,
  loadScript,
  startFakeLLM,
} from "../../fake-llm/index.js";
import { num, str } from "../option-spec.js";

export { FAKE_LLM_OPTIONS } from "./fake-llm-options.js";

/** The port `digit fake-llm` listens on without `--port`. */
export const DEFAULT_PORT = 8000;

/**
 * `digit fake-llm`: run the fake LLM server on 127.0.0.1 in the foreground, print its URLs, and on
 * SIGINT or SIGTERM print its counters and stop (exit code 0). Without `--response` or
 * `--script` it answers every bundled example's prompts in the format the example parses.
 *
 * @example
 * process.exitCode = await fakeLLMCommand({ port: 8000, latencyMs: 200 });
 */
export async function fakeLLMCommand(opts: Record<string, unknown>): Promise<number> {
  const script = str(opts.script);
  const responses = Array.isArray(opts.response) ? (opts.response as string[]) : [];
  if (script && responses.length)
    throw new UsageError("--response and --script both set the answers; give one of them", {
      hint: "put the templates under 'responses:' in the script file",
    });
  // Built-in answers, then the script file, then the flags given.
  const options: FakeLLMOptions = {
    ...(script ? await loadScript(script) : responses.length ? { responses } : DEFAULT_SCRIPT),
  };
  const flags: Partial<FakeLLMOptions> = {
    latencyMs: num(opts.latencyMs),
    jitterMs: num(opts.jitterMs),
    cap: num(opts.cap),
    retryAfterMs: num(opts.retryAfterMs),
    apiKey: str(opts.apiKey),
    failureRate: num(opts.failureRate),
    randomKinds: Array.isArray(opts.failureKinds)
      ? (opts.failureKinds as FakeFailureKind[])
      : undefined,
    seed: num(opts.seed),
  };
  for (const [key, value] of Object.entries(flags))
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  const batchDelay = num(opts.batchDelayMs);
  const failEvery = num(opts.batchFailEvery);
  if (batchDelay !== undefined || failEvery !== undefined) {
    options.batch = {
      ...options.batch,
      ...(batchDelay !== undefined ? { completionDelayMs: batchDelay } : {}),
      ...(failEvery !== undefined ? { failEvery } : {}),
    };
  }
  const port = num(opts.port) ?? DEFAULT_PORT;

  let fake: FakeLLM;
  try {
    fake = await startFakeLLM({ ...options, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new UsageError(
        `cannot listen on 127.0.0.1:${port}: ${code === "EADDRINUSE" ? "the port is in use" : "permission denied"}`,
        { hint: "pass another --port, or --port 0 for any free port" },
      );
    }
    throw e;
  }
  const answers = script
    ? `scripted by ${script}`
    : responses.length
      ? `${responses.length} --response template(s)`
      : "built-in answers for the bundled examples";
  process.stdout.write(
    `fake LLM server listening on ${fake.url} (${answers})\n` +
      `  openai, azure-openai, vllm-server base_url: ${fake.openaiBaseURL}\n` +
      `  anthropic, ollama base_url:                 ${fake.url}\n` +
      `  watsonx url (and IAM token url):            ${fake.url}\n` +
      "stop with Ctrl-C (SIGINT) or SIGTERM\n",
  );
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      const s = fake.stats();
      const failures = Object.values(s.failuresInjected).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `${signal}: stopping; ${s.requests} requests, ${s.completed} answered, peak in flight ${s.peakInFlight}, ${s.rateLimited} capped (429), ${failures} failures injected, ${s.unauthorized} unauthorized, tokens ${s.promptTokens} in / ${s.completionTokens} out\n`,
      );
      void fake.close().then(() => resolve(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
