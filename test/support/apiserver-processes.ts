/**
 * Process bookkeeping of the test control plane (apiserver.ts): every server runs under a bash
 * watchdog in its own process group, and whatever is started is torn down on stop(), at process
 * exit, on SIGINT/SIGTERM/SIGHUP, and (via the watchdog's stdin) even when Node is SIGKILLed. Temp
 * dirs left by a test process that died anyway are swept before the next server starts.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { sleep } from "./control-plane";

/** The processes and temp dir of one started control plane. */
export interface Managed {
    /** In start order (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok); stopped in reverse. */
    procs: ChildProcess[];
    dir: string;
    keepDir: boolean;
}

const live = new Set<Managed>();
let hooksInstalled = false;

function killGroup(p: ChildProcess): void {
    if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) {
        return;
    }
    try {
        process.kill(-p.pid, "SIGKILL"); // the watchdog shell and the server it runs
    } catch {
        try {
            p.kill("SIGKILL");
        } catch {
            /* already gone */
        }
    }
}

function removeDir(dir: string): void {
    try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
        /* best effort */
    }
}

/** Synchronous teardown for exit/signal paths. */
function cleanupAllSync(): void {
    for (const m of live) {
        [...m.procs].reverse().forEach(killGroup); // kwok, scheduler, controller-manager first
        if (!m.keepDir) {
            removeDir(m.dir);
        }
    }
    live.clear();
}

/** Tears everything down at process exit and on SIGINT/SIGTERM/SIGHUP (installed once). */
export function installHooks(): void {
    if (hooksInstalled) {
        return;
    }
    hooksInstalled = true;
    process.on("exit", cleanupAllSync);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        const handler = (): void => {
            cleanupAllSync();
            process.removeListener(sig, handler);
            // Keep the default behaviour (exit) unless someone else handles the signal.
            if (process.listenerCount(sig) === 0) {
                process.kill(process.pid, sig);
            }
        };
        process.on(sig, handler);
    }
}

/**
 * Runs `argv` under a tiny bash watchdog in its own process group: when our end
 * of its stdin pipe closes (we exit, crash or are SIGKILLed) it kills the server.
 */
const WATCHDOG = [
    "exec 3<&0",
    '"$@" </dev/null &',
    "child=$!",
    '{ cat <&3 >/dev/null; kill -KILL "$child" 2>/dev/null; } &',
    "trap 'kill -KILL \"$child\" 2>/dev/null' TERM INT HUP",
    'wait "$child"',
].join("\n");

export function spawnWatched(argv: string[], logFile: string): ChildProcess {
    const fd = fs.openSync(logFile, "a");
    try {
        const child = spawn("bash", ["-c", WATCHDOG, "watchdog", ...argv], {
            stdio: ["pipe", fd, fd],
            detached: true, // own process group: Ctrl-C in a terminal reaches only us
        });
        // Neither the child nor its stdin pipe keeps Node alive: a server someone
        // forgot to stop() is killed by the exit hook instead of hanging mocha.
        child.unref();
        child.stdin?.on("error", () => undefined);
        (child.stdin as net.Socket | null)?.unref();
        return child;
    } finally {
        fs.closeSync(fd);
    }
}

const DIR_PREFIX = "kube-apiserver-test-";
const OWNER_FILE = "owner.pid";

/** PIDs of live processes whose command line mentions `dir` (Linux /proc; [] elsewhere). */
export function pidsUsing(dir: string): number[] {
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc");
    } catch {
        return [];
    }
    const pids: number[] = [];
    for (const e of entries) {
        if (!/^\d+$/.test(e) || Number(e) === process.pid) {
            continue;
        }
        try {
            // zombies have an empty cmdline, so only processes still running match
            if (fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(dir)) {
                pids.push(Number(e));
            }
        } catch {
            /* gone meanwhile */
        }
    }
    return pids;
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Removes temp dirs (and any server still using them) left by test processes that
 * died without cleaning up, e.g. a SIGKILLed mocha (its servers are already killed
 * by the watchdog; only the dir stays).
 */
function sweepStale(): void {
    let names: string[];
    try {
        names = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
    } catch {
        return;
    }
    for (const n of names) {
        const dir = path.join(os.tmpdir(), n);
        let owner: number;
        try {
            owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
        } catch {
            continue; // being created right now, or not ours
        }
        if (!owner || isAlive(owner)) {
            continue;
        }
        for (const pid of pidsUsing(dir)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                /* gone */
            }
        }
        removeDir(dir);
    }
}

async function waitGone(dir: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
        const pids = pidsUsing(dir);
        if (pids.length === 0) {
            return;
        }
        if (Date.now() > deadline) {
            pids.forEach((pid) => {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    /* gone */
                }
            });
            return;
        }
        await sleep(20);
    }
}

function waitExit(p: ChildProcess, ms: number): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) {
        return Promise.resolve();
    }
    return new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        p.once("exit", () => {
            clearTimeout(t);
            resolve();
        });
    });
}

/** A new temp dir (after sweeping stale ones), owned by this process, tracked until stopManaged(). */
export function manageNewDir(keepDir: boolean): Managed {
    sweepStale();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
    const m: Managed = { procs: [], dir, keepDir };
    live.add(m);
    return m;
}

/** Kills `m`'s processes and removes its dir unless kept. Idempotent. */
export async function stopManaged(m: Managed): Promise<void> {
    if (!live.has(m)) {
        return;
    }
    live.delete(m);
    // Reverse start order: kwok, the scheduler and the controller-manager first (they
    // would only log errors about a vanished API server), then kube-apiserver, then etcd.
    for (const p of [...m.procs].reverse()) {
        p.stdin?.destroy();
        killGroup(p);
        await waitExit(p, 5000);
    }
    await waitGone(m.dir, 5000); // the servers themselves, not only their watchdogs
    if (!m.keepDir) {
        removeDir(m.dir);
    }
}
