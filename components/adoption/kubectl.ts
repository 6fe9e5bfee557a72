/**
 * The adoption talks to the cluster through `kubectl`, with the kubeconfig and context of the stack's
 * Kubernetes provider (`kubernetes.kubeconfig`, `kubernetes.context`, else `$KUBECONFIG` /
 * `~/.kube/config` and its current context).
 *
 * Why kubectl rather than a client library: it is the reference implementation of every way a
 * kubeconfig authenticates, exec credential plugins included (`aws eks get-token`,
 * `gke-gcloud-auth-plugin`, `kubelogin`), and anyone who runs the Helm chart has it. The JavaScript
 * client, `@kubernetes/client-node` 2.x, needs Node.js 22.19 or newer (through undici 8) where this
 * project supports 20.19, and is an ES module with a dozen dependencies of its own.
 *
 * These functions also run inside the dynamic providers' process (`providers.ts`), which Pulumi
 * starts from a serialized copy of them: they use nothing but Node's own modules.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Which cluster: the provider's settings. */
export interface KubeConnection {
    /** A kubeconfig file's path, or a kubeconfig's contents. @default `$KUBECONFIG` / `~/.kube/config` */
    readonly kubeconfig?: string;
    /** @default the kubeconfig's current context */
    readonly context?: string;
}

export interface KubectlResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** `kubeconfig` as pulumi-kubernetes reads it: a path when such a file exists, else the contents. */
function kubeconfigFile(kubeconfig: string): { file: string; cleanup: () => void } {
    const asPath = kubeconfig.startsWith("~/") ? path.join(os.homedir(), kubeconfig.slice(2)) : kubeconfig;
    if (!kubeconfig.includes("\n") && fs.existsSync(asPath)) {
        return { file: asPath, cleanup: () => undefined };
    }
    // Contents: a private file for the duration of one call.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-kubeconfig-"));
    const file = path.join(dir, "config");
    fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
    return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs kubectl against the connection's cluster; never throws for a non-zero exit. */
export async function kubectl(
    conn: KubeConnection,
    args: readonly string[],
    opts: { readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<KubectlResult> {
    const config = conn.kubeconfig ? kubeconfigFile(conn.kubeconfig) : undefined;
    const full = [
        ...(config ? ["--kubeconfig", config.file] : []),
        ...(conn.context ? ["--context", conn.context] : []),
        ...args,
    ];
    try {
        return await new Promise<KubectlResult>((resolve, reject) => {
            const child = spawn("kubectl", full, { stdio: ["pipe", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
            child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
            child.stdin.on("error", () => undefined);
            child.stdin.end(opts.input ?? "");
            child.on("error", (err: NodeJS.ErrnoException) => {
                clearTimeout(timer);
                reject(
                    err.code === "ENOENT"
                        ? new Error(
                              "kubectl is not on PATH: adopting a Helm release reads and updates it with kubectl, using the stack's kubeconfig and context. Install kubectl (the version of your cluster) and run again.",
                          )
                        : err,
                );
            });
            child.on("close", (status) => {
                clearTimeout(timer);
                resolve({ status, stdout, stderr });
            });
        });
    } finally {
        config?.cleanup();
    }
}

/** What a failed kubectl call says, on one line (never the input, which may hold a Secret). */
export function kubectlFailure(args: readonly string[], r: KubectlResult): string {
    const said = r.stderr.trim().split("\n").filter(Boolean).join(" ") || `exit ${r.status}`;
    return `kubectl ${args.join(" ")}: ${said}`;
}

/** Runs kubectl and returns its output; throws, saying what kubectl said, unless it exits 0. */
export async function kubectlOk(
    conn: KubeConnection,
    args: readonly string[],
    opts: { readonly input?: string } = {},
): Promise<string> {
    const r = await kubectl(conn, args, opts);
    if (r.status !== 0) {
        throw new Error(kubectlFailure(args, r));
    }
    return r.stdout;
}

/** `kubectl … -o json`, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function kubectlJson(conn: KubeConnection, args: readonly string[]): Promise<any> {
    const out = await kubectlOk(conn, [...args, "-o", "json"]);
    return out.trim() === "" ? undefined : JSON.parse(out);
}

/** How kubectl names an object's type: `deployment.apps`, `secret` (core group). */
export function kubectlType(apiVersion: string, kind: string): string {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    return group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase();
}
