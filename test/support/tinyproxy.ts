/**
 * A real HTTP CONNECT proxy (Debian's tinyproxy) and a private CA (openssl) for the tests of the
 * janitor's proxy and CA-bundle support. `bash scripts/proxy-deps.sh` installs both.
 *
 * - `startTinyproxy()` runs tinyproxy in the foreground with its own configuration in a temp
 *   folder, on a free loopback port, as a non-root user (`nobody` when the tests run as root), and
 *   stops it by its PID. Its log (level Connect) shows every tunnel it opened.
 * - `makeTestCa()` makes a CA and a server certificate it signed for 127.0.0.1, 127.0.0.2 and localhost.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { which } from "../../automation/paths";
import { unusedPort } from "./fake-saas";

/** Why the proxy tests cannot run here (a missing tool), or undefined. */
export function missingProxyTools(): string | undefined {
    const missing = ["tinyproxy", "openssl"].filter((t) => !which(t, `${process.env.PATH ?? ""}:/usr/sbin:/usr/bin`));
    return missing.length > 0
        ? `missing: ${missing.join(", ")} (install them with: bash scripts/proxy-deps.sh)`
        : undefined;
}

export interface TestCa {
    readonly dir: string;
    /** The CA certificate (PEM file): what JANITOR_CA_BUNDLE points at. */
    readonly caFile: string;
    /** The server's key and certificate (PEM text), for an HTTPS server on 127.0.0.1. */
    readonly key: string;
    readonly cert: string;
    remove(): void;
}

function openssl(args: string[], cwd: string): void {
    const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

/** A CA (its key thrown away with the folder) and a server certificate it signed for 127.0.0.1. */
export function makeTestCa(): TestCa {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "test-ca-"));
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        [
            "req",
            "-x509",
            ...ec,
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Backline janitor test CA",
        ],
        dir,
    );
    openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
    fs.writeFileSync(
        path.join(dir, "ext.cnf"),
        "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    openssl(
        [
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
        ],
        dir,
    );
    return {
        dir,
        caFile: path.join(dir, "ca.pem"),
        key: fs.readFileSync(path.join(dir, "server.key"), "utf8"),
        cert: fs.readFileSync(path.join(dir, "server.pem"), "utf8"),
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

export interface Tinyproxy {
    readonly port: number;
    /** `http://[user:password@]127.0.0.1:<port>`. */
    url(credentials?: { user: string; password: string }): string;
    /** The CONNECT requests it received so far (`CONNECT host:port`), in order. */
    connects(): string[];
    stop(): Promise<void>;
}

export interface TinyproxyOptions {
    /** Ports CONNECT may reach (tinyproxy allows only 443 and 563 by default). */
    readonly connectPorts: readonly number[];
    /** Require these credentials (Basic). */
    readonly basicAuth?: { readonly user: string; readonly password: string };
}

function nobody(): { uid: number; gid: number } {
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("nobody:"));
    const [, , uid, gid] = (line ?? "nobody:x:65534:65534").split(":");
    return { uid: Number(uid), gid: Number(gid) };
}

async function listening(port: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
        const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`tinyproxy did not listen on 127.0.0.1:${port}`);
}

export async function startTinyproxy(opts: TinyproxyOptions): Promise<Tinyproxy> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tinyproxy-"));
    const port = await unusedPort();
    const log = path.join(dir, "tinyproxy.log");
    const conf = [
        `Port ${port}`,
        "Listen 127.0.0.1",
        "Timeout 30",
        `LogFile "${log}"`,
        "LogLevel Connect",
        "MaxClients 20",
        "Allow 127.0.0.1",
        "DisableViaHeader Yes",
        ...opts.connectPorts.map((p) => `ConnectPort ${p}`),
        ...(opts.basicAuth ? [`BasicAuth ${opts.basicAuth.user} ${opts.basicAuth.password}`] : []),
    ].join("\n");
    fs.writeFileSync(path.join(dir, "tinyproxy.conf"), `${conf}\n`);
    fs.writeFileSync(log, "");
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? nobody() : undefined;
    if (user) {
        for (const f of [dir, log, path.join(dir, "tinyproxy.conf")]) fs.chownSync(f, user.uid, user.gid);
    }
    const binary = which("tinyproxy", `${process.env.PATH ?? ""}:/usr/sbin:/usr/bin`) ?? "tinyproxy";
    const child: ChildProcess = spawn(binary, ["-d", "-c", path.join(dir, "tinyproxy.conf")], {
        stdio: ["ignore", "ignore", "pipe"],
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
        await listening(port, Date.now() + 10_000);
    } catch (e) {
        child.kill("SIGKILL");
        throw new Error(`${(e as Error).message}: ${stderr}`);
    }
    return {
        port,
        url: (c) => `http://${c ? `${c.user}:${c.password}@` : ""}127.0.0.1:${port}`,
        connects: () =>
            fs
                .readFileSync(log, "utf8")
                .split("\n")
                .map((l) => / Request \(file descriptor \d+\): (CONNECT \S+)/.exec(l)?.[1])
                .filter((l): l is string => l !== undefined),
        stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
