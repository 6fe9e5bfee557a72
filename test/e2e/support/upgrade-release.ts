/**
 * A release's program, checked out for the upgrade suite (test/e2e/upgrade.e2e.ts): `git worktree add
 * --detach` of its commit into a temp folder and `npm ci` of its own package-lock.json there (from
 * npm's cache when warm), shared by every shape deployed from it. Also the small process helpers
 * the suite runs commands with, and a bound on how many engines run at once.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Release } from "./releases";

export interface ExecResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
}

/** Runs a command to its end (SIGKILL after `timeoutMs`), collecting its output. */
export function exec(
    command: string,
    args: readonly string[],
    opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<ExecResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
        child.on("error", (err) => (clearTimeout(timer), reject(err)));
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, ms: Date.now() - started });
        });
    });
}

/** `exec`, failing with the command's output when it does not exit 0. */
export async function execOk(
    command: string,
    args: readonly string[],
    opts: Parameters<typeof exec>[2],
): Promise<ExecResult> {
    const r = await exec(command, args, opts);
    if (r.code !== 0) {
        throw new Error(`${command} ${args.join(" ")} (in ${opts.cwd}) exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    }
    return r;
}

/** At most `n` of the functions given run at once; the others wait their turn. */
export function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
    let running = 0;
    const waiting: (() => void)[] = [];
    return async <T>(f: () => Promise<T>): Promise<T> => {
        if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
        running++;
        try {
            return await f();
        } finally {
            running--;
            waiting.shift()?.();
        }
    };
}

export interface ReleaseCheckout {
    readonly release: Release;
    /** The worktree: the release's program, its stack files and its node_modules. */
    readonly dir: string;
    /** How long `git worktree add` and `npm ci` took, ms. */
    readonly worktreeMs: number;
    readonly installMs: number;
    /** Removes the worktree (and its folder). */
    remove(): Promise<void>;
}

/** Worktrees to remove even when the process is ended by a signal (mocha's after hooks do not run then). */
const leftovers = new Map<string, string>();
let hooked = false;

function removeLeftoversSync(): void {
    for (const [dir, repo] of leftovers) {
        spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: repo });
        fs.rmSync(dir, { recursive: true, force: true });
    }
    leftovers.clear();
}

/** Removes the worktrees at exit and on SIGINT, SIGTERM and SIGHUP, then lets the signal end the process as before. */
function hookExit(): void {
    if (hooked) return;
    hooked = true;
    process.on("exit", removeLeftoversSync);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        const handler = (): void => {
            removeLeftoversSync();
            process.removeListener(sig, handler);
            // The control plane's hooks (test/support/apiserver-processes.ts) follow the same rule:
            // the last handler to run raises the signal again.
            if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
        };
        process.on(sig, handler);
    }
}

/**
 * Checks `release` out of `repo` into `<parent>/v<version>` and installs its own dependencies.
 * `npm ci --ignore-scripts`: no install script may download anything (the engine's plugins come
 * from its build), and the program needs none.
 */
export async function checkOutRelease(repo: string, release: Release, parent: string): Promise<ReleaseCheckout> {
    const dir = path.join(parent, `v${release.version}`);
    const remove = async (): Promise<void> => {
        await exec("git", ["worktree", "remove", "--force", dir], { cwd: repo });
        fs.rmSync(dir, { recursive: true, force: true });
        leftovers.delete(dir);
    };
    hookExit();
    leftovers.set(dir, repo);
    const t0 = Date.now();
    await execOk("git", ["worktree", "add", "--detach", dir, release.commit], { cwd: repo });
    const worktreeMs = Date.now() - t0;
    try {
        const npm = await execOk(
            "npm",
            ["ci", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
            { cwd: dir, timeoutMs: 600_000 },
        );
        return { release, dir, worktreeMs, installMs: npm.ms, remove };
    } catch (err) {
        await remove();
        throw new Error(`release ${release.version} (${release.commit}): its dependencies do not install: ${err}`);
    }
}
