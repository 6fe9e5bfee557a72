/**
 * The process side of test/support/postgres.ts: a temp folder per server, the postmaster started
 * under a watchdog as the right user, stopped by its PID on every path — stop(), process exit,
 * SIGINT/SIGTERM/SIGHUP, and a SIGKILLed test process (the watchdog) — and folders left by dead
 * test processes swept at the next start.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/** Who runs initdb and the server: `postgres` when we are root (PostgreSQL refuses root), else ourselves. */
export interface Account {
    readonly uid?: number;
    readonly gid?: number;
    readonly name: string;
}

export function serverAccount(): Account {
    if (process.getuid?.() !== 0) return { name: os.userInfo().username };
    const r = spawnSync("getent", ["passwd", "postgres"], { encoding: "utf8" });
    const fields = r.status === 0 ? r.stdout.trim().split(":") : [];
    if (fields.length < 4) {
        throw new Error(
            "running as root, and there is no `postgres` user to run PostgreSQL as; run scripts/postgres-deps.sh",
        );
    }
    return { uid: Number(fields[2]), gid: Number(fields[3]), name: "postgres" };
}

/** The server could not bind its port (taken since we picked it). */
export class PortInUseError extends Error {}

const DIR_PREFIX = "backline-pg-";
const OWNER_FILE = "owner.pid";
const live = new Set<ServerFolder>();
let hooksInstalled = false;

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
        process.kill(pid, sig);
    } catch {
        /* already gone */
    }
}

function removeDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

function installHooks(): void {
    if (hooksInstalled) return;
    hooksInstalled = true;
    // Exit and signal paths are synchronous: an immediate shutdown (the postmaster ends its backends).
    const stopAllNow = (): void => {
        for (const f of live) f.stopNow();
        live.clear();
    };
    process.on("exit", stopAllNow);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        const handler = (): void => {
            stopAllNow();
            process.removeListener(sig, handler);
            if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
        };
        process.on(sig, handler);
    }
}

/** The postmaster's PID and status line of `postmaster.pid` (PostgreSQL's lock file), if there is one. */
function postmasterFile(dataDir: string): { pid: number; status: string } | undefined {
    try {
        const lines = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n");
        return { pid: Number(lines[0]), status: (lines[7] ?? "").trim() };
    } catch {
        return undefined;
    }
}

function cmdlineOf(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
        return "";
    }
}

/** Folders (and servers) of test processes that died without cleaning up. */
function sweepStale(): void {
    for (const name of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX))) {
        const dir = path.join(os.tmpdir(), name);
        let owner: number;
        try {
            owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
        } catch {
            continue; // being created, or not ours
        }
        if (!owner || fs.existsSync(`/proc/${owner}`)) continue; // its test process still runs
        const pm = postmasterFile(path.join(dir, "data"));
        // Only a postmaster that still runs on this folder (PIDs are reused).
        if (pm && cmdlineOf(pm.pid).includes(dir)) signal(pm.pid, "SIGQUIT");
        removeDir(dir);
    }
}

/**
 * Runs the server under bash in its own process group. When our end of its stdin closes (we exit,
 * crash or are SIGKILLed), it asks the server for an immediate shutdown and kills it 5 s later if
 * need be. Every process it starts is its own child and is reaped (`wait -n -p`: bash >= 5.1).
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null &
server=$!
cat <&3 >/dev/null &
watcher=$!
wait -n -p done "$server" "$watcher"
if [[ $done == "$server" ]]; then
    kill "$watcher"
else
    kill -QUIT "$server"
    sleep 5 &
    timer=$!
    wait -n -p done "$server" "$timer"
    if [[ $done == "$timer" ]]; then kill -KILL "$server"; else kill "$timer"; fi
fi 2>/dev/null
wait
`;

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

function exited(p: ChildProcess): boolean {
    return p.exitCode !== null || p.signalCode !== null;
}

function waitExit(p: ChildProcess, ms: number): Promise<boolean> {
    if (exited(p)) return Promise.resolve(true);
    return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        p.once("exit", () => {
            clearTimeout(t);
            resolve(true);
        });
    });
}

/** A server's temp folder (`data/`, `postgres.log`, the Unix socket) and its postmaster, when running. */
export class ServerFolder {
    readonly dataDir: string;
    readonly logFile: string;
    private proc?: ChildProcess;
    private postmaster?: number;

