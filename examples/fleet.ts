/**
 * Roll one configuration change out to a fleet of Backline stacks, in waves, with health gates
 * (automation/fleet.ts).
 *
 *   export PULUMI_CONFIG_PASSPHRASE=...               # the stacks' passphrase
 *   export PULUMI_BACKEND_URL='postgres://backline@db.example.com:5432/pulumi?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem'
 *   export PGPASSWORD=...                             # the team backend's password (docs/backend.md)
 *   export BACKLINE_ACCESS_KEY=bk_live_...            # default access key of stacks that name none
 *   npx ts-node examples/fleet.ts fleet.json '{"worker":{"image":{"tag":"2faf8c5-1757332651"}}}' [waves] [concurrency]
 *
 * `fleet.json` lists the stacks in rollout order, each with its target and its configuration as it
 * is now (see examples/fleet.render.json, which renders manifests instead of touching a cluster):
 *
 *   { "stacks": [ { "stackName": "eu-1", "kubernetes": { "kubeconfig": "~/.kube/eu-1" },
 *                   "config": { "baseUrl": "https://app.backline.ai", "accessKeyEnv": "EU1_ACCESS_KEY" } } ] }
 *
 * `accessKeyEnv` names the variable holding that stack's access key (default BACKLINE_ACCESS_KEY):
 * keys never go into the file. `waves` is a comma-separated list (default `1,25%,100%`), `concurrency`
 * a number (default 2). Optional: BACKLINE_STATE_DIR (a local file backend instead),
 * BACKLINE_GATE_TIMEOUT_MS (default 300000). Ctrl-C stops the rollout cleanly; run again to resume.
 * Exit code: 0 every stack has the change, 1 the rollout stopped (see the report), 2 bad input.
 */
import * as fs from "fs";
import * as path from "path";
import {
    BacklineAutomationError,
    BacklineSettings,
    ConfigPatch,
    FleetStack,
    InvalidConfigError,
    KubernetesTarget,
    WaveSize,
    rollout,
} from "../automation";

interface FileStack {
    readonly stackName: string;
    readonly kubernetes: KubernetesTarget;
    readonly config: BacklineSettings & { readonly accessKeyEnv?: string };
}

function readFleet(file: string, env: NodeJS.ProcessEnv): FleetStack[] {
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { stacks?: FileStack[] };
    const dir = path.dirname(path.resolve(file));
    return (doc.stacks ?? []).map(({ stackName, kubernetes, config: { accessKeyEnv, ...config } }) => {
        const render = (kubernetes as { renderToDirectory?: string }).renderToDirectory;
        return {
            stackName,
            // Relative paths in the file are relative to the file.
            kubernetes: render ? { ...kubernetes, renderToDirectory: path.resolve(dir, render) } : kubernetes,
            config: { ...config, accessKey: env[accessKeyEnv ?? "BACKLINE_ACCESS_KEY"] ?? config.accessKey ?? "" },
        };
    });
}

function parseWaves(text: string | undefined): WaveSize[] | undefined {
    return text?.split(",").map((w) => (w.trim().endsWith("%") ? (w.trim() as WaveSize) : Number(w)));
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
    const [file, changeJson, waves, concurrency] = argv;
    if (!file || !changeJson) {
        console.error("usage: npx ts-node examples/fleet.ts <fleet.json> '<change as JSON>' [waves] [concurrency]");
        return 2;
    }
    const stop = new AbortController();
    process.once("SIGINT", () => {
        console.error("\nstopping: running updates are interrupted, nothing else starts (run again to resume)");
        stop.abort();
    });
    try {
        const report = await rollout({
            stacks: readFleet(file, env),
            change: JSON.parse(changeJson) as ConfigPatch,
            waves: parseWaves(waves),
            concurrency: concurrency ? Number(concurrency) : undefined,
            gateTimeoutMs: env.BACKLINE_GATE_TIMEOUT_MS ? Number(env.BACKLINE_GATE_TIMEOUT_MS) : undefined,
            backendUrl: env.PULUMI_BACKEND_URL || undefined,
            stateDir: env.BACKLINE_STATE_DIR || undefined,
            // The PostgreSQL backend's password and its `stack ls` work-around (docs/backend.md).
            env: { PULUMI_DIY_BACKEND_PARALLEL: "1", ...(env.PGPASSWORD ? { PGPASSWORD: env.PGPASSWORD } : {}) },
            signal: stop.signal,
            onProgress: (e) => {
                const at = new Date().toISOString().slice(11, 19);
                if (e.type === "plan") {
                    for (const s of e.stacks)
                        console.log(`${at} plan   ${s.stackName}: wave ${s.wave}, runs ${s.deployed}`);
                } else if (e.type === "wave-start") console.log(`${at} wave ${e.wave}: ${e.stacks.join(", ")}`);
                else if (e.type === "stack-start") console.log(`${at} ${e.action.padEnd(6)} ${e.stackName}`);
                else if (e.type === "gate" && (e.check.healthy || e.check.final))
                    console.log(`${at} gate   ${e.stackName}: ${e.check.detail}`);
                else if (e.type === "revert-start") console.log(`${at} revert ${e.stackName}: ${e.reason}`);
                else if (e.type === "stack-done") console.log(`${at} done   ${e.stackName}: ${e.outcome}`);
            },
        });
        console.log(
            `\n${report.outcome}${report.reason ? `: ${report.reason}` : ""} (${Math.round(report.durationMs / 1000)} s)`,
        );
        console.table(
            report.stacks.map((s) => ({
                stack: s.stackName,
                wave: s.wave,
                outcome: s.outcome,
                "up s": s.rollout?.summary ? Math.round(s.rollout.durationMs / 1000) : "",
                changed: s.rollout?.summary
                    ? s.rollout.summary.updated + s.rollout.summary.created + s.rollout.summary.replaced
                    : "",
                "gate s": s.rollout?.gate ? Math.round(s.rollout.gate.durationMs / 1000) : "",
            })),
        );
        return report.outcome === "completed" ? 0 : 1;
    } catch (err) {
        // Bad input (every problem listed), or the backend could not be read; nothing was changed.
        console.error(err instanceof BacklineAutomationError ? err.message : err);
        return err instanceof InvalidConfigError ? 2 : 1;
    }
}

main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
});
