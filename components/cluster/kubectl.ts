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
import { spawnSync } from "child_process";
// Named imports only: a namespace import is copied by swc's interop helper, and Pulumi's closure
// serializer (the dynamic providers capture this module) then tries to serialize Node's own
// functions instead of emitting `require("fs")`.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { expandHome } from "../paths";

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
    const asPath = expandHome(kubeconfig);
    if (!kubeconfig.includes("\n") && existsSync(asPath)) {
        return { file: asPath, cleanup: () => undefined };
    }
    // Contents: a private file for the duration of one call.
    const dir = mkdtempSync(join(tmpdir(), "backline-kubeconfig-"));
    const file = join(dir, "config");
    writeFileSync(file, kubeconfig, { mode: 0o600 });
    return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs kubectl against the connection's cluster; never throws for a non-zero exit. Synchronous: the
 * program reads the release before it declares anything, and a program that fails asynchronously
 * takes the engine 45 s longer to report it than one that throws at once (measured with this
 * repository's engine build; docs/helm-adoption.md).
 */
export function kubectl(
    conn: KubeConnection,
    args: readonly string[],
    opts: { readonly input?: string; readonly timeoutMs?: number } = {},
): KubectlResult {
    const config = conn.kubeconfig ? kubeconfigFile(conn.kubeconfig) : undefined;
    const full = [
        ...(config ? ["--kubeconfig", config.file] : []),
        ...(conn.context ? ["--context", conn.context] : []),
        ...args,
    ];
    try {
        const r = spawnSync("kubectl", full, {
            input: opts.input ?? "",
            encoding: "utf8",
            timeout: opts.timeoutMs ?? 120_000,
            maxBuffer: 256 * 1024 * 1024,
        });
        if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
            throw new Error(
                "kubectl is not on PATH: adopting a Helm release reads and updates it with kubectl, using the stack's kubeconfig and context. Install kubectl (the version of your cluster) and run again.",
            );
        }
        if (r.error) {
            throw r.error;
        }
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
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
export function kubectlOk(
    conn: KubeConnection,
    args: readonly string[],
    opts: { readonly input?: string } = {},
): string {
    const r = kubectl(conn, args, opts);
    if (r.status !== 0) {
        throw new Error(kubectlFailure(args, r));
    }
    return r.stdout;
}

/** `kubectl … -o json`, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kubectlJson(conn: KubeConnection, args: readonly string[]): any {
    const out = kubectlOk(conn, [...args, "-o", "json"]);
    return out.trim() === "" ? undefined : JSON.parse(out);
}

/** How kubectl names an object's type: `deployment.apps`, `secret` (core group). */
export function kubectlType(apiVersion: string, kind: string): string {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    return group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase();
}
