/**
 * Where a no-op `pulumi up` of the dev stack spends its time on a real control plane (not a test):
 * the dev stack (Pulumi.dev.yaml) deployed with real awaits onto kube-apiserver with one simulated
 * node (kwok, as `npm run local:up` runs it), then, with nothing changed:
 *
 * - `--runs` rounds of `pulumi up --yes --skip-preview` as Pulumi.yaml asks (refresh first) against
 *   the same with `--refresh=false`, alternating (A B, B A): wall time, CPU of the process tree;
 * - one profiled `up` (with the refresh): the engine's gRPC log (PULUMI_DEBUG_GRPC: every call to the
 *   provider with its request and response), the API server's audit log (every request, by whom),
 *   and the program's own time (bench/node-timeline.js).
 *
 *   npm run bench:profile-up -- [--runs=3] [--keep] [--json=FILE]
 *
 * Prints the phases, each Kubernetes object's refresh (`Read`) and `Diff`, whether the refresh found
 * anything the state did not have, and the API requests by client, verb and resource. The figures
 * also go to a JSON file (bench/report.ts). Needs the engine (scripts/build-engine.sh) and the
 * control plane with kwok (scripts/build-kube.sh).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startApiServer } from "../test/support/apiserver";
import { describeRun, engineEnv, findEngine, runPulumi } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";
import { GrpcCall, Span, callsTo, readGrpc, span } from "./grpc-log";
import { BenchReport, sample } from "./report";
import { conditions, fmtSeconds, hasFlag, measure, Measured, numberFlag, printTable, ratio, stats } from "./support";

/** Every request, metadata only; the control plane's own components are left out when reading. */
const auditPolicy = {
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [{ level: "Metadata" }],
};

interface AuditEvent {
    readonly verb: string;
    readonly requestURI: string;
    readonly userAgent?: string;
    readonly user: { username: string };
    readonly objectRef?: { resource?: string; subresource?: string; name?: string };
    readonly requestReceivedTimestamp: string;
}

/** Audit events after byte `offset`, without the control plane's own (controllers, scheduler, kwok, kubelet-less nodes). */
function auditSince(file: string, offset: number): AuditEvent[] {
    const text = fs.readFileSync(file).subarray(offset).toString("utf8");
    return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as AuditEvent)
        .filter((e) => !e.user.username.startsWith("system:") || e.user.username === "system:admin")
        .filter((e) => !/kube-controller-manager|kube-scheduler|kwok/.test(e.userAgent ?? ""));
}

/** "pulumi-resource-kubernetes", "node" (the program's preflight), … from a user agent. */
function client(e: AuditEvent): string {
    const ua = e.userAgent ?? "";
    if (/pulumi-kubernetes|pulumi-resource-kubernetes/i.test(ua)) return "kubernetes provider";
    if (/^node|undici/i.test(ua) || ua === "") return "program (preflight)";
    return ua.split(" ")[0];
}

/** API requests by client, verb and resource (or path, for discovery). */
function countRequests(
    audit: readonly AuditEvent[],
): { client: string; verb: string; resource: string; count: number }[] {
    const byRequest = new Map<string, number>();
    for (const e of audit) {
        const res = e.objectRef?.resource
            ? `${e.objectRef.resource}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ""}`
            : e.requestURI.split("?")[0];
        const key = `${client(e)}\u0000${e.verb}\u0000${res}`;
        byRequest.set(key, (byRequest.get(key) ?? 0) + 1);
    }
    return [...byRequest]
        .map(([k, count]) => {
            const [who, verb, resource] = k.split("\u0000");
            return { client: who, verb, resource, count };
        })
        .sort((a, b) => a.client.localeCompare(b.client) || b.count - a.count);
}

/** Phases of an up, by the gRPC methods that make them. */
const PHASES = [
    ["provider start (Handshake … Configure)", "(Handshake|GetPluginInfo|CheckConfig|DiffConfig|Configure)"],
    ["refresh: Read", "Read"],
    ["program: Run", "Run"],
    ["Check", "Check"],
    ["Diff (refresh and update)", "Diff"],
    ["Update/Create/Delete", "(Update|Create|Delete)"],
    ["ResourceMonitor.RegisterResource", "RegisterResource"],
] as const;

interface Timeline {
    readonly pid: number;
    readonly start: number;
    readonly exit: number;
    readonly loads: { module: string; start: number; end: number }[];
}

interface CpuProfile {
    readonly nodes: { id: number; callFrame: { url: string; functionName: string }; children?: number[] }[];
    readonly samples: number[];
    readonly timeDeltas: number[];
}

/** CPU time (ms) of each named function in the project's files, callees included, most first. */
function ourFunctions(profile: CpuProfile, projectDir: string): { fn: string; ms: number }[] {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const total = new Map<string, number>();
    profile.samples.forEach((id, i) => {
        const seen = new Set<string>();
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
            const { url, functionName } = (byId.get(cur) as CpuProfile["nodes"][number]).callFrame;
            const file = url.replace(/^file:\/\//, "");
            if (!functionName || !file.startsWith(projectDir) || file.includes("/node_modules/")) continue;
            const key = `${functionName} (${path.relative(projectDir, file)})`;
            if (seen.has(key)) continue;
            seen.add(key);
            total.set(key, (total.get(key) ?? 0) + profile.timeDeltas[i] / 1000);
        }
    });
    return [...total].map(([fn, ms]) => ({ fn, ms })).sort((a, b) => b.ms - a.ms);
}

