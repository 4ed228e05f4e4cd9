import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Plugins and builders import the framework by its package name, "digit-sdg"; in tests that must
    // be the source tree, not dist/, so that one copy of every class is loaded.
    // Anchored patterns, so that "digit-sdg" does not also capture its subpath "digit-sdg/engine".
    alias: [
      { find: /^digit-sdg\/engine$/, replacement: fileURLToPath(new URL("./src/engine/index.ts", import.meta.url)) },
      { find: /^digit-sdg\/tools$/, replacement: fileURLToPath(new URL("./src/tools/index.ts", import.meta.url)) },
      { find: /^digit-sdg$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["src/**/*.test.ts", "builders/**/*.test.ts", "plugins/**/*.test.ts", "test/**/*.test.ts"],
    // Each test gets its own response cache folder (test/support/cache-dir.ts).
    setupFiles: ["test/support/cache-dir.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
