/**
 * Text the Automation API shows: secrets redacted, the engine's colour tags dropped, long output
 * cut to its tail.
 */
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
