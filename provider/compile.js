// Compiles the component provider (provider/*.ts) and the components it serves (components/**/*.ts)
// to JavaScript, each file on its own with the repository's compiler options (tsconfig.json), as
// policy/compile.js compiles the policy pack: no type-check (`npm run typecheck` does that;
// `isolatedModules` makes per-file transpiling compile whatever passes it). provider/pulumi-resource-backline
// runs this when its compiled copy is missing; the engine then starts plain JavaScript rather than
// ts-node on every `preview` and `up` of a program that uses the package.
//
//   node provider/compile.js <out-dir>   writes <out-dir>/provider/… and <out-dir>/components/… whole
//                                        or not at all, then removes the other compiled copies beside it
//
// Also a module: `compileProvider(root)` returns the compiled files, which test/provider.spec.ts
// compares with what the launcher runs.
"use strict";
const path = require("path");
const { compileFiles, writeCompiled } = require("../policy/compile.js");

/** Every compiled file the provider runs: path relative to the output folder → JavaScript. */
function compileProvider(root) {
    return compileFiles(path.join(root, "tsconfig.json"), root, (rel) => /^(provider|components)\//.test(rel));
}

module.exports = { compileProvider };

if (require.main === module) {
    const outDir = process.argv[2];
    if (!outDir) {
        console.error("usage: node provider/compile.js <out-dir>");
        process.exit(2);
    }
    const root = path.resolve(__dirname, "..");
    try {
        writeCompiled(compileProvider(root), path.resolve(outDir));
    } catch (err) {
        console.error(`error: compiling the Backline provider in ${root} failed: ${err.message}`);
        process.exit(1);
    }
}
