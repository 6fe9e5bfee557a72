/**
 * Building blocks of the configuration schema (`schema.ts` and `sections/`): leaves and objects
 * that accept what `pulumi config set --path` stores, whose issues carry the sentences `problems.ts`
 * turns into problems, and the means of rules across keys.
 *
 * - Leniency, as the CLI stores values: a number where text is meant is text (`--path
 *   worker.image.tag 123` stores a number), `"3"` where a whole number is meant is 3, `"true"` and
 *   `"false"` are booleans, and `null` (a key left empty in YAML) is unset.
 * - An issue's message says what is accepted ("expected a whole number from 0 to 1000");
 *   `problems.ts` adds the key and the rejected value ("got -1; …"). A missing value's message
 *   starts with "missing". An issue whose `params.verbatim` is set carries its whole message
 *   (rules across keys).
 * - Defaults are given with `.prefault(value)`, never `.default(value)`: zod 4's `.default()` returns
 *   the value without parsing it (an object's inner defaults would not apply) and leaves it out of
 *   the JSON Schema of a schema that transforms; a prefault is parsed like user input, so every
 *   default is also validated.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isInputToken } from "../model";

declare module "zod" {
    interface GlobalMeta {
        /**
         * `required`: a secret: never shown in a message, `secret: true` in Pulumi.yaml, a `secure:`
         * value in the stack file. `allowed`: may be stored as a secret (an inline kubeconfig).
         */
        secret?: "required" | "allowed";
        /** The default in words, where it is computed rather than a value. */
        defaultText?: string;
        /** A README paragraph under the section (for an object) or the key. */
        details?: string;
        /** Document this object as one key rather than key by key (probes, affinity). */
        documentAsOne?: boolean;
        /**
         * `BacklineStack` takes this key as a `pulumi.Input`: a program may pass another resource's
         * output, checked when it resolves (`acceptsOutput`).
         */
        input?: boolean;
    }
}

/** A validator from `validators.ts`: `undefined` when fine, else what is accepted. */
export type Check<T = string> = (value: T) => string | undefined;

/** A schema by its output (after defaults and checks) and input (what a stack file holds) types. */
export type Field<O, I = O> = z.ZodType<O, I>;

/** Issue parameters of a message that is complete as it stands. */
export const verbatim = { verbatim: true } as const;