    private constructor(
        readonly dir: string,
        private readonly account: Account,
        private readonly keepDir: boolean,
    ) {
        this.dataDir = path.join(dir, "data");
        this.logFile = path.join(dir, "postgres.log");
    }

    /** A new folder, owned by `account`; registered for cleanup on every exit path. */
    static create(account: Account, keepDir: boolean): ServerFolder {
        installHooks();
        sweepStale();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
        fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
        if (account.uid !== undefined) fs.chownSync(dir, account.uid, account.gid as number);
        const f = new ServerFolder(dir, account, keepDir);
        live.add(f);
        return f;
    }

    /** The postmaster's PID, while it runs. */
    get pid(): number | undefined {
        return this.postmaster;
    }

    logs(maxLines = 40): string {
        let text: string;
        try {
            text = fs.readFileSync(this.logFile, "utf8").split("\n").slice(-maxLines).join("\n");
        } catch {
            text = "(no log)";
        }
        return `--- postgres (${this.logFile}) ---\n${text}`;
    }

    /** Runs `argv` (as the account) under the watchdog; resolves with the ms until it accepts connections. */
    async launch(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number> {
        const fd = fs.openSync(this.logFile, "a");
        let proc: ChildProcess;
        try {
            proc = spawn("bash", ["-c", WATCHDOG, "watchdog", ...argv], {
                stdio: ["pipe", fd, fd],
                detached: true, // own process group: a Ctrl-C in the terminal reaches only us
                env,
                uid: this.account.uid,
                gid: this.account.gid,
            });
        } finally {
            fs.closeSync(fd);
        }
        this.proc = proc;
        // Neither the child nor its stdin keeps Node alive: a server nobody stopped goes with the exit hook.
        proc.unref();
        proc.stdin?.on("error", () => undefined);
        (proc.stdin as net.Socket | null)?.unref();
        const started = Date.now();
        for (;;) {
            if (exited(proc)) {
                const text = this.logs(30);
                const msg = `postgres exited (${proc.exitCode ?? proc.signalCode}) before accepting connections\n${text}`;
                throw /could not bind|address already in use/i.test(text) ? new PortInUseError(msg) : new Error(msg);
            }
            // The postmaster writes "ready" into its lock file once it accepts connections (as pg_ctl checks).
            const pm = postmasterFile(this.dataDir);
            if (pm?.status === "ready") {
                this.postmaster = pm.pid;
                return Date.now() - started;
            }
            if (Date.now() - started > timeoutMs) {
                throw new Error(`postgres not ready after ${timeoutMs} ms\n${this.logs(30)}`);
            }
            await sleep(25);
        }
    }

    /** SIGINT: fast shutdown (clean); SIGQUIT: immediate (recovery at the next start). Then the group is killed if need be. */
    async shutdown(sig: "SIGINT" | "SIGQUIT"): Promise<void> {
        const proc = this.proc;
        if (!proc) return;
        signal(this.postmaster, sig);
        if (!(await waitExit(proc, 15_000))) {
            signal(-(proc.pid as number), "SIGKILL"); // the watchdog's group: server and backends
            await waitExit(proc, 5_000);
        }
        proc.stdin?.destroy();
        this.proc = undefined;
        this.postmaster = undefined;
    }

    /** Fast shutdown, then the folder goes (unless kept). Idempotent. */
    async remove(): Promise<void> {
        if (!live.has(this)) return;
        await this.shutdown("SIGINT");
        live.delete(this);
        if (!this.keepDir) removeDir(this.dir);
    }

    /** For exit paths: no waiting. */
    stopNow(): void {
        signal(this.postmaster, "SIGQUIT");
        this.proc?.stdin?.destroy();
        if (!this.keepDir) removeDir(this.dir);
    }
}
