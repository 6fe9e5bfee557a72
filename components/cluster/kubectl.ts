/**
 * The adoption talks to the cluster through `kubectl`, with the kubeconfig and context of the stack's
 * Kubernetes provider (`kubernetes.kubeconfig`, `kubernetes.context`, else `$KUBECONFIG` /
 * `~/.kube/config` and its current context, else the pod's ServiceAccount).
 *
 * kubectl does not read that configuration itself: the one resolver (`kubeconfig.ts`) picks the
 * context, and kubectl is given a kubeconfig of just that context, its cluster and its user, with
 * absolute paths, in a private file for the duration of one call. An `exec` credential plugin is run
 * by `credentials.ts` (with its timeout) and its credential written in the user's place. So a
 * kubeconfig that the preflight or the health gate cannot use fails here with the same message.
 *
 * Why kubectl rather than REST calls: server-side dry runs with their warnings, JSON patches guarded
 * by a test, `--show-managed-fields`, type names resolved by discovery — the adoption reads and
 * writes objects of any kind of the chart's release (docs/helm-adoption.md).
 *
 * These functions also run inside the dynamic providers' process (`providers.ts`), which Pulumi
 * starts from a serialized copy of them: they and what they import use nothing but Node's own
 * modules and `yaml`.
 */
import { spawnSync } from "child_process";
// Named imports only: a namespace import is copied by swc's interop helper, and Pulumi's closure
// serializer (the dynamic providers capture this module) then tries to serialize Node's own
// functions instead of emitting `require("fs")`.
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { issueSync, needsExec } from "./credentials";
import { KubeAccess, KubeconfigSource, resolveKubeconfig } from "./kubeconfig";

/** Which cluster: the provider's settings. */
export type KubeConnection = KubeconfigSource;

export interface KubectlResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** The access as a kubeconfig for kubectl: an exec plugin's place taken by what it issued. */
function kubectlConfig(a: KubeAccess, env: NodeJS.ProcessEnv): object {
    const plugin = needsExec(a);
    if (!plugin) return a.kubeconfig;
    const issued = issueSync(a, plugin, env);
    const [{ name, user }] = a.kubeconfig.users;
    const { exec: _exec, ...rest } = user;
    const credential = issued.token
        ? { token: issued.token }
        : {
              "client-certificate-data": issued.clientCertificate?.toString("base64"),
              "client-key-data": issued.clientKey?.toString("base64"),
          };
    return { ...a.kubeconfig, users: [{ name, user: { ...rest, ...credential } }] };
}

/** The connection's kubeconfig in a private file, for the duration of one call. */
function kubeconfigFile(conn: KubeConnection): { file: string; cleanup: () => void } {
    const config = kubectlConfig(resolveKubeconfig(conn), process.env);
    const dir = mkdtempSync(join(tmpdir(), "backline-kubeconfig-"));
    const file = join(dir, "config");
    try {
        // JSON is YAML: kubectl reads it as a kubeconfig.
        writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
    }
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
    const config = kubeconfigFile(conn);
    const full = ["--kubeconfig", config.file, ...args];
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
        config.cleanup();
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
