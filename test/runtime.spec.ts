/**
 * How `pulumi preview`/`up` compile the program: the npm SDK's `cmd/run` (3.248) registers ts-node
 * with `transpileOnly` taken from PULUMI_NODEJS_TRANSPILE_ONLY when set, else from `noCheck` of the
 * runtime's tsconfig, else left undefined for ts-node to decide — and ts-node then takes the
 * `"ts-node"` section of tsconfig.json (`swc`: transpile only, with @swc/core). These tests build a
 * ts-node service the way `cmd/run` does (node_modules/@pulumi/pulumi/cmd/run/run.js) and check
 * what it decides; the real engine runs it in test/e2e/runtime.e2e.ts.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as tsnode from "ts-node";

const REPO_ROOT = path.resolve(__dirname, "..");

/** The options `cmd/run` passes to ts-node for a project in REPO_ROOT, for a given environment. */
function sdkTsNodeOptions(env: Record<string, string | undefined>): tsnode.CreateOptions {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tsutils = require("@pulumi/pulumi/tsutils") as {
        loadTypeScriptCompilerOptions(p: string): Record<string, unknown>;
    };
    const tsconfig = path.join(REPO_ROOT, env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json");
    const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsconfig);
    const fromEnv = env.PULUMI_NODEJS_TRANSPILE_ONLY;
    const transpileOnly = fromEnv ? fromEnv === "true" : (compilerOptions.noCheck as boolean | undefined);
    return {
        compiler: "typescript",
        transpileOnly,
        project: tsconfig,
        skipProject: false,
        compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", ...compilerOptions },
    };
}

describe("the program's runtime compilation (ts-node under `pulumi preview`/`up`)", () => {
    it("only transpiles, with swc: a type error does not stop the program", () => {
        const service = tsnode.create(sdkTsNodeOptions({}));
        assert.equal(service.options.transpileOnly, undefined, "left to ts-node, which takes tsconfig.json's section");
        assert.equal(service.options.swc, true);
        const js = service.compile(
            'const n: number = "not a number";\nexport { n };\n',
            path.join(REPO_ROOT, "typeError.ts"),
        );
        assert.match(js, /const n = "not a number"/);
        assert.match(
            js,
            /Object\.defineProperty\(exports, "n", \{\s*enumerable: true,\s*get: function\(\)/,
            "swc's export form (TypeScript's: `exports.n = n`)",
        );
    });

    it("says plainly that deploy-time type-checking is off when PULUMI_NODEJS_TRANSPILE_ONLY=false asks for it", () => {
        assert.throws(
            () => tsnode.create(sdkTsNodeOptions({ PULUMI_NODEJS_TRANSPILE_ONLY: "false" })),
            /Cannot enable 'swc' option with 'transpileOnly: false'/,
        );
        assert.equal(tsnode.create(sdkTsNodeOptions({ PULUMI_NODEJS_TRANSPILE_ONLY: "true" })).options.swc, true);
    });

    it("keeps the strict check for `npm run typecheck` (tsc reads compilerOptions only)", () => {
        const opts = sdkTsNodeOptions({}).compilerOptions as Record<string, unknown>;
        assert.equal(opts.noCheck, undefined, "noCheck in tsconfig.json would also silence tsc and editors");
        assert.equal(opts.strict, true);
        assert.equal(
            opts.isolatedModules,
            true,
            "per-file transpiling needs the checker to refuse what it cannot compile",
        );
    });
});
