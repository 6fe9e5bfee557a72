/**
 * Problems: zod's issues turned into sentences that name the key as `pulumi config set --path`
 * writes it (`worker.env[0].name`), the rejected value (never a secret's) and what is accepted,
 * with "did you mean" for unknown keys; and the error that carries them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { show } from "./fields";
import { isSecretPath, knownKeysAt } from "./reference";

export interface ConfigProblem {
    /** The configuration key, as typed with `pulumi config set --path` (e.g. `worker.env[0].name`). */
    readonly key: string;
    readonly message: string;
}

/** A key path as `pulumi config set --path` writes it: `a.b[0].c`, and `a["kubernetes.io/os"]`. */
export function keyOf(path: readonly PropertyKey[]): string {
    let out = "";
    for (const step of path) {
        if (typeof step === "number") {
            out += `[${step}]`;
        } else if (/^[A-Za-z_$][\w$-]*$/.test(String(step))) {
            out += out === "" ? String(step) : `.${String(step)}`;
        } else {
            out += `[${JSON.stringify(String(step))}]`;
        }
    }
    return out;
}

/** Classic Levenshtein distance, for "did you mean" hints on misspelt keys. */
function editDistance(a: string, b: string): number {
    const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) {
        rows[0][j] = j;
    }
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
            rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        }
    }
    return rows[a.length][b.length];
}

/** The closest known key, when it is close enough to be a likely typo. */
function suggestKey(unknown: string, known: readonly string[]): string | undefined {
    const lower = unknown.toLowerCase();
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const d = editDistance(unknown, candidate);
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    if (bestDistance <= Math.max(2, Math.floor(unknown.length / 3))) {
        return best;
    }
    // `replicas` for `replicaCount`: a long shared beginning is as telling as a small distance.
    const sharedPrefix = (k: string) => {
        let i = 0;
        while (i < k.length && i < lower.length && k[i].toLowerCase() === lower[i]) i++;
        return i;
    };
    const byPrefix = known.map((k) => ({ k, n: sharedPrefix(k) })).sort((a, b) => b.n - a.n)[0];
    return byPrefix && byPrefix.n >= Math.min(5, lower.length) ? byPrefix.k : undefined;
}

function unknownKey(parent: readonly PropertyKey[], key: string): ConfigProblem {
    const known = knownKeysAt(parent) ?? [];
    const hint = suggestKey(key, known);
    const list = known.map((k) => `\`${k}\``).join(", ");
    return {
        key: keyOf([...parent, key]),
        message: `unknown key${hint ? `; did you mean \`${keyOf([...parent, hint])}\`?` : "."} ${
            parent.length === 0 ? "Known top-level keys" : "Known keys here"
        }: ${list}.`,
    };
}

interface RelatedKey {
    /** How many steps up from the issue's path, then down `path`. */
    readonly up: number;
    readonly path: readonly PropertyKey[];
}

function sentence(text: string): string {
    return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** One issue as problems (an unknown-keys issue names several keys). */
function problemsOfIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
    const path = issue.path;
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => unknownKey(path, k));
    }
    const params =
        issue.code === "custom"
            ? (issue.params as { verbatim?: boolean; related?: RelatedKey } | undefined)
            : undefined;
    let message = issue.message;
    if (params?.related) {
        const related = [...path.slice(0, path.length - params.related.up), ...params.related.path];
        message = message.replace("{related}", `\`${keyOf(related)}\``);
    }
    if (!params?.verbatim && issue.input !== undefined && !isSecretPath(path)) {
        message = `got ${show(issue.input)}; ${message}`;
    }
    return [{ key: keyOf(path), message: sentence(message) }];
}

/** The problems, each once (several rules may find the same). */
export function uniqueProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const id = `${p.key}\u0000${p.message}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
    });
}

/** Every issue of a failed parse, as problems, each once. */
export function problemsOf(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
    return uniqueProblems(issues.flatMap(problemsOfIssue));
}

/** The problems as one message; `footer` says what to do (the CLI's advice by default). */
export function formatProblems(
    problems: readonly ConfigProblem[],
    footer = "Fix them with `pulumi config set [--path] <key> <value>` (or `--secret` for `accessKey`) and run again; nothing was changed.",
): string {
    const header = `Invalid Backline configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):`;
    const lines = problems.map((p) => `  - \`${p.key}\`: ${p.message}`);
    return [header, ...lines, footer].join("\n");
}

/**
 * Thrown by `loadBacklineConfig`. A `pulumi.RunError` so the CLI prints the message without a
 * stack trace: https://www.pulumi.com/docs/reference/pkg/nodejs/pulumi/pulumi/classes/runerror/
 */
export class ConfigValidationError extends pulumi.RunError {
    public readonly problems: readonly ConfigProblem[];

    /** `footer`: what to do, when the problems are not in the stack configuration (`formatProblems`). */
    constructor(problems: readonly ConfigProblem[], footer?: string) {
        super(formatProblems(problems, footer));
        this.name = "ConfigValidationError";
        this.problems = problems;
    }
}
