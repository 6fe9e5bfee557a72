/**
 * Stand-ins for values a program passes as Outputs (`BacklineStack` given the configuration's keys
 * with `pulumi.Input`s). While the program runs, such a value is a token: a string no user writes,
 * which validation lets through the key's own check (the value is checked when it resolves) and
 * which specs carry verbatim, inside longer strings too (`<registry>/<name>:<tag>`). The component
 * puts the resolved values back into every resource's inputs (`components/late-inputs.ts`).
 *
 * A hash over text that holds a token would hash the token, and stay the same when the value
 * changes: `contentHash` defers it instead, as a token of its own that is replaced by the hash of
 * the resolved text.
 */
import { createHash } from "crypto";

const OPEN = "\u27e6backline:";
const CLOSE = "\u27e7";

/** Matches one input token (`⟦backline:input:<n>⟧`) or deferred hash (`⟦backline:sha256:<base64>⟧`). */
export const tokenPattern = /\u27e6backline:(input|sha256):([^\u27e7]*)\u27e7/g;

/** The token of the `n`-th Output of a program. */
export function inputToken(n: number): string {
    return `${OPEN}input:${n}${CLOSE}`;
}

/** Whether a value holds a token anywhere in it (strings only). */
export function holdsToken(value: unknown): value is string {
    return typeof value === "string" && value.includes(OPEN);
}

/** Whether a string is exactly one input token (the whole value of a key given as an Output). */
export function isInputToken(value: unknown): value is string {
    return typeof value === "string" && /^\u27e6backline:input:\d+\u27e7$/.test(value);
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/**
 * The SHA-256 of `text` in hex, or its first `length` digits: for checksum annotations that roll
 * pods when content changes, and names that change with a spec. When the text holds a token the
 * hash is taken later, of the resolved text.
 */
export function contentHash(text: string, length?: number): string {
    if (!holdsToken(text)) return sha256(text).slice(0, length);
    return `${OPEN}sha256:${length ?? ""}:${Buffer.from(text).toString("base64")}${CLOSE}`;
}

/** A deferred hash's length (empty: all of it) and text. */
function deferred(body: string): { readonly length?: number; readonly text: string } {
    const [length, base64] = body.split(":");
    return { length: length === "" ? undefined : Number(length), text: Buffer.from(base64, "base64").toString() };
}

/** The text with every token replaced: input tokens by `valueOf(n)`, deferred hashes computed. */
export function replaceTokens(text: string, valueOf: (n: number) => string): string {
    return text.replace(tokenPattern, (_, kind: string, body: string) => {
        if (kind === "input") return valueOf(Number(body));
        const hash = deferred(body);
        return sha256(replaceTokens(hash.text, valueOf)).slice(0, hash.length);
    });
}

/** The numbers of the input tokens a string holds, deferred hashes included. */
export function tokensIn(text: string): number[] {
    const found = new Set<number>();
    for (const [, kind, body] of text.matchAll(tokenPattern)) {
        if (kind === "input") found.add(Number(body));
        else for (const n of tokensIn(deferred(body).text)) found.add(n);
    }
    return [...found];
}
