/**
 * The one kubeconfig resolver: which API server, and as whom, for the stack's `kubernetes.kubeconfig`
 * and `kubernetes.context` (the Automation API's target has the same two names). The preflight's
 * synchronous transport (`sync.ts`), the health gate's asynchronous one (`client.ts`) and the
 * adoption's kubectl (`kubectl.ts`) all start here, so a kubeconfig works, or fails with the same
 * words, everywhere.
 *
 * The rules are kubectl's (client-go's `clientcmd`, https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/):
 * - `kubernetes.kubeconfig` is the kubeconfig's contents when `isInlineKubeconfig` says so, else the
 *   path of one file (`~` expanded, relative to the working directory), which must exist;
 * - without it, the files of `$KUBECONFIG` (those that exist), else `~/.kube/config`, merged: the
 *   first file that names a cluster, user or context wins, and the first `current-context` set;
 * - paths a kubeconfig names (CA, client certificate and key, token file, an `exec` command with a
 *   slash) are relative to the file that names them;
 * - the context is `kubernetes.context`, else `current-context`; a user the context names but no
 *   file defines is anonymous;
 * - no kubeconfig at all and no context asked for: the pod's ServiceAccount, when running in a pod.
 *
 * Named imports only: the adoption's dynamic providers capture this module (see kubectl.ts).
 */
import { homedir } from "os";
import { join, resolve } from "path";
import { expandHome } from "./home";
import {
    Entry,
    KubeconfigError,
    KubeconfigSource,
    ResolveOptions,
    isFile,
    load,
    lookup,
    readNamed,
    where,
} from "./kubeconfig-files";

export { KubeconfigError, isInlineKubeconfig } from "./kubeconfig-files";
export type { KubeconfigSource, ResolveOptions } from "./kubeconfig-files";

/** An `exec` credential plugin (client.authentication.k8s.io). */
export interface ExecPlugin {
    /** As the kubeconfig gives it (for messages). */
    readonly name: string;
    /** What is run: absolute when the kubeconfig's has a slash, else looked up on `PATH`. */
    readonly command: string;
    readonly args: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly apiVersion: string;
    readonly installHint?: string;
    readonly provideClusterInfo: boolean;
}

