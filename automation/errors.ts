/**
 * The errors a host of the Automation API handles. Every operation rejects with one of these
 * (or passes through an `AbortError`-like rejection when the caller's signal aborts it); none
 * of them carries a secret, and nothing here calls `process.exit`.
 *
 * - `InvalidConfigError`: the input was refused before the engine started; `problems` lists
 *   every problem with the program's own messages.
 * - `ConcurrentUpdateError`: another update holds the stack (in this process or elsewhere).
 * - `EngineMissingError`: no usable Pulumi CLI, language host or plugin.
 * - `StackNotFoundError`: `refresh`/`destroy`/`outputs` on a stack that does not exist.
 * - `UpdateFailedError`: the engine ran and failed; `engineMessage` and the output tails say why.
 */
import * as automation from "@pulumi/pulumi/automation";
import { formatProblems } from "../components/config";
import type { ConfigProblem } from "../components/config";

export type Operation = "preview" | "up" | "refresh" | "destroy" | "outputs" | "history";

/** Base class: `instanceof BacklineAutomationError` catches every error of this API. */
export abstract class BacklineAutomationError extends Error {
    abstract readonly kind:
        "invalid-config" | "concurrent-update" | "engine-missing" | "stack-not-found" | "update-failed";
}

export function formatInvalidConfig(problems: readonly ConfigProblem[]): string {
    return formatProblems(problems, "Nothing was changed; the engine was not started.");
}

export class InvalidConfigError extends BacklineAutomationError {
    readonly kind = "invalid-config" as const;
    readonly problems: readonly ConfigProblem[];

    constructor(problems: readonly ConfigProblem[]) {
        super(formatInvalidConfig(problems));
        this.name = "InvalidConfigError";
        this.problems = problems;
    }
}

export class ConcurrentUpdateError extends BacklineAutomationError {
    readonly kind = "concurrent-update" as const;
    readonly stackName: string;
    /** What holds the stack, as the engine (or this process) reported it. */
    readonly detail: string;

    constructor(stackName: string, detail: string) {
        super(
            `Another update is in progress on stack "${stackName}"; wait for it to finish and try again. ${detail}`.trim(),
        );
        this.name = "ConcurrentUpdateError";
        this.stackName = stackName;
        this.detail = detail;
    }
}

export const engineInstallHint =
    "Build the engine from source with `scripts/build-engine.sh` (it writes .cache/engine/bin; pass `engineBinDir` or " +
    "`source scripts/engine-env.sh`), or install Pulumi (https://www.pulumi.com/docs/install/) so `pulumi` is on PATH.";

export class EngineMissingError extends BacklineAutomationError {
    readonly kind = "engine-missing" as const;
    /** What is missing: `pulumi`, `pulumi-language-nodejs`, `pulumi-resource-aws`, … */
    readonly missing: string;
    /** Where it was looked for. */
    readonly searched: readonly string[];

    constructor(missing: string, searched: readonly string[], detail?: string) {
        const what =
            missing !== "pulumi"
                ? `The Pulumi engine cannot run the Backline program: \`${missing}\` is missing${detail ? ` (the engine said: ${detail})` : ""}.`
                : detail
                  ? `No usable Pulumi CLI: ${detail}.`
                  : `No Pulumi CLI found${searched.length ? ` (looked for \`pulumi\` in ${searched.join(", ")})` : ""}.`;
        super(`${what} ${engineInstallHint}`);
        this.name = "EngineMissingError";
        this.missing = missing;
        this.searched = searched;
    }
}

export class StackNotFoundError extends BacklineAutomationError {
    readonly kind = "stack-not-found" as const;
    readonly stackName: string;

    constructor(stackName: string) {
        super(`Stack "${stackName}" does not exist in this backend; run \`up\` (or \`preview\`) to create it.`);
        this.name = "StackNotFoundError";
        this.stackName = stackName;
    }
}

