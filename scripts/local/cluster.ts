/**
 * The local, simulated cluster behind `npm run local:up` / `local:down` (scripts/local-up.sh,
 * scripts/local-down.sh): etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on
 * 127.0.0.1, state under `.cache/local/cluster/`, booted exactly like the test helper's control
 * plane (test/support/control-plane.ts) but as background processes that outlive this command,
 * each recorded in `pids/<name>.pid`.
 *
 *   npx ts-node --transpile-only scripts/local/cluster.ts up      # start, or reuse a healthy one
 *   npx ts-node --transpile-only scripts/local/cluster.ts down    # stop every process it started
 *   npx ts-node --transpile-only scripts/local/cluster.ts status  # exit 0 when running and healthy
 *
 * `up` keeps the ports (`ports.json`) and the keys across restarts, so the kubeconfig and the
 * cluster Pulumi deployed to stay the same. `down` stops by PID (a PID is only signalled while its
 * command line still names this folder, so a reused PID is never hit), waits for every process to
 * be gone and keeps the data; `down --purge` also deletes `.cache/local/`.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { findKubeBinaries, pidsUsing } from "../../test/support/apiserver";
import {
    bootControlPlane,
    freePorts,
    httpsRequest,
    PlanePorts,
    PlaneProcess,
    PortInUseError,
    sleep,
} from "../../test/support/control-plane";

const ROOT = path.resolve(__dirname, "..", "..");
export const LOCAL_DIR = process.env.BACKLINE_LOCAL_DIR || path.join(ROOT, ".cache", "local");
const CLUSTER_DIR = path.join(LOCAL_DIR, "cluster");
const PID_DIR = path.join(CLUSTER_DIR, "pids");
const PORTS_FILE = path.join(CLUSTER_DIR, "ports.json");
/** Start order; stopped in reverse. */
const PROCESSES: PlaneProcess[] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];
const NODES = 1;

function log(msg: string): void {
    console.log(`local-cluster: ${msg}`);
}

function pidFile(name: PlaneProcess): string {
    return path.join(PID_DIR, `${name}.pid`);
}

/** The PID recorded for `name` if that process still runs and is ours (its command line names CLUSTER_DIR). */
function runningPid(name: PlaneProcess): number | null {
    let pid: number;
    try {
        pid = Number(fs.readFileSync(pidFile(name), "utf8").trim());
    } catch {
        return null;
    }
    return pid > 0 && isOurs(pid) ? pid : null;
}

function isOurs(pid: number): boolean {
    try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"); // empty for a zombie
        return cmdline.includes(CLUSTER_DIR);
    } catch {
        return false;
    }
}

async function healthy(): Promise<string | true> {
    const dead = PROCESSES.filter((n) => runningPid(n) === null);
    if (dead.length > 0) {
        return `not running: ${dead.join(", ")}`;
    }
    const ports = JSON.parse(fs.readFileSync(PORTS_FILE, "utf8")) as PlanePorts;
    const token = fs.readFileSync(path.join(CLUSTER_DIR, "pki", "tokens.csv"), "utf8").split(",")[0];
    try {
        const r = await httpsRequest("GET", `https://127.0.0.1:${ports.apiserver}/readyz`, token);
        return r.status === 200 || `kube-apiserver /readyz: HTTP ${r.status}`;
    } catch (e) {
        return `kube-apiserver: ${e}`;
    }
}

async function portsFor(): Promise<PlanePorts> {
    if (fs.existsSync(PORTS_FILE)) {
        return JSON.parse(fs.readFileSync(PORTS_FILE, "utf8")) as PlanePorts;
    }
    const [etcdClient, etcdPeer, apiserver, scheduler] = await freePorts(4);
    const ports = { etcdClient, etcdPeer, apiserver, scheduler };
    fs.writeFileSync(PORTS_FILE, JSON.stringify(ports, null, 2));
    return ports;
}