/** Who to act as instead (`as`, `as-uid`, `as-groups`, `as-user-extra`). */
export interface Impersonation {
    readonly user?: string;
    readonly uid?: string;
    readonly groups: readonly string[];
    readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** A kubeconfig user, its files read (but for a token file, read at each use: it may rotate). */
export interface KubeUser {
    /** `user "admin"`, or the pod's ServiceAccount. */
    readonly label: string;
    readonly token?: string;
    readonly tokenFile?: string;
    readonly clientCertificate?: Buffer;
    readonly clientKey?: Buffer;
    readonly basic?: { readonly username: string; readonly password: string };
    readonly exec?: ExecPlugin;
    /** The removed `auth-provider` mechanism's name (kubectl may still speak `oidc`). */
    readonly authProvider?: string;
    readonly impersonate?: Impersonation;
}

/** A cluster and the credentials to reach it, as kubectl would pick them. */
export interface KubeAccess {
    /** The context's name; `undefined` in a pod without a kubeconfig. */
    readonly context?: string;
    /** For messages: `context "prod" (user "admin")`. */
    readonly describe: string;
    /** Without a trailing slash. */
    readonly server: string;
    readonly ca?: Buffer;
    readonly insecure: boolean;
    readonly tlsServerName?: string;
    readonly proxyUrl?: string;
    /** `cluster "prod"` (for messages). */
    readonly clusterLabel: string;
    /** The cluster's `client.authentication.k8s.io/exec` extension, for a plugin with `provideClusterInfo`. */
    readonly execClusterConfig?: unknown;
    readonly user: KubeUser;
    /** The same as a kubeconfig of one context, its files' paths absolute (what kubectl is given). */
    readonly kubeconfig: KubeconfigDocument;
}

export interface KubeconfigDocument {
    readonly apiVersion: "v1";
    readonly kind: "Config";
    readonly clusters: readonly { name: string; cluster: Entry }[];
    readonly users: readonly { name: string; user: Entry }[];
    readonly contexts: readonly { name: string; context: Entry }[];
    readonly "current-context": string;
}

const dataOr = (entry: Entry, dataKey: string, fileKey: string) =>
    typeof entry[dataKey] === "string" && entry[dataKey] !== ""
        ? { data: entry[dataKey] as string }
        : typeof entry[fileKey] === "string" && entry[fileKey] !== ""
          ? { file: entry[fileKey] as string }
          : undefined;

/** The entry with the paths it names made absolute (`~` expanded), relative to its file. */
function absolutePaths(entry: Entry, keys: readonly string[], dir: string, home: string): Entry {
    const out: Entry = { ...entry };
    for (const k of keys) {
        if (typeof out[k] === "string" && out[k] !== "") out[k] = resolve(dir, expandHome(out[k], home));
    }
    if (out.exec && typeof out.exec.command === "string" && out.exec.command.includes("/")) {
        out.exec = { ...out.exec, command: resolve(dir, expandHome(out.exec.command, home)) };
    }
    return out;
}

function execPlugin(exec: Entry, absCommand: string, label: string): ExecPlugin {
    if (typeof exec.command !== "string" || exec.command === "") {
        throw new KubeconfigError(`${label} has an \`exec\` without a \`command\``);
    }
    const env: Record<string, string> = {};
    for (const e of (exec.env ?? []) as Entry[]) {
        if (typeof e?.name === "string" && e.name !== "") env[e.name] = String(e.value ?? "");
    }
    return {
        name: exec.command,
        command: absCommand,
        args: ((exec.args ?? []) as unknown[]).map(String),
        env,
        apiVersion: typeof exec.apiVersion === "string" ? exec.apiVersion : "client.authentication.k8s.io/v1",
        installHint: typeof exec.installHint === "string" ? exec.installHint : undefined,
        provideClusterInfo: exec.provideClusterInfo === true,
    };
}

function impersonation(u: Entry): Impersonation | undefined {
    const groups = Array.isArray(u["as-groups"]) ? (u["as-groups"] as unknown[]).map(String) : [];
    const extra: Record<string, string[]> = {};
    for (const [k, v] of Object.entries((u["as-user-extra"] ?? {}) as Entry)) {
        extra[k] = (Array.isArray(v) ? v : [v]).map(String);
    }
    if (!u.as && !u["as-uid"] && groups.length === 0 && Object.keys(extra).length === 0) return undefined;
    return {
        user: typeof u.as === "string" && u.as !== "" ? u.as : undefined,
        uid: typeof u["as-uid"] === "string" && u["as-uid"] !== "" ? u["as-uid"] : undefined,
        groups,
        extra,
    };
}

function kubeUser(raw: Entry, original: Entry, label: string, describeFile: string): KubeUser {
    const cert = dataOr(raw, "client-certificate-data", "client-certificate");
    const key = dataOr(raw, "client-key-data", "client-key");
    const read = (d: { data?: string; file?: string } | undefined, k: string) =>
        d?.data !== undefined
            ? Buffer.from(d.data, "base64")
            : d?.file !== undefined
              ? readNamed(d.file, `the \`${k}\` of ${label} (${describeFile})`)
              : undefined;
    const basic =
        typeof raw.username === "string" && raw.username !== ""
            ? { username: raw.username, password: String(raw.password ?? "") }
            : undefined;
    return {
        label,
        token: typeof raw.token === "string" && raw.token !== "" ? raw.token : undefined,
        tokenFile: typeof raw.tokenFile === "string" && raw.tokenFile !== "" ? raw.tokenFile : undefined,
        clientCertificate: read(cert, "client-certificate"),
        clientKey: read(key, "client-key"),
        basic,
        exec: raw.exec ? execPlugin(original.exec, raw.exec.command, label) : undefined,
        authProvider: raw["auth-provider"] ? String(raw["auth-provider"].name ?? "unnamed") : undefined,
        impersonate: impersonation(raw),
    };
}

/** The pod's ServiceAccount, when running in a pod (client-go's `InClusterConfig`). */
function inCluster(env: NodeJS.ProcessEnv, dir: string): KubeAccess | undefined {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    const tokenFile = join(dir, "token");
    if (!host || !port || !isFile(tokenFile)) return undefined;
    const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const caFile = join(dir, "ca.crt");
    const describe = "the pod's ServiceAccount";
    const name = "in-cluster";
    return {
        describe,
        server,
        ca: readNamed(caFile, "the ServiceAccount's CA"),
        insecure: false,
        clusterLabel: "the pod's cluster",
        user: { label: describe, tokenFile },
        kubeconfig: {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name, cluster: { server, "certificate-authority": caFile } }],
            users: [{ name, user: { tokenFile } }],
            contexts: [{ name, context: { cluster: name, user: name } }],
            "current-context": name,
        },
    };
}

/**
 * Resolves a source as kubectl would; throws `KubeconfigError` naming what is wrong. Files the
 * kubeconfig names are read now (but a token file), credentials are not issued: see
 * `credentials.ts`.
 */
