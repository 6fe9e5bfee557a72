/**
 * Finding and reading the kubeconfig files of the resolver (`kubeconfig.ts`): contents or path,
 * `$KUBECONFIG`, `~/.kube/config`, and what is wrong with a file that cannot be read or parsed.
 *
 * Named imports only: the adoption's dynamic providers capture this module (see kubectl.ts).
 */
import { readFileSync, statSync } from "fs";
import { homedir } from "os";
import { delimiter, dirname, join, resolve } from "path";
import { YAMLParseError, parse } from "yaml";
import { expandHome } from "./home";

/* eslint-disable @typescript-eslint/no-explicit-any -- a kubeconfig is YAML the user wrote */
export type Entry = Record<string, any>;

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
export interface Loaded {
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

export function isFile(p: string): boolean {
    try {
        return statSync(p).isFile();
    } catch {
        return false;
    }
}

export function load(source: KubeconfigSource, env: NodeJS.ProcessEnv, opts: ResolveOptions): Loaded[] {
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
export function lookup(files: readonly Loaded[], list: "clusters" | "users" | "contexts", name: string) {
    const key = list.slice(0, -1);
    for (const f of files) {
        const hit = (f.doc[list] as Entry[] | undefined)?.find((e) => e?.name === name);
        if (hit) return { value: (hit[key] ?? {}) as Entry, file: f };
    }
    return undefined;
}

export function where(files: readonly Loaded[]): string {
    return files.map((f) => f.label).join(", ");
}

/** A file a kubeconfig names, read; the error names the key, its owner and the file. */
export function readNamed(path: string, what: string): Buffer {
    try {
        return readFileSync(path);
    } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new KubeconfigError(
            `cannot read ${what} ${path}: ${e.code === "ENOENT" ? "the file does not exist" : (e.code ?? e.message)}`,
        );
    }
}
