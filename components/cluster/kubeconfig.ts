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
import { readFileSync, statSync } from "fs";
import { homedir } from "os";
import { delimiter, dirname, join, resolve } from "path";
import { YAMLParseError, parse } from "yaml";
import { expandHome } from "./home";

/** The provider's `kubernetes.kubeconfig` and `kubernetes.context`. */
export interface KubeconfigSource {
    /** A kubeconfig's path, or its contents (`isInlineKubeconfig`). @default `$KUBECONFIG`, else `~/.kube/config` */
    readonly kubeconfig?: string;
    /** @default the kubeconfig's `current-context` */
    readonly context?: string;
}

/** Where the resolver looks besides the source; tests point these elsewhere. */
export interface ResolveOptions {
    /** @default `os.homedir()` */
    readonly home?: string;
    /** Relative paths of `kubernetes.kubeconfig` and `$KUBECONFIG`. @default `process.cwd()` */
    readonly cwd?: string;
    /** The ServiceAccount's token and CA in a pod. @default `/var/run/secrets/kubernetes.io/serviceaccount` */
    readonly inClusterDir?: string;
}

/** What is wrong with a kubeconfig: which file, key, context or user. Never shows a credential. */
export class KubeconfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KubeconfigError";
    }
}

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

/* eslint-disable @typescript-eslint/no-explicit-any -- a kubeconfig is YAML the user wrote */
type Entry = Record<string, any>;
export interface KubeconfigDocument {
    readonly apiVersion: "v1";
    readonly kind: "Config";
    readonly clusters: readonly { name: string; cluster: Entry }[];
    readonly users: readonly { name: string; user: Entry }[];
    readonly contexts: readonly { name: string; context: Entry }[];
    readonly "current-context": string;
}

/**
 * Whether a `kubernetes.kubeconfig` value is the kubeconfig's contents rather than its path: it has a
 * line break, or starts with `{` (JSON) or with `apiVersion:`, `kind:` or `clusters:` (one-line YAML).
 * Anything else is a path, and a path that names no file is an error, never parsed as a kubeconfig.
 * (pulumi-kubernetes reads a value as a path when such a file exists: the two agree on every value
 * that works.)
 */
export function isInlineKubeconfig(kubeconfig: string): boolean {
    return /[\r\n]/.test(kubeconfig) || /^\s*(\{|apiVersion\s*:|kind\s*:|clusters\s*:)/.test(kubeconfig);
}

/** One loaded file (or the inline contents). */
interface Loaded {
    /** `/home/me/.kube/config`, or `the inline kubeconfig`. */
    readonly label: string;
    /** Relative paths in it are relative to this folder. */
    readonly dir: string;
    readonly doc: Entry;
}

const inline = "`kubernetes.kubeconfig` (given inline)";
const notFoundHint =
    ". A one-line `kubernetes.kubeconfig` that does not start with `{` or `apiVersion:` is a path: " +
    "give the path of an existing kubeconfig file, or the kubeconfig's contents";

function parseDocument(text: string, label: string, dir: string): Loaded {
    let doc: unknown;
    try {
        doc = parse(text);
    } catch (err) {
        // The parser's own message quotes the source, which may hold a credential: position only.
        const at = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : "";
        const code = err instanceof YAMLParseError ? ` (${err.code})` : "";
        throw new KubeconfigError(`the kubeconfig ${label} is not valid YAML${at}${code}`);
    }
    if (doc === null || doc === undefined) return { label, dir, doc: {} };
    if (typeof doc !== "object" || Array.isArray(doc)) {
        throw new KubeconfigError(`the kubeconfig ${label} is not a kubeconfig (a YAML mapping of \`clusters\`, …)`);
    }
    for (const list of ["clusters", "users", "contexts"]) {
        const v = (doc as Entry)[list];
        if (v !== undefined && v !== null && !Array.isArray(v)) {
            throw new KubeconfigError(`the kubeconfig ${label} has a \`${list}\` that is not a list`);
        }
    }
    return { label, dir, doc: doc as Entry };
}

function readDocument(file: string, origin: string, hint = ""): Loaded {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const reason = e.code === "ENOENT" ? `the file does not exist${hint}` : (e.code ?? e.message);
        throw new KubeconfigError(`cannot read the kubeconfig ${file} (${origin}): ${reason}`);
    }
    return parseDocument(text, file, dirname(file));
}

function isFile(p: string): boolean {
    try {
        return statSync(p).isFile();
    } catch {
        return false;
    }
}

function load(source: KubeconfigSource, env: NodeJS.ProcessEnv, opts: ResolveOptions): Loaded[] {
    const home = opts.home ?? homedir();
    const cwd = opts.cwd ?? process.cwd();
    const k = source.kubeconfig;
    if (k !== undefined && k !== "") {
        if (isInlineKubeconfig(k)) return [parseDocument(k, inline, cwd)];
        const file = resolve(cwd, expandHome(k, home));
        return [readDocument(file, "`kubernetes.kubeconfig`", notFoundHint)];
    }
    const listed = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter((f) => f !== "") : undefined;
    const files = [
        ...new Set((listed ?? [join(home, ".kube", "config")]).map((f) => resolve(cwd, expandHome(f, home)))),
    ];
    return files.filter(isFile).map((f) => readDocument(f, listed ? "in $KUBECONFIG" : "the default kubeconfig"));
}

/** First-wins lookup across the merged files, with the file that had it. */
function lookup(files: readonly Loaded[], list: "clusters" | "users" | "contexts", name: string) {
    const key = list.slice(0, -1);
    for (const f of files) {
        const hit = (f.doc[list] as Entry[] | undefined)?.find((e) => e?.name === name);
        if (hit) return { value: (hit[key] ?? {}) as Entry, file: f };
    }
    return undefined;
}

function where(files: readonly Loaded[]): string {
    return files.map((f) => f.label).join(", ");
}

const dataOr = (entry: Entry, dataKey: string, fileKey: string) =>
    typeof entry[dataKey] === "string" && entry[dataKey] !== ""
        ? { data: entry[dataKey] as string }
        : typeof entry[fileKey] === "string" && entry[fileKey] !== ""
          ? { file: entry[fileKey] as string }
          : undefined;

/** A file a kubeconfig names, read; the error names the key, its owner and the file. */
function readNamed(path: string, what: string): Buffer {
    try {
        return readFileSync(path);
    } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new KubeconfigError(
            `cannot read ${what} ${path}: ${e.code === "ENOENT" ? "the file does not exist" : (e.code ?? e.message)}`,
        );
    }
}

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
