import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const compiled = here.includes(`${sep}dist${sep}src${sep}`);

/** The folder holding digit's package.json, builders/, plugins/, tasks/ and data/. */
export const PACKAGE_ROOT = resolve(dirname(here), compiled ? "../../.." : "../..");

/** Where the code that runs lives: the package root from source, dist/ when compiled. */
export const CODE_ROOT = compiled ? join(PACKAGE_ROOT, "dist") : PACKAGE_ROOT;

/** The file ending of digit's own running code: ".ts" under tsx/vitest, ".js" when compiled. */
export const CODE_EXT = extname(here);
