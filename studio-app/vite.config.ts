import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The studio's front end, built into dist/studio/ by `npm run build` and served by `digit studio`.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/studio", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
  },
});
