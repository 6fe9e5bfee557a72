/**
 * Where this package's own files are: the repository, or `node_modules/@backline/pulumi` once
 * installed. Sources run from their folder (ts-node); the build compiles them into
 * `dist/` with the same layout one level deeper (tsconfig.build.json, `rootDir: "."`), so files
 * shipped next to the sources — `janitor/janitor.sh`, `Pulumi.yaml`, `policy/` — are found the
 * same way from both.
 */
import * as path from "path";

/** Whether this module runs compiled (from `dist/`) rather than as TypeScript source. */
export const compiled = path.extname(__filename) === ".js";

/** The package's root folder (the one holding its `package.json`). */
export const packageRoot = path.resolve(__dirname, compiled ? "../.." : "..");

/** The folder of the code that runs: `packageRoot`, or `<packageRoot>/dist` when compiled. */
export const codeRoot = compiled ? path.join(packageRoot, "dist") : packageRoot;
