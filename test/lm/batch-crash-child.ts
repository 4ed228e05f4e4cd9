/**
 * A run that dies by SIGKILL around a batch's create call, for batch-crash.test.ts:
 * `node --import tsx batch-crash-child.ts <anthropic|openai> <base url> <after-create|before-create>`.
 * The kill is the test's hook: the provider's `submit` is wrapped so the process kills itself
 * right after the create call returned (the batch exists, its id is not journaled yet), or right
 * before it (the intent is journaled, no batch exists). The batch journal is `$DGT_BATCH_JOURNAL`.
 */
import { AnthropicBatchApi } from "../../src/blocks/lm/anthropic/batch-api.js";
import { AnthropicProvider } from "../../src/blocks/lm/anthropic/index.js";
import { OpenAIBatchApi } from "../../src/blocks/lm/openai/batch-api.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { crashBlockConfig, crashRows } from "./batch-crash-rows.js";

const [provider, baseUrl, mode] = process.argv.slice(2) as [string, string, string];
/** Kill this process around the create call of `submit`. */
function killAround<T>(submit: (this: T, ...args: never[]) => Promise<string>) {
  return async function (this: T, ...args: never[]): Promise<string> {
    if (mode === "before-create") process.kill(process.pid, "SIGKILL");
    const id = await submit.apply(this, args);
    process.kill(process.pid, "SIGKILL");
    return id;
  };
}
if (provider === "anthropic")
  AnthropicBatchApi.prototype.submit = killAround(AnthropicBatchApi.prototype.submit);
else OpenAIBatchApi.prototype.submit = killAround(OpenAIBatchApi.prototype.submit);
const Block = provider === "anthropic" ? AnthropicProvider : OpenAIProvider;
const block = new Block(crashBlockConfig(provider, baseUrl));
await block.call(crashRows(), { method: "chat_completion" });
throw new Error("the batch was submitted, but the process was not killed");
