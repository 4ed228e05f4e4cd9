/**
 * Child process of crash.test.ts: appends numbered rows to a store in a loop, printing
 * `acked <rows>` after each append resolves, until it is killed.
 * Usage: tsx crash-child.ts <format> <output_dir>
 */
import { DefaultDatastore } from "../../src/stores/default/index.js";

const [format, dir] = process.argv.slice(2) as [string, string];
const store = new DefaultDatastore({ type: "default", store_name: "crash/data", output_dir: dir, output_data_format: format });
store.prepare({ logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } });
let next = (await store.readAll()).length;
process.stdout.write(`ready ${next}\n`);
for (;;) {
  const size = 1 + (next % 7);
  const rows = [];
  for (let k = 0; k < size; k++, next++) {
    const text = `row ${next} ` + "é\n,\"x".repeat(next % 50);
    rows.push({ seq: next, text, tags: [String(next), "t"], check: text.length });
  }
  await store.append(rows);
  process.stdout.write(`acked ${next}\n`);
}
