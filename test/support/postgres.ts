/**
 * A real, throw-away PostgreSQL server for tests: Debian's `postgresql` (scripts/postgres-deps.sh),
 * initialised with `initdb` in a temp folder and run as `postgres` on 127.0.0.1 with a free port,
 * with one database owned by one login role that has a password (scram-sha-256 over TCP, as a
 * team's server would have; the superuser is reached only over the folder's Unix socket).
 *
 *   import { usePostgres } from "./postgres";
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
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isExecutableFile } from "../../automation/paths";
import { freePorts } from "./apiserver";
import { PortInUseError, ServerFolder, serverAccount } from "./postgres-process";

export interface PostgresBinaries {
    readonly binDir: string;
    readonly postgres: string;
    readonly initdb: string;
    readonly psql: string;
    readonly pgDump: string;
    readonly pgRestore: string;
}

const TOOLS = {
    postgres: "postgres",
    initdb: "initdb",
    psql: "psql",
    pgDump: "pg_dump",
    pgRestore: "pg_restore",
} as const;

function binariesIn(binDir: string): PostgresBinaries | undefined {
    const found = Object.fromEntries(Object.entries(TOOLS).map(([k, name]) => [k, path.join(binDir, name)]));
    return Object.values(found).every(isExecutableFile) ? ({ binDir, ...found } as PostgresBinaries) : undefined;
}

/**
 * The server's bin folder: `$PG_BIN_DIR` if set (nothing else then), else Debian's
 * `/usr/lib/postgresql/<major>/bin` (the newest), else the first folder on PATH with all four tools.
 */
export function findPostgresBinaries():
    { binaries: PostgresBinaries; reason?: undefined } | { binaries: null; reason: string } {
    const wanted = Object.values(TOOLS).join(", ");
    if (process.env.PG_BIN_DIR) {
        const b = binariesIn(process.env.PG_BIN_DIR);
        return b
            ? { binaries: b }
            : { binaries: null, reason: `PG_BIN_DIR=${process.env.PG_BIN_DIR} lacks one of ${wanted}` };
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
    return {
        binaries: null,
        reason: `no PostgreSQL server (${wanted}) in ${debian}/*/bin or on PATH; run scripts/postgres-deps.sh`,
    };
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
    readonly timings: {
        readonly initdbMs: number;
        readonly startMs: number;
        readonly setupMs: number;
        readonly totalMs: number;
    };
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

const INITDB_FLAGS =
    "--auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C --no-sync --no-instructions";
const PSQL_FLAGS = "-X -A -t -q -v ON_ERROR_STOP=1";

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
    const folder = ServerFolder.create(account, opts.keepDir ?? process.env.PG_TEST_KEEP === "1");
    const dir = folder.dir;
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LC_ALL: "C", TZ: "UTC" };
    const settings: Record<string, string> = {
        listen_addresses: "127.0.0.1",
        unix_socket_directories: dir,
        fsync: "off", // thrown-away data; a process crash (restart("immediate")) still loses nothing
        shared_buffers: "16MB",
        max_connections: "50",
        ...opts.settings,
    };
    const launch = (port: number): Promise<number> =>
        folder.launch(
            [
                bins.postgres,
                "-D",
                folder.dataDir,
                "-p",
                String(port),
                ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
            ],
            env,
            timeoutMs,
        );
    let port = 0;
    const psql = (sql: string, db = "postgres"): string => {
        const args = [...PSQL_FLAGS.split(" "), "-h", dir, "-p", String(port), "-U", "postgres", "-d", db, "-f", "-"];
        const r = spawnSync(bins.psql, args, { input: sql, encoding: "utf8", env, timeout: 60_000 });
        if (r.error) throw r.error;
        if (r.status !== 0) throw new Error(`psql failed (exit ${r.status}): ${r.stderr.trim()}\nSQL: ${sql}`);
        return r.stdout.trim();
    };

    try {
        const tInit = Date.now();
        const init = spawnSync(bins.initdb, ["-D", folder.dataDir, "-U", "postgres", ...INITDB_FLAGS.split(" ")], {
            encoding: "utf8",
            env,
            uid: account.uid,
            gid: account.gid,
            timeout: timeoutMs,
        });
        if (init.error || init.status !== 0) {
            throw new Error(
                `initdb failed (${init.error?.message ?? `exit ${init.status}`}):\n${init.stderr}${init.stdout}`,
            );
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
        psql(
            `CREATE ROLE ${ident(user)} LOGIN PASSWORD '${password}';\nCREATE DATABASE ${ident(database)} OWNER ${ident(user)};\n`,
        );
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
                if (folder.pid === undefined) throw new Error("postgres is not running");
                return folder.pid;
            },
            timings: { initdbMs, startMs, setupMs, totalMs: Date.now() - t0 },
            psql,
            queryJson: <T>(sql: string, db?: string): T[] =>
                JSON.parse(psql(`SELECT coalesce(json_agg(q), '[]'::json) FROM (${sql}) q`, db) || "[]") as T[],
            restart: async (mode = "fast") => {
                const t = Date.now();
                await folder.shutdown(mode === "immediate" ? "SIGQUIT" : "SIGINT");
                await launch(port);
                return Date.now() - t;
            },
            logs: (maxLines) => folder.logs(maxLines),
            stop: () => folder.remove(),
        };
    } catch (e) {
        await folder.remove();
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
