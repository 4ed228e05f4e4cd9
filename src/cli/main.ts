#!/usr/bin/env node
import module from "node:module";
import { capYoungGeneration, limitHeapGrowth } from "./gc-tuning.js";

// Node's on-disk compile cache (Node >= 22.1) makes every later start of the CLI skip compiling
// its modules again; it must be on before they load, hence the dynamic import below.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; NODE_COMPILE_CACHE=<dir> moves it.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// Resident memory of long runs: see gc-tuning.ts.
limitHeapGrowth();
capYoungGeneration();

await import("./run-main.js");
