// Preloaded (node --import) into a child process under test: on exit, writes the process's peak
// resident set size in kilobytes to the file named by DIGIT_TEST_RSS_FILE.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  const file = process.env.DIGIT_TEST_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