export class UpdateFailedError extends BacklineAutomationError {
    readonly kind = "update-failed" as const;
    readonly operation: Operation;
    readonly stackName: string;
    /** The engine's own error message(s), secrets redacted. */
    readonly engineMessage: string;
    /** The last lines of the engine's stdout and stderr, secrets redacted. */
    readonly stdoutTail: string;
    readonly stderrTail: string;
    readonly exitCode?: number;

    constructor(args: {
        operation: Operation;
        stackName: string;
        engineMessage: string;
        stdoutTail: string;
        stderrTail: string;
        exitCode?: number;
    }) {
        super(`${args.operation} of stack "${args.stackName}" failed: ${args.engineMessage}`);
        this.name = "UpdateFailedError";
        this.operation = args.operation;
        this.stackName = args.stackName;
        this.engineMessage = args.engineMessage;
        this.stdoutTail = args.stdoutTail;
        this.stderrTail = args.stderrTail;
        this.exitCode = args.exitCode;
    }
}

// ---------------------------------------------------------------------------------------------
// Text helpers.
// ---------------------------------------------------------------------------------------------

export const REDACTED = "[secret]";

/** Replaces every occurrence of each secret (longest first) with `[secret]`. */
export function redact(text: string, secrets: readonly string[]): string {
    let out = text;
    for (const s of [...secrets].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)) {
        out = out.split(s).join(REDACTED);
    }
    return out;
}

/** Drops ANSI escapes and the engine's `<{%reset%}>` colour tags. */
export function plainText(text: string): string {
    // eslint-disable-next-line no-control-regex
    return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/<\{%[^%]*%\}>/g, "");
}

