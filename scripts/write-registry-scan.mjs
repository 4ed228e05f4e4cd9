// Run by `npm run build` after tsc: record what the registry scan finds in dist/ (see
// src/registry/scan-cache.ts), so runs start without reading every compiled file.
import { SCAN_CACHE_FILE, writeScanCache } from "../dist/src/registry/scan-cache.js";

const n = await writeScanCache();
if (process.env.npm_config_loglevel !== "silent")
  console.log(`registry scan cache: ${n} files -> ${SCAN_CACHE_FILE}`);
