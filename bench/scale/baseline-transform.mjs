// The pipeline benchmark's baseline: the least work any tool must do for the same job, in a
// Node process of its own: stream the input JSONL, parse each line, copy the field, stringify and
// write it. Usage: node baseline-transform.mjs <in.jsonl> <out.jsonl>
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";

const [input, output] = process.argv.slice(2);
const out = createWriteStream(output);
let buf = "";
for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
  if (!line) continue;
  const r = JSON.parse(line);
  r.prompt = r.question;
  buf += `${JSON.stringify(r)}\n`;
  if (buf.length > 1 << 20) {
    if (!out.write(buf)) await new Promise((resolve) => out.once("drain", resolve));
    buf = "";
  }
}
out.end(buf);
await new Promise((resolve) => out.on("finish", resolve));
