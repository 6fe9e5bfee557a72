/**
 * The configuration schema's defaults as text, for the files generated from it (scripts/gen.ts:
 * the configuration reference; scripts/package-schema.ts: the Pulumi package schema's
 * descriptions).
 */
import type { JsonSchema } from "../components/config/reference";

/** A default as YAML-ish text: `/data`, `[]`, `{ httpGet: { path: /health }, periodSeconds: 10 }`. */
export function flow(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
    if (value && typeof value === "object") {
        const entries = Object.entries(value);
        return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${k}: ${flow(v)}`).join(", ")} }`;
    }
    return typeof value === "string" && value === "" ? '""' : String(value);
}

/** A key's default in words (`defaultText`), or its value in backticks; `undefined` when it has none. */
export function defaultText(node: JsonSchema): string | undefined {
    if (node.defaultText) return node.defaultText;
    if (node.default !== undefined) return `\`${flow(node.default)}\``;
    return undefined;
}
