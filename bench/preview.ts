/**
 * Benchmark (not a test): `pulumi preview` of the no-AWS Backline stack against `pulumi preview`
 * of an empty TypeScript program, on the same engine, alternating, several runs each; prints the
 * medians and their ratio.
 *
 *   npx ts-node --transpile-only bench/preview.ts [RUNS]
 *
 * The Backline stack previews in render mode (manifests to a temp folder; no cluster), with
 * otel disabled and an existing storage class, so it needs no AWS provider. Both programs use this
 * repository's node_modules and TypeScript.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeRun, engineEnv, findEngine, REPO_ROOT, runPulumi } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";

const runs = Number(process.argv[2] ?? 5);

function emptyProgram(): { dir: string; cleanup(): void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "empty-program-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "empty", main: "index.ts" }));
    fs.copyFileSync(path.join(REPO_ROOT, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const env = engineEnv(engine, { passphrase: "bench" });
    const backline = copyProject();
    const empty = emptyProgram();
    const render = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
    const run = async (cwd: string, args: string[]) => {
        const r = await runPulumi(args, { cwd, env: env.env, pulumi: engine.pulumi });
        if (r.code !== 0) throw new Error(describeRun(args, r));
        return r;
    };
    try {
        await run(empty.dir, ["stack", "init", "bench"]);
        await run(backline.dir, ["stack", "init", "bench"]);
        for (const args of [
            ["config", "set", "--secret", "accessKey", "bench-key"],
            ["config", "set", "baseUrl", "https://app.backline.ai"],
            ["config", "set", "--path", "worker.otel.enabled", "false"],
            ["config", "set", "--path", "worker.storage.pvc.storageClassName", "nfs-client"],
            ["config", "set", "--path", "kubernetes.renderYamlToDirectory", render],
        ]) {
            await run(backline.dir, args);
        }
        const preview = ["preview", "--refresh=false"];
        // One unmeasured run each: the first start of ts-node and the plugins fills OS caches.
        await run(empty.dir, preview);
        await run(backline.dir, preview);
        const times: Record<"empty" | "backline", number[]> = { empty: [], backline: [] };
        for (let i = 0; i < runs; i++) {
            times.empty.push((await run(empty.dir, preview)).durationMs);
            times.backline.push((await run(backline.dir, preview)).durationMs);
        }
        const me = median(times.empty);
        const mb = median(times.backline);
        console.log(
            `engine ${engine.version} (${engine.source}), ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}, ${runs} runs each`,
        );
        console.log(`| program | median | min | max |`);
        console.log(`| --- | --- | --- | --- |`);
        for (const [name, xs] of Object.entries(times)) {
            console.log(
                `| ${name} | ${(median(xs) / 1000).toFixed(2)} s | ${(Math.min(...xs) / 1000).toFixed(2)} s | ${(Math.max(...xs) / 1000).toFixed(2)} s |`,
            );
        }
        console.log(`ratio (backline / empty): ${(mb / me).toFixed(2)}`);
    } finally {
        backline.cleanup();
        empty.cleanup();
        env.cleanup();
        fs.rmSync(render, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