interface Profile {
    readonly label: string;
    readonly measured: Measured;
    readonly grpc: GrpcCall[];
    readonly phases: Record<string, Span | undefined>;
    readonly requests: ReturnType<typeof countRequests>;
    /** The program's Node.js process (ms after spawn) and the CPU time of our functions in it. */
    readonly program?: { startMs: number; exitMs: number; ourFunctions: { fn: string; ms: number }[] };
}

const cpuOf = (m: Measured) => m.processes.reduce((a, p) => a + p.cpuMs, 0);
const ms = (x: number) => `${Math.round(x)} ms`;

async function main(): Promise<void> {
    const runs = numberFlag("runs", 3);
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-profile-up-"));
    const policyFile = path.join(out, "audit-policy.json");
    const auditLog = path.join(out, "audit.log");
    fs.writeFileSync(policyFile, JSON.stringify(auditPolicy));
    const kube = await startApiServer({
        kwok: {},
        apiServerArgs: [
            `--audit-policy-file=${policyFile}`,
            `--audit-log-path=${auditLog}`,
            "--audit-log-mode=blocking",
        ],
    });
    const env = engineEnv(engine, { passphrase: "backline-dev" });
    const project = copyProject(["Pulumi.dev.yaml"]);
    const report = new BenchReport("profile-up");
    const cli = async (args: string[]) => {
        const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 900_000 });
        if (r.code !== 0) throw new Error(describeRun(args, r));
        return r;
    };
    const up = (extra: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
        measure(engine.pulumi, ["up", "--yes", "--skip-preview", "--non-interactive", ...extra], {
            cwd: project.dir,
            env: { ...env.env, ...extraEnv },
        }).then((r) => {
            if (r.code !== 0)
                throw new Error(`up ${extra.join(" ")} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
            if (!/\d+ unchanged/.test(r.stdout) || /[~+-] +\d+ (to )?(update|create|delete|replace)/.test(r.stdout))
                throw new Error(`not a no-op up:\n${r.stdout}`);
            return r;
        });
    /** One no-op up with the gRPC log, the audit log's new lines and the program's timeline. */
    const profileOnce = async (extra: string[], label: string): Promise<Profile> => {
        const dir = fs.mkdtempSync(path.join(out, `${label}-`));
        const grpcLog = path.join(dir, "grpc.jsonl");
        const auditOffset = fs.statSync(auditLog).size;
        const measured = await up(extra, {
            PULUMI_DEBUG_GRPC: grpcLog,
            BENCH_TIMELINE_DIR: dir,
            NODE_OPTIONS: `--require ${path.join(__dirname, "node-timeline.js")}`,
        });
        const t0 = measured.startedAt;
        const grpc = readGrpc(grpcLog);
        const phases: Record<string, Span | undefined> = {};
        for (const [phase, method] of PHASES) {
            const re = new RegExp(`(ResourceProvider|LanguageRuntime|ResourceMonitor)/${method}$`);
            phases[phase] = span(
                grpc.filter((g) => re.test(g.method)),
                t0,
            );
        }
        const program = fs
            .readdirSync(dir)
            .filter((f) => f.startsWith("timeline-"))
            .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Timeline)
            .find((t) => t.loads.some((l) => l.module.endsWith("index.ts")));
        const cpuFile = program && path.join(dir, `cpu-${program.pid}.cpuprofile`);
        return {
            label,
            measured,
            grpc,
            phases,
            requests: countRequests(auditSince(auditLog, auditOffset)),
            program:
                program && cpuFile && fs.existsSync(cpuFile)
                    ? {
                          startMs: program.start - t0,
                          exitMs: program.exit - t0,
                          ourFunctions: ourFunctions(
                              JSON.parse(fs.readFileSync(cpuFile, "utf8")) as CpuProfile,
                              fs.realpathSync(project.dir),
                          ).slice(0, 12),
                      }
                    : undefined,
        };
    };
    try {
        await cli(["stack", "init", "dev"]);
        await cli(["config", "set", "--path", "kubernetes.kubeconfig", kube.kubeconfig]);
        const fresh = await cli(["up", "--yes", "--skip-preview"]);
        console.log(`fresh up of the dev stack: ${(fresh.durationMs / 1000).toFixed(1)} s`);
        await up([]); // warm-up: caches, and the first refresh after the fresh up
        report.begin();
        const start = conditions();
        const withRefresh: Measured[] = [];
        const without: Measured[] = [];
        for (let i = 0; i < runs; i++) {
            for (const refresh of i % 2 === 0 ? [true, false] : [false, true]) {
                if (refresh) withRefresh.push(await up([]));
                else without.push(await up(["--refresh=false"]));
            }
        }

        const profiled = await profileOnce([], "refresh");
        const profiledWithout = await profileOnce(["--refresh=false"], "no-refresh");
        const end = conditions();

        console.log(`no-op pulumi up of the dev stack on kube-apiserver + kwok, engine ${engine.version}`);
        console.log(`start: ${start}\nend:   ${end}`);
        const w = (xs: Measured[]) => stats(xs.map((m) => m.ms));
        const c = (xs: Measured[]) => stats(xs.map(cpuOf));
        const paired = withRefresh.map((m, i) => m.ms / without[i].ms);
        printTable(
            ["no-op up", "wall", "CPU, process tree"],
            [
                ["with refresh (Pulumi.yaml)", fmtSeconds(w(withRefresh)), fmtSeconds(c(withRefresh))],
                ["--refresh=false", fmtSeconds(w(without)), fmtSeconds(c(without))],
            ],
        );
        console.log(
            `with / without refresh: wall ${ratio(w(withRefresh), w(without))} (paired: ${stats(paired).median.toFixed(2)}×), ` +
                `CPU ${ratio(c(withRefresh), c(without))}`,
        );
        for (const p of [profiled, profiledWithout]) {
            console.log(
                `\nProfiled up (${p.label}): ${ms(p.measured.ms)} wall, ${ms(cpuOf(p.measured))} CPU; phases (ms after spawn):`,
            );
            printTable(
                ["phase", "start", "end", "calls", "in calls", "at once (max)"],
                Object.entries(p.phases)
                    .filter(([, s]) => s)
                    .map(([name, s]) => [
                        name,
                        ms(s!.startMs),
                        ms(s!.endMs),
                        String(s!.calls),
                        ms(s!.msInCalls),
                        String(s!.maxInFlight),
                    ]),
            );
            if (p.program) {
                console.log(
                    `program: Node.js ${ms(p.program.startMs)}–${ms(p.program.exitMs)}; CPU of our functions (callees included): ` +
                        p.program.ourFunctions
                            .slice(0, 6)
                            .map((f) => `${f.fn} ${ms(f.ms)}`)
                            .join(", "),
                );
            }
        }

        const name = (urn: unknown) => String(urn).split("::").slice(-1)[0];
        const reads = callsTo(profiled.grpc, "Read").map((r) => ({
            resource: name(r.request.urn),
            ms: r.ms,
            outputsChanged: JSON.stringify(r.request.properties ?? {}) !== JSON.stringify(r.response.properties ?? {}),
            inputsChanged: JSON.stringify(r.request.inputs ?? {}) !== JSON.stringify(r.response.inputs ?? {}),
        }));
        const diffs = callsTo(profiled.grpc, "Diff").map((d) => ({
            resource: name(d.request.urn),
            start: d.start,
            ms: d.ms,
            changes: String(d.response.changes ?? "DIFF_UNKNOWN"),
        }));
        console.log("\nPer object (with refresh): the refresh's Read, and the Diff of the update:");
        printTable(
            ["resource", "Read", "live state differs from the state", "inputs changed", "Diff (update)", "result"],
            reads.map((r) => {
                const d = diffs.filter((x) => x.resource === r.resource).pop();
                return [
                    r.resource,
                    ms(r.ms),
                    r.outputsChanged ? "yes" : "no",
                    r.inputsChanged ? "yes" : "no",
                    d ? ms(d.ms) : "",
                    d?.changes ?? "",
                ];
            }),
        );
        for (const p of [profiled, profiledWithout]) {
            console.log(
                `\nAPI requests during the profiled up (${p.label}): ${p.requests.reduce((a, r) => a + r.count, 0)}`,
            );
            printTable(
                ["client", "verb", "resource", "requests"],
                p.requests.map((r) => [r.client, r.verb, r.resource, String(r.count)]),
            );
        }
        if (hasFlag("keep")) console.log(`raw files kept in ${out}`);
        const profile = (p: Profile) => ({
            wallMs: p.measured.ms,
            cpuTreeMs: cpuOf(p.measured),
            processes: p.measured.processes.map((x) => ({ name: x.name, cpuMs: x.cpuMs, peakRssBytes: x.peakBytes })),
            phases: p.phases,
            apiRequests: p.requests,
            program: p.program ?? null,
        });
        report.write({
            command: "pulumi up --yes --skip-preview (no change; refresh as Pulumi.yaml asks)",
            engine: { version: engine.version, source: engine.source },
            runs,
            noopUp: {
                withRefresh: {
                    wallMs: sample(withRefresh.map((m) => m.ms)),
                    cpuTreeMs: sample(withRefresh.map(cpuOf)),
                },
                withoutRefresh: { wallMs: sample(without.map((m) => m.ms)), cpuTreeMs: sample(without.map(cpuOf)) },
                wallRatioByRound: sample(paired),
            },
            profiled: { ...profile(profiled), reads, diffs },
            profiledWithoutRefresh: profile(profiledWithout),
            ...(hasFlag("keep") ? { rawFiles: out } : {}),
        });
    } finally {
        project.cleanup();
        env.cleanup();
        await kube.stop();
        if (!hasFlag("keep")) fs.rmSync(out, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
