/**
 * Entry points: `parseBacklineConfig` checks a plain object (unit tests and the Automation API call
 * it), `loadBacklineConfig` reads the Pulumi stack configuration and throws
 * `ConfigValidationError` listing every problem before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { plaintextProxyCredentials } from "./proxy-credentials";
import { ConfigProblem, ConfigValidationError, problemsOf } from "./problems";
import { backlineConfigSchema, ResolvedConfig } from "./resolve";

export type ParseResult =
    | { readonly ok: true; readonly config: ResolvedConfig; readonly problems: readonly [] }
    | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

export interface ParseOptions {
    /** Whether `accessKey` is stored encrypted (`pulumi config set --secret`). Default: `true`. */
    readonly accessKeyIsSecret?: boolean;
    /**
     * Whether the `proxy` object holds an encrypted value (`pulumi config set --secret --path
     * proxy.httpsProxy …`); a proxy URL with credentials is refused otherwise. Default: `true`.
     */
    readonly proxyIsSecret?: boolean;
}

/**
 * Checks a stack configuration (the `backline:*` keys without their prefix, objects as objects)
 * and applies the defaults. Pure: the access key is returned as given.
 */
export function parseBacklineConfig(values: unknown, opts: ParseOptions = {}): ParseResult {
    const result = backlineConfigSchema.safeParse(values, { reportInput: true });
    const problems = result.success ? [] : problemsOf(result.error.issues);
    const accessKey = (values as { accessKey?: unknown } | undefined)?.accessKey;
    if (opts.accessKeyIsSecret === false && accessKey !== undefined && accessKey !== "") {
        // Said first and alone: whatever else is wrong with the key, it must move out of the file.
        const others = problems.filter((p) => p.key !== "accessKey");
        problems.length = 0;
        problems.push(
            {
                key: "accessKey",
                message:
                    "is stored in plaintext in the stack file; store it encrypted with `pulumi config set --secret accessKey <key>` (value not shown).",
            },
            ...others,
        );
    }
    if (opts.proxyIsSecret === false) problems.push(...plaintextProxyCredentials(values));
    if (problems.length > 0 || !result.success) {
        return { ok: false, problems };
    }
    return { ok: true, config: result.data, problems: [] };
}

/** Whether a config key is stored as a secret. Not in the SDK's typings, hence the guard. */
function isConfigSecret(fullKey: string): boolean | undefined {
    const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return typeof fn === "function" ? fn(fullKey) : undefined;
}

/** A stored value: objects and lists are JSON (`pulumi config set --path`), anything else is text. */
function valueOf(text: string): unknown {
    if (!/^\s*[[{]/.test(text)) return text;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** The `<project>:*` keys of the stack configuration, without the prefix, uninterpreted. */
export function readStackConfig(project = pulumi.getProject()): {
    readonly values: Readonly<Record<string, unknown>>;
    readonly accessKeyIsSecret?: boolean;
    readonly proxyIsSecret?: boolean;
} {
    const prefix = `${project}:`;
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) values[key.slice(prefix.length)] = valueOf(text);
    }
    return {
        values,
        accessKeyIsSecret: isConfigSecret(`${prefix}accessKey`),
        // The engine marks an object secret when any value inside it is (`--secret --path`).
        proxyIsSecret: isConfigSecret(`${prefix}proxy`),
    };
}

/** Reads and checks the stack configuration; throws `ConfigValidationError` listing every problem. */
export function loadBacklineConfig(project = pulumi.getProject()): ResolvedConfig {
    const { values, accessKeyIsSecret, proxyIsSecret } = readStackConfig(project);
    const result = parseBacklineConfig(values, { accessKeyIsSecret, proxyIsSecret });
    if (!result.ok) {
        throw new ConfigValidationError(result.problems);
    }
    return result.config;
}
