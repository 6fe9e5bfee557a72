/**
 * A real, throw-away PostgreSQL server for tests: Debian's `postgresql` (scripts/postgres-deps.sh),
 * initialised with `initdb` in a temp folder and run as `postgres` on 127.0.0.1 with a free port,
 * with one database owned by one login role that has a password (scram-sha-256 over TCP, as a
 * team's server would have; the superuser is reached only over the folder's Unix socket).
 *
 *   import { usePostgres } from "../support/postgres";
 *   describe("my e2e", function () {
 *       const pg = usePostgres();              // before(): start (or skip), after(): stop
 *       it("works", () => {
 *           assert.equal(pg().psql("SELECT 1"), "1");
 *           // pg().url: postgres://backline@127.0.0.1:<port>/pulumi?sslmode=disable
 *           // pg().password: give it to clients as PGPASSWORD
 *       });
 *   });
 *
 * PostgreSQL refuses to run as root, so a root test process runs initdb and the server as the
 * `postgres` user (its uid/gid, supplementary groups dropped); any other user runs them as itself.
 * The server is stopped by its PID (the postmaster's, from `postmaster.pid`) on stop(), at process
 * exit, on SIGINT/SIGTERM/SIGHUP, and through a stdin watchdog even when the test process is
 * SIGKILLed; a folder left by a dead test process is swept by the next start.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { isExecutableFile } from "../../automation/engine";
import { freePorts } from "./apiserver";

export interface PostgresBinaries {
    readonly binDir: string;
    readonly postgres: string;
    readonly initdb: string;
    readonly psql: string;
    readonly pgDump: string;
    readonly pgRestore: string;
}

const TOOLS = { postgres: "postgres", initdb: "initdb", psql: "psql", pgDump: "pg_dump", pgRestore: "pg_restore" } as const;

function binariesIn(binDir: string): PostgresBinaries | undefined {
    const found = Object.fromEntries(Object.entries(TOOLS).map(([k, name]) => [k, path.join(binDir, name)]));
    return Object.values(found).every(isExecutableFile) ? ({ binDir, ...found } as PostgresBinaries) : undefined;
}

/**
 * The server's bin folder: `$PG_BIN_DIR` if set (nothing else then), else Debian's
 * `/usr/lib/postgresql/<major>/bin` (the newest), else the first folder on PATH with all four tools.
 */
export function findPostgresBinaries(): { binaries: PostgresBinaries; reason?: undefined } | { binaries: null; reason: string } {
    const wanted = Object.values(TOOLS).join(", ");
    if (process.env.PG_BIN_DIR) {
        const b = binariesIn(process.env.PG_BIN_DIR);
        return b ? { binaries: b } : { binaries: null, reason: `PG_BIN_DIR=${process.env.PG_BIN_DIR} lacks one of ${wanted}` };
    }
    const debian = "/usr/lib/postgresql";
    const majors = fs.existsSync(debian) ? fs.readdirSync(debian).filter((v) => /^\d+$/.test(v)) : [];
    const dirs = [
        ...majors.sort((a, b) => Number(b) - Number(a)).map((v) => path.join(debian, v, "bin")),
        ...(process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== ""),
    ];
    for (const dir of dirs) {
        const b = binariesIn(dir);
        if (b) return { binaries: b };
    }
    return { binaries: null, reason: `no PostgreSQL server (${wanted}) in ${debian}/*/bin or on PATH; run scripts/postgres-deps.sh` };
}

/** Who runs initdb and the server: `postgres` when we are root (PostgreSQL refuses root). */
function serverAccount(): { uid?: number; gid?: number; name: string } {
    if (process.getuid?.() !== 0) return { name: os.userInfo().username };
    const r = spawnSync("getent", ["passwd", "postgres"], { encoding: "utf8" });
    const fields = r.status === 0 ? r.stdout.trim().split(":") : [];
    if (fields.length < 4) {
        throw new Error("running as root, and there is no `postgres` user to run PostgreSQL as; run scripts/postgres-deps.sh");
    }
    return { uid: Number(fields[2]), gid: Number(fields[3]), name: "postgres" };
}

export interface StartPostgresOptions {
    /** Default `pulumi`. */
    readonly database?: string;
    /** The login role owning `database`. Default `backline`. */
    readonly user?: string;
    /** Until the server accepts connections, per start, ms. Default 60000 or `$PG_START_TIMEOUT_MS`. */
    readonly startTimeoutMs?: number;
    /** Extra server settings (`-c name=value` each). */
    readonly settings?: Readonly<Record<string, string>>;
    /** Keep the folder (data, log) after stop(); also `$PG_TEST_KEEP=1`. */
    readonly keepDir?: boolean;
    readonly binaries?: PostgresBinaries;
}

