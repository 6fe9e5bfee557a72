// Compiles the policy pack's TypeScript (the files policy/tsconfig.json includes) to JavaScript,
// transpiling each file on its own with the pack's compiler options: no type-check (that is
// `npm run typecheck`, which covers policy/ with `isolatedModules`, so per-file transpiling compiles
// whatever passes it). `policy/analyzer` runs this when its compiled copy is missing or older than the
// sources; the engine then starts plain JavaScript instead of ts-node type-checking the pack on every
// preview (docs/operate/policies.md).
//
// Plain JavaScript: it is what turns the TypeScript into JavaScript.
//
//   node policy/compile.js <out-dir>   writes <out-dir> whole or not at all (a temporary sibling,
//                                      renamed; when another process got there first, its copy
//                                      stays), then removes the other compiled copies beside it
//
// Also a module: `compilePack(packDir)` returns the compiled files, which policy/test/compiled.spec.ts
// compares with what the analyzer runs; `compileFiles` and `writeCompiled` compile and write another
// project's files the same way (provider/compile.js, the component provider's launcher).
"use strict";
const fs = require("fs");
const path = require("path");

/** Every compiled file of the pack in `packDir`: path relative to the output folder → JavaScript. */
function compilePack(packDir) {
    return compileFiles(path.join(packDir, "tsconfig.json"), packDir);
}

/**
 * The files `configFile` includes whose path relative to `baseDir` passes `include`, each transpiled
 * with its compiler options: path relative to `baseDir` (`.js`) → JavaScript.
 */
function compileFiles(configFile, baseDir, include = () => true) {
    const ts = require(require.resolve("typescript", { paths: [baseDir] }));
    const read = ts.readConfigFile(configFile, ts.sys.readFile);
    if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
    const config = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configFile), undefined, configFile);
    if (config.errors.length > 0) {
        throw new Error(config.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n")).join("\n"));
    }
    const files = new Map();
    for (const file of [...config.fileNames].sort()) {
        if (!include(path.relative(baseDir, file))) continue;
        const out = ts.transpileModule(fs.readFileSync(file, "utf8"), {
            compilerOptions: { ...config.options, sourceMap: false, declaration: false },
            fileName: file,
            reportDiagnostics: true,
        });
        if (out.diagnostics && out.diagnostics.length > 0) {
            const text = out.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            throw new Error(`${path.relative(baseDir, file)}: ${text.join("; ")}`);
        }
        files.set(path.relative(baseDir, file).replace(/\.ts$/, ".js"), out.outputText);
    }
    return files;
}

/** Writes compiled files to `outDir` atomically (see the top of this file). */
function writeCompiled(files, outDir) {
    const parent = path.dirname(outDir);
    fs.mkdirSync(parent, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(parent, `.tmp-${path.basename(outDir)}-`));
    try {
        for (const [rel, text] of files) {
            fs.mkdirSync(path.join(tmp, path.dirname(rel)), { recursive: true });
            fs.writeFileSync(path.join(tmp, rel), text);
        }
        try {
            fs.renameSync(tmp, outDir);
        } catch (err) {
            // Another start compiled the same sources first: same content, keep theirs.
            if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    // Copies of earlier sources; temporary folders of other starts are theirs to remove.
    for (const name of fs.readdirSync(parent)) {
        if (name !== path.basename(outDir) && !name.startsWith(".tmp-")) {
            fs.rmSync(path.join(parent, name), { recursive: true, force: true });
        }
    }
}

module.exports = { compilePack, compileFiles, writeCompiled };

if (require.main === module) {
    const outDir = process.argv[2];
    if (!outDir) {
        console.error("usage: node policy/compile.js <out-dir>");
        process.exit(2);
    }
    try {
        writeCompiled(compilePack(__dirname), path.resolve(outDir));
    } catch (err) {
        console.error(`error: compiling the policy pack in ${__dirname} failed: ${err.message}`);
        process.exit(1);
    }
}
