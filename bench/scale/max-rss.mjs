// Preloaded (node --import) into a benchmarked child: on exit, writes its peak RSS in kilobytes
// and the CPU time it used in microseconds (user + system) to the file named by BENCH_RSS_FILE.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  const u = process.resourceUsage();
  if (process.env.BENCH_RSS_FILE)
    writeFileSync(
      process.env.BENCH_RSS_FILE,
      JSON.stringify({ maxRSS: u.maxRSS, cpu: u.userCPUTime + u.systemCPUTime }),
    );
});
