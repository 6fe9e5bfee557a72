/**
 * Where this package's own files are: the repository, or `node_modules/@backline/pulumi` once
 * installed. Sources run from their folder (ts-node); the build compiles them into
 * `dist/` with the same layout one level deeper (tsconfig.build.json, `rootDir: "."`), so files
 * shipped next to the sources — `janitor/janitor.sh`, `Pulumi.yaml`, `policy/` — are found the
 * same way from both. The component provider's launcher runs a compiled copy from
 * `provider/bin/<hash>/` (provider/pulumi-resource-backline), deeper still: the root is the nearest
 * folder up that holds a `package.json`.
 */
import * as fs from "fs";
import * as path from "path";

/** Whether this module runs compiled (from `dist/`) rather than as TypeScript source. */
export const compiled = path.extname(__filename) === ".js";

/** The package's root folder (the one holding its `package.json`). */
export const packageRoot = nearestPackageRoot() ?? path.resolve(__dirname, compiled ? "../.." : "..");

function nearestPackageRoot(): string | undefined {
    for (let dir = path.dirname(__dirname); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    }
    return undefined;
}

/** The folder of the code that runs: `packageRoot`, or `<packageRoot>/dist` when compiled. */
export const codeRoot = compiled ? path.join(packageRoot, "dist") : packageRoot;