export function resolveKubeconfig(
    source: KubeconfigSource,
    env: NodeJS.ProcessEnv = process.env,
    opts: ResolveOptions = {},
): KubeAccess {
    const home = opts.home ?? homedir();
    const files = load(source, env, opts);
    if (files.length === 0 && !source.context) {
        const pod = inCluster(env, opts.inClusterDir ?? "/var/run/secrets/kubernetes.io/serviceaccount");
        if (pod) return pod;
    }
    if (files.length === 0) {
        const looked = env.KUBECONFIG ? `$KUBECONFIG=${env.KUBECONFIG}` : join(home, ".kube", "config");
        throw new KubeconfigError(
            `no kubeconfig found: \`kubernetes.kubeconfig\` is not set, no file at ${looked}, and not running in a pod`,
        );
    }
    const fromKey = source.context ? "`kubernetes.context`" : "the `current-context`";
    const context = source.context || files.map((f) => f.doc["current-context"]).find((c) => !!c);
    const contextNames = () => {
        const all = [...new Set(files.flatMap((f) => ((f.doc.contexts ?? []) as Entry[]).map((c) => c?.name)))];
        return all.length > 0 ? `one of ${all.map((c) => JSON.stringify(c)).join(", ")}` : "a context, and it has none";
    };
    if (!context) {
        throw new KubeconfigError(
            `the kubeconfig (${where(files)}) has no \`current-context\`: set \`kubernetes.context\` to ${contextNames()}`,
        );
    }
    const ctx = lookup(files, "contexts", context);
    if (!ctx) {
        throw new KubeconfigError(
            `context ${JSON.stringify(context)} is not in the kubeconfig (${where(files)}); ${fromKey} must name ${contextNames()}`,
        );
    }
    const clusterName = ctx.value.cluster;
    const clusterEntry = typeof clusterName === "string" ? lookup(files, "clusters", clusterName) : undefined;
    if (!clusterEntry) {
        throw new KubeconfigError(
            `context ${JSON.stringify(context)} (${ctx.file.label}) names ${clusterName ? `cluster ${JSON.stringify(clusterName)}, which is not in the kubeconfig` : "no cluster"}`,
        );
    }
    const clusterLabel = `cluster ${JSON.stringify(clusterName)}`;
    const c = absolutePaths(clusterEntry.value, ["certificate-authority"], clusterEntry.file.dir, home);
    if (typeof c.server !== "string" || c.server === "") {
        throw new KubeconfigError(`${clusterLabel} (${clusterEntry.file.label}) has no \`server\``);
    }
    try {
        new URL(c.server);
    } catch {
        throw new KubeconfigError(`the \`server\` of ${clusterLabel} (${clusterEntry.file.label}) is not a URL`);
    }
    const ca = dataOr(c, "certificate-authority-data", "certificate-authority");

    const userName = typeof ctx.value.user === "string" && ctx.value.user !== "" ? ctx.value.user : undefined;
    const userEntry = userName ? lookup(files, "users", userName) : undefined;
    const userLabel = userName ? `user ${JSON.stringify(userName)}` : "the anonymous user";
    const u = userEntry
        ? absolutePaths(userEntry.value, ["client-certificate", "client-key", "tokenFile"], userEntry.file.dir, home)
        : {};
    const user = kubeUser(u, userEntry?.value ?? {}, userLabel, userEntry?.file.label ?? where(files));
    return {
        context,
        describe: `context ${JSON.stringify(context)} (${userName ? userLabel : "no user"})`,
        server: c.server.replace(/\/+$/, ""),
        ca:
            ca?.data !== undefined
                ? Buffer.from(ca.data, "base64")
                : ca?.file !== undefined
                  ? readNamed(ca.file, `the \`certificate-authority\` of ${clusterLabel} (${clusterEntry.file.label})`)
                  : undefined,
        insecure: c["insecure-skip-tls-verify"] === true,
        tlsServerName: typeof c["tls-server-name"] === "string" ? c["tls-server-name"] : undefined,
        proxyUrl: typeof c["proxy-url"] === "string" && c["proxy-url"] !== "" ? c["proxy-url"] : undefined,
        clusterLabel,
        execClusterConfig: c.extensions?.find?.((e: Entry) => e?.name === "client.authentication.k8s.io/exec")
            ?.extension,
        user,
        kubeconfig: {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: clusterName, cluster: c }],
            users: [{ name: userName ?? "anonymous", user: u }],
            contexts: [{ name: context, context: { ...ctx.value, user: userName ?? "anonymous" } }],
            "current-context": context,
        },
    };
}