/** Shows a rejected value briefly; never called with a secret. */
export function show(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

// --- Rules across keys ---------------------------------------------------------------------------

type KeyPath = readonly PropertyKey[];

/** Refinement parameters of a rule: it runs whatever else failed, so every problem shows at once. */
export const always = { when: () => true } as const;

export interface Rule {
    /**
     * Whether the value at this path has its declared type, so the rule may read it: a wrong type
     * is reported on its own, and a rule about it waits until it is fixed. A value of the right type
     * may still have failed a check of its own (a malformed URL is still a URL that is set).
     */
    typed(...path: KeyPath): boolean;
    /**
     * Whether a value is given at this path, of whatever type (the object holding it is typed): an
     * empty string is given only where it is a value of the key's type, else it means "unset".
     */
    given(...path: KeyPath): boolean;
    /** Reports a problem at a path below the rule's object, in a message complete as it stands. */
    problem(path: KeyPath, message: string): void;
}

/** Issues after which a value is not of its declared type (zod keeps what it got there). */
const wrongType = new Set(["invalid_type", "invalid_value", "invalid_union", "invalid_key", "invalid_element"]);

/** What a rule (a `superRefine` with `always`) reads and reports through. */
export function rule(ctx: z.RefinementCtx): Rule {
    const wrong = ctx.issues.filter((i) => wrongType.has(i.code)).map((i) => i.path ?? []);
    const typed = (...path: KeyPath) => !wrong.some((w) => w.length <= path.length && w.every((k, n) => k === path[n]));
    const valueAt = (path: KeyPath) =>
        path.reduce<unknown>(
            (v, k) => (v === undefined || v === null ? v : (v as Record<PropertyKey, unknown>)[k]),
            ctx.value,
        );
    return {
        typed,
        given: (...path) => {
            const value = typed(...path.slice(0, -1)) ? valueAt(path) : undefined;
            return value !== undefined && (value !== "" || typed(...path));
        },
        problem: (path, message) => ctx.addIssue({ code: "custom", path: [...path], message, params: verbatim }),
    };
}

// --- Leaves --------------------------------------------------------------------------------------

function list(words: readonly string[]): string {
    const quoted = words.map((w) => `\`${w}\``);
    return quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `one of ${quoted.join(", ")}`;
}

/** The message of a type or range issue: what is accepted, or what is missing. */
export function expected(accepted: string, missing = `missing; ${accepted}`) {
    return (issue: { readonly input?: unknown }) => (issue.input === undefined ? missing : accepted);
}

function checked<T, S extends z.ZodType<T, T>>(schema: S, check: Check<T> | undefined): S {
    if (!check) return schema;
    return schema.superRefine((value, ctx) => {
        // An Output's stand-in: its value is checked when it resolves (components/late-inputs.ts).
        if (isInputToken(value)) return;
        const accepted = check(value);
        if (accepted) ctx.addIssue({ code: "custom", message: accepted, input: value });
    });
}

/**
 * A schema behind a preprocessing step. Typed as the schema itself: the step only changes what
 * reaches it (never call `.shape` or `.extend` on the result).
 */
export function before<T extends z.ZodType>(step: (raw: unknown) => unknown, schema: T): T {
    return z.preprocess(step, schema) as unknown as T;
}

/**
 * A text key `BacklineStack` also takes as a `pulumi.Input<string>`: a program may hand it another
 * resource's output (a role's ARN, a storage class's name). Only for keys whose value reaches the
 * objects as it is, or inside a longer string: never one that decides which objects exist, names
 * one, or is taken apart (a URL with credentials, a digest). The stack configuration still holds
 * plain text; the input side of the type says `Input`, the metadata says `input: true`.
 */
export function acceptsOutput<O, I extends string | undefined>(
    schema: Field<O, I>,
): Field<O, I | pulumi.Input<string>> {
    return schema.meta({ ...schema.meta(), input: true }) as unknown as Field<O, I | pulumi.Input<string>>;
}

/** A map of strings whose values `BacklineStack` also takes as `pulumi.Input`s (labels, annotations). */
export function acceptsOutputValues<O>(
    schema: Field<O, Record<string, string>>,
): Field<O, Record<string, pulumi.Input<string>>> {
    return schema.meta({ ...schema.meta(), input: true }) as unknown as Field<O, Record<string, pulumi.Input<string>>>;
}

/** An empty string means "unset" (the default applies, or the key is missing). */
export function blankIsUnset<T extends z.ZodType>(schema: T): T {
    return before((raw) => (raw === "" ? undefined : raw), schema);
}

export interface TextOptions {
    /** The message when the value is missing (required keys). */
    readonly missing?: string;
    /** Also accept booleans as text (environment variable values). */
    readonly booleans?: boolean;
}

/** Text; a number (or, with `booleans`, a boolean) is taken as its text. */
export function text(check?: Check, opts: TextOptions = {}): Field<string> {
    const base = z.string({ error: expected("expected a string", opts.missing) });
    return before(
        (raw) => (typeof raw === "number" || (opts.booleans && typeof raw === "boolean") ? String(raw) : raw),
        checked(base, check),
    );
}

export interface IntOptions {
    /** A further check of the number. */
    readonly check?: Check<number>;
    /** What is accepted, when the range alone does not say it well. */
    readonly accepted?: string;
}

/** A whole number in [min, max]; `"3"` is 3. */
export function int(min: number, max?: number, opts: IntOptions = {}): Field<number> {
    const accepted =
        opts.accepted ??
        (max === undefined ? `expected a whole number ≥ ${min}` : `expected a whole number from ${min} to ${max}`);
    const error = expected(accepted);
    let n = z.number({ error }).int({ error }).min(min, { error });
    if (max !== undefined) n = n.max(max, { error });
    return before(
        (raw) => (typeof raw === "string" && /^[+-]?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw),
        checked(n, opts.check),
    );
}

/** `true` or `false`, also as text. */
export function bool(): Field<boolean> {
    return before(
        (raw) => (raw === "true" ? true : raw === "false" ? false : raw),
        z.boolean({ error: expected("expected `true` or `false`") }),
    );
}

/** One of a few words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): Field<T[number]> {
    return z.enum(values, { error: expected(`expected ${list(values)}`) }) as unknown as Field<T[number]>;
}

/** A list of items. */
export function listOf<O, I>(item: Field<O, I>, accepted: string, missing?: string) {
    return z.array(item, { error: expected(accepted, missing) });
}

/** A map of strings to strings (labels, node selectors). */
export function stringMap(): Field<Record<string, string>> {
    return z.record(z.string(), z.string({ error: "expected a string (quote it)" }), {
        error: expected("expected a map of strings to strings"),
    });
}

/** An object in Kubernetes' own shape, passed through as given (probe handlers, affinity terms). */
export function freeform(): Field<Record<string, unknown>> {
    return z.record(z.string(), z.unknown(), { error: expected("expected an object") });
}

function withoutNulls(raw: unknown): unknown {
    if (!isPlainObject(raw)) return raw;
    return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null));
}

/**
 * An object with exactly these keys: an unknown key is a problem (a typo, most likely). Keys set
 * to `null` are unset.
 */
export function object<S extends z.ZodRawShape>(shape: S) {
    const keys = Object.keys(shape)
        .map((k) => `\`${k}\``)
        .join(", ");
    const schema = z.strictObject(shape, {
        error: (issue) =>
            issue.code === "invalid_type" ? expected(`expected an object with keys ${keys}`)(issue) : undefined,
    });
    return before(withoutNulls, schema) as unknown as Field<z.output<typeof schema>, z.input<typeof schema>>;
}
