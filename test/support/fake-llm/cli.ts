/**
 * `npm run fake-llm -- --latency-ms 200 --port 8000 --cap 64 --script fake.yaml`: run the fake LLM
 * server in the foreground (Ctrl-C prints its counters and stops it).
 */
import { Command, InvalidArgumentError } from "commander";
import { loadScript } from "./script.js";
import { startFakeLLM, type FakeLLMOptions } from "./server.js";

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a non-negative number");
  return n;
};

const program = new Command("fake-llm")
  .description("a fake OpenAI / Anthropic / Ollama / watsonx server on 127.0.0.1 for dry runs")
  .option("--port <n>", "port (0 = any free port)", int, 8000)
  .option("--latency-ms <n>", "delay before each answer", int, 0)
  .option("--jitter-ms <n>", "extra random delay up to this", int, 0)
  .option("--cap <n>", "concurrent requests served; above it 429 with Retry-After (0 = no cap)", int, 0)
  .option("--retry-after-ms <n>", "wait the 429s ask for", int, 100)
  .option("--api-key <key>", "require this API key (others get 401)")
  .option("--failure-rate <p>", "probability of a random injected failure", Number, 0)
  .option("--failure-kinds <list>", "comma list of 500,503,429,hang,malformed,reset,short", "500")
  .option("--seed <n>", "seed of the random failures", int, 1)
  .option("--response <template>", "answer template (repeatable); {{n}} = answer number, {{prompt}} = prompt", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option("--script <file>", "YAML/JSON script with responses and rules (see test/support/fake-llm/script.ts)")
  .action(async (o: { port: number; latencyMs: number; jitterMs: number; cap: number; retryAfterMs: number; apiKey?: string; failureRate: number; failureKinds: string; seed: number; response: string[]; script?: string }) => {
    const scripted = o.script ? await loadScript(o.script) : {};
    const options: FakeLLMOptions = {
      port: o.port,
      latencyMs: o.latencyMs,
      jitterMs: o.jitterMs,
      cap: o.cap,
      retryAfterMs: o.retryAfterMs,
      apiKey: o.apiKey,
      failureRate: o.failureRate,
      randomKinds: o.failureKinds.split(",").map((k) => k.trim()) as FakeLLMOptions["randomKinds"],
      seed: o.seed,
      ...(o.response.length ? { responses: o.response } : {}),
      ...scripted,
    };
    const fake = await startFakeLLM(options);
    process.stdout.write(`fake LLM listening on ${fake.url}\n  OpenAI base_url: ${fake.openaiBaseURL}\n  Anthropic/Ollama base_url: ${fake.url}\n  watsonx base_url: ${fake.url} (IAM url: ${fake.url})\n`);
    const stop = async () => {
      const s = fake.stats();
      process.stdout.write(`\nrequests ${s.requests}, answered ${s.completed}, peak in-flight ${s.peakInFlight}, 429s ${s.rateLimited}, tokens ${s.promptTokens} in / ${s.completionTokens} out\n`);
      await fake.close();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
  });

await program.parseAsync(process.argv);
