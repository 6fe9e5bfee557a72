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
 * - `PolicyViolationError`: a policy pack refused the stack; `violations` lists each violation.
 * - `PassphraseError`: the passphrase does not open the stack (its salt is in its stack file).
 */
import * as fs from "fs";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { formatProblems } from "../components/config";
import type { ConfigProblem } from "../components/config";
import { packageRoot } from "../components/package-root";
import { plainText, redact, tail } from "./text";
import type { PolicyViolation } from "./types";

export type Operation = "preview" | "up" | "refresh" | "destroy" | "outputs" | "history";

/** Base class: `instanceof BacklineAutomationError` catches every error of this API. */
export abstract class BacklineAutomationError extends Error {
    abstract readonly kind:
        | "invalid-config"
        | "concurrent-update"
        | "engine-missing"
        | "stack-not-found"
        | "update-failed"
        | "policy-violation"
        | "wrong-passphrase";
}

export function formatInvalidConfig(problems: readonly ConfigProblem[]): string {
    return formatProblems(problems, "Nothing was changed; the engine was not started.");
}

export class InvalidConfigError extends BacklineAutomationError {
    readonly kind = "invalid-config" as const;
    readonly problems: readonly ConfigProblem[];

    constructor(problems: readonly ConfigProblem[]) {
        // Each problem once, however many checks (or stacks of a fleet) found it.
        const unique = [...new Map(problems.map((p) => [`${p.key}\u0000${p.message}`, p])).values()];
        super(formatInvalidConfig(unique));
        this.name = "InvalidConfigError";
        this.problems = unique;
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

const installPulumi =
    "install Pulumi (https://www.pulumi.com/docs/install/) so `pulumi` is on PATH, or pass `engineBinDir` (the folder holding `pulumi` and `pulumi-language-nodejs`)";

/** What to do about a missing engine: in a checkout, build it; from an installed package, install Pulumi. */
export function engineInstallHint(root: string = packageRoot): string {
    return fs.existsSync(path.join(root, "scripts", "build-engine.sh"))
        ? "Build the engine from source with `scripts/build-engine.sh` (it writes .cache/engine/bin; pass `engineBinDir` or " +
              `\`source scripts/engine-env.sh\`), or ${installPulumi}.`
        : `${installPulumi[0].toUpperCase()}${installPulumi.slice(1)}.`;
}

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
        super(`${what} ${engineInstallHint()}`);
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

export class PassphraseError extends BacklineAutomationError {
    readonly kind = "wrong-passphrase" as const;
    readonly stackName: string;
    /** The stack's settings file, whose `encryptionsalt` and the passphrase make the stack's key. */
    readonly stackFile: string;

    constructor(stackName: string, stackFile: string) {
        // A lost stack file is written again (new salt) by the next operation given the right
        // passphrase: the state keeps its own copy of the salt (docs/automation.md "Where stacks live").
        const salt = fs.existsSync(stackFile)
            ? `the \`encryptionsalt\` in ${stackFile}`
            : `the salt in its state (its stack file ${stackFile} is missing; the next run with the right passphrase writes it again)`;
        super(
            `The passphrase does not open stack "${stackName}": its secrets are encrypted with a key made from the passphrase ` +
                `it was created with and ${salt}. Pass that passphrase (\`passphrase\`, or ` +
                "PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE). If it is lost, the stack's secrets cannot be decrypted: " +
                `deploy under a new \`stackName\`, or start "${stackName}" over by deleting the stack from its backend ` +
                `(\`pulumi stack rm ${stackName} --force\`) and ${stackFile} (what it deployed stays in the cluster).`,
        );
        this.name = "PassphraseError";
        this.stackName = stackName;
        this.stackFile = stackFile;
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

export class PolicyViolationError extends BacklineAutomationError {
    readonly kind = "policy-violation" as const;
    readonly operation: Operation;
    readonly stackName: string;
    /** Every violation reported, mandatory ones first; at least one is mandatory. */
    readonly violations: readonly PolicyViolation[];
    /** `preview`: refused before any change; `update`: `up` stopped at a resource, earlier ones may have changed. */
    readonly stage: "preview" | "update";

    constructor(args: {
        operation: Operation;
        stackName: string;
        violations: readonly PolicyViolation[];
        stage: "preview" | "update";
    }) {
        const violations = [...args.violations].sort((a, b) =>
            a.enforcementLevel === b.enforcementLevel ? 0 : a.enforcementLevel === "mandatory" ? -1 : 1,
        );
        const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
        const lines = violations.map(
            (v) =>
                `  - [${v.enforcementLevel}] ${v.policyName} (${v.policyPack})${v.resourceUrn ? ` on ${v.resourceUrn}` : ""}: ${v.message}`,
        );
        const outcome =
            args.stage === "preview"
                ? "nothing was changed"
                : "the update stopped at the first refused resource; resources before it may have changed";
        super(
            `${args.operation} of stack "${args.stackName}" violates ${mandatory} mandatory ${mandatory === 1 ? "policy" : "policies"}; ${outcome}:\n` +
                `${lines.join("\n")}\nChange the resources (or the transforms that changed them) as each message says, then run it again.`,
        );
        this.name = "PolicyViolationError";
        this.operation = args.operation;
        this.stackName = args.stackName;
        this.violations = violations;
        this.stage = args.stage;
    }
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
    /** Policy violations the engine reported during the operation. */
    readonly policyViolations?: readonly PolicyViolation[];
    /** The stack's settings file, for `PassphraseError`. */
    readonly stackFile?: string;
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

    // pkg/secrets/passphrase (v3.274.1): "incorrect passphrase" whether the stack is opened, its
    // configuration decrypted, or a new stack created next to a stack file with another salt.
    if (/incorrect passphrase/i.test(`${everything}\n${message}`)) {
        return new PassphraseError(ctx.stackName, ctx.stackFile ?? `Pulumi.${ctx.stackName}.yaml`);
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

    const violations = ctx.policyViolations ?? [];
    if (violations.some((v) => v.enforcementLevel === "mandatory")) {
        return new PolicyViolationError({
            operation: ctx.operation,
            stackName: ctx.stackName,
            violations,
            stage: ctx.operation === "preview" ? "preview" : "update",
        });
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