export interface PostgresServer {
    readonly host: "127.0.0.1";
    readonly port: number;
    readonly database: string;
    readonly user: string;
    /** The role's password (random). Give it to clients as `PGPASSWORD`, not in a URL. */
    readonly password: string;
    /** `postgres://<user>@127.0.0.1:<port>/<database>?sslmode=disable` (no password). */
    readonly url: string;
    readonly binaries: PostgresBinaries;
    /** Temp folder: `data/`, `postgres.log`, the Unix socket. Removed by stop(). */
    readonly dir: string;
    /** The postmaster's PID now (changes with restart()). */
    readonly pid: number;
    /** ms: initdb; first start until accepting connections; role and database; all of startPostgres(). */
    readonly timings: { readonly initdbMs: number; readonly startMs: number; readonly setupMs: number; readonly totalMs: number };
    /** Runs SQL as the superuser over the Unix socket; returns psql's unaligned, tuples-only output. Throws on error. */
    psql(sql: string, database?: string): string;
    /** Rows of a SELECT as objects (`json_agg` of the query). */
    queryJson<T>(sql: string, database?: string): T[];
    /**
     * Stops the server and starts it again on the same data and port; resolves with the ms it took.
     * `fast` (SIGINT): clean shutdown. `immediate` (SIGQUIT): no shutdown checkpoint; the next
     * start recovers from the WAL, as after a crash.
     */
    restart(mode?: "fast" | "immediate"): Promise<number>;
    /** The server log's last lines. */
    logs(maxLines?: number): string;
    /** Fast shutdown, then removes the folder. Idempotent. */
    stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping.
// ---------------------------------------------------------------------------------------------

interface Managed {
    readonly dir: string;
    readonly keepDir: boolean;
    /** The watchdog (its process group holds the server and its backends). */
    proc?: ChildProcess;
    /** The postmaster. */
    pid?: number;
}

const DIR_PREFIX = "backline-pg-";
const OWNER_FILE = "owner.pid";
const live = new Set<Managed>();
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

/** Exit and signal paths are synchronous: an immediate shutdown (the postmaster cleans up its backends). */
function stopAllNow(): void {
    for (const m of live) {
        signal(m.pid, "SIGQUIT");
        m.proc?.stdin?.destroy();
        if (!m.keepDir) removeDir(m.dir);
    }
    live.clear();
}

function installHooks(): void {
    if (hooksInstalled) return;
    hooksInstalled = true;
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

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
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
        if (!owner || isAlive(owner)) continue;
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

function tail(file: string, maxLines: number): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-maxLines).join("\n");
    } catch {
        return "(no log)";
    }
}

// ---------------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------------

