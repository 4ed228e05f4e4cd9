/**
 * Child process of crash.test.ts: appends numbered rows to a store in a loop, writing the row
 * count to `<ack file>` after each append resolves, until it is killed. Acknowledgements go to a
 * file with a synchronous write: stdout to a pipe is asynchronous, so acknowledgements queued
 * there when the parent reads slowly would die with the process and look like unacknowledged rows.
 * Usage: tsx crash-child.ts <format> <output_dir> <ack file>
 */
import { openSync, writeSync } from "node:fs";
import { DefaultDatastore } from "../../src/stores/default/index.js";

const [format, dir, ackFile] = process.argv.slice(2) as [string, string, string];
const acks = openSync(ackFile, "w");
const store = new DefaultDatastore({
  type: "default",
  store_name: "crash/data",
  output_dir: dir,
  output_data_format: format,
});
store.prepare({
  logger: {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child() {
      return this;
    },
  },
});
let next = (await store.readAll()).length;
process.stdout.write(`ready ${next}\n`);
for (;;) {
  const size = 1 + (next % 7);
  const rows = [];
  for (let k = 0; k < size; k++, next++) {
    const text = `row ${next} ${'é\n,"x'.repeat(next % 50)}`;
    rows.push({ seq: next, text, tags: [String(next), "t"], check: text.length });
  }
  await store.append(rows);
  writeSync(acks, `${next}\n`);
}
