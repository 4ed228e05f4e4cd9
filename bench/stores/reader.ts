/**
 * Child process of the stores benchmark: stream every row of a store and print
 * `{"rows", "ms", "cpuMs", "maxRssMb"}` (`cpuMs`: CPU time of the reading, user + system). With
 * format "none" it only loads the module (the RSS baseline).
 */
import { DefaultDatastore } from "../../src/stores/default/index.js";

const [format, dir] = process.argv.slice(2) as [string, string];
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let rows = 0;
if (format !== "none") {
  const store = new DefaultDatastore({
    type: "default",
    store_name: "bench",
    output_dir: dir,
    output_data_format: format,
  });
  for await (const row of store.read()) if (row.n !== undefined) rows++;
}
const ms = performance.now() - t0;
const used = process.cpuUsage(cpu0);
const cpuMs = (used.user + used.system) / 1000;
process.stdout.write(
  `${JSON.stringify({ rows, ms, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