class PortInUseError extends Error {}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
    let binaries = opts.binaries;
    if (!binaries) {
        const found = findPostgresBinaries();
        if (!found.binaries) throw new Error(found.reason);
        binaries = found.binaries;
    }
    const bins = binaries;
    const account = serverAccount();
    const timeoutMs = opts.startTimeoutMs ?? (Number(process.env.PG_START_TIMEOUT_MS) || 60_000);
    const database = opts.database ?? "pulumi";
    const user = opts.user ?? "backline";
    const password = crypto.randomBytes(18).toString("hex");
    const t0 = Date.now();
    installHooks();
    sweepStale();

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
    if (account.uid !== undefined) fs.chownSync(dir, account.uid, account.gid as number);
    const m: Managed = { dir, keepDir: opts.keepDir ?? process.env.PG_TEST_KEEP === "1" };
    live.add(m);
    const dataDir = path.join(dir, "data");
    const logFile = path.join(dir, "postgres.log");
    const childEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LC_ALL: "C", TZ: "UTC" };
    const logs = (maxLines = 40): string => `--- postgres (${logFile}) ---\n${tail(logFile, maxLines)}`;
    let port = 0;

    const launch = async (port: number): Promise<number> => {
        const fd = fs.openSync(logFile, "a");
        const settings: Record<string, string> = {
            listen_addresses: "127.0.0.1",
            unix_socket_directories: dir,
            fsync: "off", // thrown-away data; a process crash (restart("immediate")) still loses nothing
            shared_buffers: "16MB",
            max_connections: "50",
            ...opts.settings,
        };
        const args = [bins.postgres, "-D", dataDir, "-p", String(port), ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
        try {
            m.proc = spawn("bash", ["-c", WATCHDOG, "watchdog", ...args], {
                stdio: ["pipe", fd, fd],
                detached: true,
                env: childEnv,
                uid: account.uid,
                gid: account.gid,
            });
        } finally {
            fs.closeSync(fd);
        }
        const proc = m.proc;
        proc.unref();
        proc.stdin?.on("error", () => undefined);
        (proc.stdin as net.Socket | null)?.unref();
        const started = Date.now();
        for (;;) {
            if (exited(proc)) {
                const text = logs(30);
                const msg = `postgres exited (${proc.exitCode ?? proc.signalCode}) before accepting connections\n${text}`;
                throw /could not bind|address already in use/i.test(text) ? new PortInUseError(msg) : new Error(msg);
            }
            const pm = postmasterFile(dataDir);
            if (pm?.status === "ready") {
                m.pid = pm.pid;
                return Date.now() - started;
            }
            if (Date.now() - started > timeoutMs) throw new Error(`postgres not ready after ${timeoutMs} ms\n${logs(30)}`);
            await sleep(25);
        }
    };

    const shutdown = async (sig: "SIGINT" | "SIGQUIT"): Promise<void> => {
        const proc = m.proc;
        if (!proc) return;
        signal(m.pid, sig);
        if (!(await waitExit(proc, 15_000))) {
            signal(-(proc.pid as number), "SIGKILL"); // the watchdog's group: server and backends
            await waitExit(proc, 5_000);
        }
        proc.stdin?.destroy();
        m.proc = undefined;
        m.pid = undefined;
    };

    const stop = async (): Promise<void> => {
        if (!live.has(m)) return;
        await shutdown("SIGINT");
        live.delete(m);
        if (!m.keepDir) removeDir(dir);
    };

    const psql = (sql: string, db = "postgres"): string => {
        const r = spawnSync(bins.psql, ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", "postgres", "-d", db, "-f", "-"], {
            input: sql,
            encoding: "utf8",
            env: childEnv,
            timeout: 60_000,
        });
        if (r.error) throw r.error;
        if (r.status !== 0) throw new Error(`psql failed (exit ${r.status}): ${r.stderr.trim()}\nSQL: ${sql}`);
        return r.stdout.trim();
    };

    try {
        const tInit = Date.now();
        const init = spawnSync(
            bins.initdb,
            ["-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            { encoding: "utf8", env: childEnv, uid: account.uid, gid: account.gid, timeout: timeoutMs },
        );
        if (init.error || init.status !== 0) {
            throw new Error(`initdb failed (${init.error?.message ?? `exit ${init.status}`}):\n${init.stderr}${init.stdout}`);
        }
        const initdbMs = Date.now() - tInit;

        // A port taken between freePorts() and the server's bind is retried with another.
        let startMs = 0;
        for (let attempt = 1; ; attempt++) {
            [port] = await freePorts(1);
            try {
                startMs = await launch(port);
                break;
            } catch (e) {
                if (!(e instanceof PortInUseError) || attempt === 3) throw e;
            }
        }

        const tSetup = Date.now();
        const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
        // On stdin, not in argv: the password never shows in a process list.
        psql(`CREATE ROLE ${ident(user)} LOGIN PASSWORD '${password}';\nCREATE DATABASE ${ident(database)} OWNER ${ident(user)};\n`);
        const setupMs = Date.now() - tSetup;

        return {
            host: "127.0.0.1",
            port,
            database,
            user,
            password,
            url: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}?sslmode=disable`,
            binaries: bins,
            dir,
            get pid(): number {
                if (m.pid === undefined) throw new Error("postgres is not running");
                return m.pid;
            },
            timings: { initdbMs, startMs, setupMs, totalMs: Date.now() - t0 },
            psql,
            queryJson: <T>(sql: string, db?: string): T[] =>
                JSON.parse(psql(`SELECT coalesce(json_agg(q), '[]'::json) FROM (${sql}) q`, db) || "[]") as T[],
            restart: async (mode = "fast") => {
                const t = Date.now();
                await shutdown(mode === "immediate" ? "SIGQUIT" : "SIGINT");
                await launch(port);
                return Date.now() - t;
            },
            logs,
            stop,
        };
    } catch (e) {
        await stop();
        throw e;
    }
}

/**
 * Mocha convenience: starts the server in `before` (skipping the suite, saying why, when
 * PostgreSQL is not installed), stops it in `after`. Call inside `describe`.
 */
export function usePostgres(opts: StartPostgresOptions = {}): () => PostgresServer {
    let srv: PostgresServer | undefined;
    before(async function () {
        this.timeout(2 * (opts.startTimeoutMs ?? 60_000) + 30_000);
        const found = opts.binaries ? { binaries: opts.binaries } : findPostgresBinaries();
        if (!found.binaries) {
            console.warn(`      skipping: ${found.reason}`);
            this.skip();
        }
        srv = await startPostgres({ ...opts, binaries: found.binaries });
    });
    after(async function () {
        this.timeout(30_000);
        await srv?.stop();
    });
    return () => {
        if (!srv) throw new Error("PostgreSQL not started (usePostgres's before hook has not run or failed)");
        return srv;
    };
}