/** The last `maxLines` non-empty lines, at most `maxChars` characters. */
export function tail(text: string, maxLines = 40, maxChars = 4000): string {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    let out = lines.slice(-maxLines).join("\n");
    if (out.length > maxChars) {
        out = `…${out.slice(out.length - maxChars + 1)}`;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Classification of what the automation SDK throws.
// ---------------------------------------------------------------------------------------------

export interface ClassifyContext {
    readonly operation: Operation;
    readonly stackName: string;
    /** Values to redact everywhere. */
    readonly secrets: readonly string[];
    /** Error diagnostics the engine emitted as events during the operation. */
    readonly diagnostics?: readonly string[];
    /** Output captured during the operation (used when the error carries none). */
    readonly stdout?: string;
    readonly stderr?: string;
    /** Where the CLI was looked for / found, for `EngineMissingError`. */
    readonly engineSearched?: readonly string[];
}

interface CommandResultLike {
    readonly stdout?: string;
    readonly stderr?: string;
    readonly code?: number;
    readonly err?: {
        readonly code?: unknown;
        readonly message?: string;
        readonly stdout?: unknown;
        readonly stderr?: unknown;
        readonly exitCode?: unknown;
    };
}

function commandResultOf(err: unknown): CommandResultLike | undefined {
    const r = (err as { commandResult?: unknown } | null | undefined)?.commandResult;
    return r && typeof r === "object" ? (r as CommandResultLike) : undefined;
}

function errorName(err: unknown): string | undefined {
    return err instanceof Error ? err.name : (err as { name?: string } | null | undefined)?.name;
}

const lockPatterns = [
    /the stack is currently locked by/i,
    /\[409\] Conflict: Another update is currently in progress/i,
];

const missingPluginPatterns: readonly RegExp[] = [
    /no (?:resource|language|analyzer|converter) plugin '([\w.-]+)' found/i,
    /failed to load language plugin ([\w.-]+)/i,
    /could not (?:find|locate) (?:the )?(?:plugin|binary) '?(pulumi-[\w.-]+)'?/i,
];

/** Turns whatever an engine call threw into one of this API's typed errors. */
export function classifyEngineError(err: unknown, ctx: ClassifyContext): BacklineAutomationError {
    if (err instanceof BacklineAutomationError) {
        return err;
    }
    const result = commandResultOf(err);
    const message = err instanceof Error ? err.message : String(err);
    // When the CLI exits non-zero, the SDK reports its process error (execa's) with code -2 and
    // that error's message (command line plus all output) as stderr; the real streams and exit
    // code are on the process error.
    const proc = (result?.err ?? {}) as { stdout?: unknown; stderr?: unknown; exitCode?: unknown };
    const stdout = (typeof proc.stdout === "string" ? proc.stdout : "") || result?.stdout || ctx.stdout || "";
    const stderr = (typeof proc.stderr === "string" ? proc.stderr : "") || result?.stderr || ctx.stderr || "";
    const exitCode = typeof proc.exitCode === "number" ? proc.exitCode : result?.code;
    const everything = plainText(
        `${stderr}\n${stdout}\n${(ctx.diagnostics ?? []).join("\n")}\n${result ? "" : message}`,
    );
    const clean = (s: string) => redact(plainText(s), ctx.secrets);

    // The CLI itself could not be started.
    const spawnCode = result?.err?.code;
    if (spawnCode === "ENOENT" || (result?.code === -2 && /ENOENT/.test(stderr))) {
        return new EngineMissingError("pulumi", ctx.engineSearched ?? []);
    }

    if (
        err instanceof automation.ConcurrentUpdateError ||
        errorName(err) === "ConcurrentUpdateError" ||
        lockPatterns.some((p) => p.test(everything))
    ) {
        const line = everything.split("\n").find((l) => lockPatterns.some((p) => p.test(l)));
        return new ConcurrentUpdateError(
            ctx.stackName,
            clean(line ?? "")
                .trim()
                .replace(/^error:\s*/, ""),
        );
    }

    if (err instanceof automation.StackNotFoundError || errorName(err) === "StackNotFoundError") {
        return new StackNotFoundError(ctx.stackName);
    }

    for (const p of missingPluginPatterns) {
        const m = p.exec(everything);
        if (m) {
            let missing = m[1];
            if (/^nodejs$/i.test(missing)) missing = "pulumi-language-nodejs";
            const detail = everything.slice(m.index).split("\n")[0];
            return new EngineMissingError(missing, [], clean(detail).trim());
        }
    }

    return new UpdateFailedError({
        operation: ctx.operation,
        stackName: ctx.stackName,
        engineMessage: engineMessageOf({ stdout, stderr, diagnostics: ctx.diagnostics ?? [], message }, ctx.secrets),
        stdoutTail: redact(tail(plainText(stdout)), ctx.secrets),
        stderrTail: redact(tail(plainText(stderr)), ctx.secrets),
        exitCode: typeof exitCode === "number" ? exitCode : undefined,
    });
}

/**
 * The engine's explanation: its error diagnostics if it sent any, else the `error:` lines of its
 * output, else the last line of stderr, else the error's first line.
 */
export function engineMessageOf(
    src: {
        readonly stdout: string;
        readonly stderr: string;
        readonly diagnostics: readonly string[];
        readonly message: string;
    },
    secrets: readonly string[],
): string {
    const pick = (): string => {
        const diags = src.diagnostics.map((d) => plainText(d).trim()).filter((d) => d !== "");
        if (diags.length > 0) {
            return [...new Set(diags)].join("\n");
        }
        const text = plainText(`${src.stderr}\n${src.stdout}`);
        const errorLines = text
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => /^error:/i.test(l));
        if (errorLines.length > 0) {
            return [...new Set(errorLines)].join("\n");
        }
        const last = tail(plainText(src.stderr), 1);
        if (last !== "") {
            return last;
        }
        return (
            plainText(src.message)
                .split(/\r?\n/)
                .find((l) => l.trim() !== "" && !/^code: /.test(l.trim()))
                ?.trim() ?? "the engine failed without a message"
        );
    };
    return redact(pick(), secrets);
}