async function up(): Promise<void> {
    fs.mkdirSync(PID_DIR, { recursive: true });
    if (fs.existsSync(PORTS_FILE)) {
        const h = await healthy();
        if (h === true) {
            log(`already running (${CLUSTER_DIR}); reusing it`);
            return;
        }
        log(`restarting: ${h}`);
        await down(false);
    }
    const found = findKubeBinaries({ kwok: true });
    if (!found.binaries) {
        throw new Error(found.reason);
    }
    for (let attempt = 1; ; attempt++) {
        const ports = await portsFor();
        try {
            const plane = await bootControlPlane({
                dir: CLUSTER_DIR,
                bins: found.binaries,
                ports,
                timeoutMs: 120_000,
                controllerManager: true,
                kwok: { nodes: NODES },
                spawn: (name, argv, logFile) => {
                    const fd = fs.openSync(logFile, "a");
                    try {
                        // Own session, no stdin: the process outlives this command and any terminal.
                        const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", fd, fd] });
                        child.unref();
                        fs.writeFileSync(pidFile(name), `${child.pid}\n`);
                        return {
                            exitStatus: () =>
                                child.exitCode === null && child.signalCode === null
                                    ? null
                                    : String(child.exitCode ?? child.signalCode),
                        };
                    } finally {
                        fs.closeSync(fd);
                    }
                },
            });
            log(
                `started at ${plane.server} in ${(plane.timings.readyzMs / 1000).toFixed(1)} s ` +
                    `(+ controller-manager, scheduler, kwok: node ${plane.nodes.join(", ")} Ready)`,
            );
            return;
        } catch (e) {
            await down(false);
            if (e instanceof PortInUseError && attempt < 3) {
                log("a port was taken; choosing new ones");
                fs.rmSync(PORTS_FILE, { force: true });
                continue;
            }
            throw e;
        }
    }
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
    const deadline = Date.now() + ms;
    for (;;) {
        const left = pids.filter(isOurs);
        if (left.length === 0 || Date.now() > deadline) {
            return left;
        }
        await sleep(50);
    }
}

/** Stops every process of the local cluster: SIGTERM by PID in reverse start order, then SIGKILL. */
async function down(purge: boolean): Promise<void> {
    const stopped: string[] = [];
    for (const name of [...PROCESSES].reverse()) {
        const pid = runningPid(name);
        if (pid !== null) {
            process.kill(pid, "SIGTERM");
            if ((await waitGone([pid], 10_000)).length > 0) {
                process.kill(pid, "SIGKILL");
                await waitGone([pid], 5_000);
            }
            stopped.push(`${name} (${pid})`);
        }
        fs.rmSync(pidFile(name), { force: true });
    }
    // any process still naming CLUSTER_DIR (a pid file may have been lost)
    const strays = fs.existsSync(CLUSTER_DIR) ? pidsUsing(CLUSTER_DIR) : [];
    for (const pid of strays) {
        process.kill(pid, "SIGKILL");
        stopped.push(`stray ${pid}`);
    }
    const left = await waitGone(strays, 5_000);
    if (left.length > 0) {
        throw new Error(`processes still running after SIGKILL: ${left.join(", ")}`);
    }
    log(stopped.length > 0 ? `stopped ${stopped.join(", ")}` : "nothing was running");
    if (purge) {
        fs.rmSync(LOCAL_DIR, { recursive: true, force: true });
        log(`removed ${LOCAL_DIR}`);
    }
}

async function main(): Promise<void> {
    const [cmd, ...rest] = process.argv.slice(2);
    switch (cmd) {
        case "up":
            return up();
        case "down":
            return down(rest.includes("--purge"));
        case "status": {
            const h = fs.existsSync(PORTS_FILE) ? await healthy() : "never started";
            log(h === true ? `running (${CLUSTER_DIR})` : h);
            process.exitCode = h === true ? 0 : 1;
            return;
        }
        default:
            console.error("usage: scripts/local/cluster.ts up | down [--purge] | status");
            process.exitCode = 2;
    }
}

main().catch((e) => {
    console.error(`local-cluster: ${e instanceof Error ? e.message : e}`);
    process.exitCode = 1;
});
