/**
 * The schema as data: its JSON Schema (zod's `toJSONSchema`, input side: what a stack file
 * holds), and lookups by key path. `problems.ts` asks it which keys exist where (for "did you
 * mean") and which values are secret; `scripts/gen.ts` renders Pulumi.yaml's declarations, the
 * README's tables and the stack files' JSON Schema from it.
 */
import { z } from "zod";
import { stackConfigSchema } from "./schema";

/** The parts of a JSON Schema node this repository reads, plus the schema's own metadata. */
export interface JsonSchema {
    readonly type?: string | readonly string[];
    readonly properties?: Readonly<Record<string, JsonSchema>>;
    readonly required?: readonly string[];
    readonly items?: JsonSchema;
    readonly additionalProperties?: boolean | JsonSchema;
    readonly enum?: readonly unknown[];
    readonly default?: unknown;
    readonly description?: string;
    readonly secret?: "required" | "allowed";
    readonly defaultText?: string;
    readonly details?: string;
    readonly documentAsOne?: boolean;
    readonly input?: boolean;
    readonly [keyword: string]: unknown;
}

let cached: JsonSchema | undefined;

/** The stack configuration's JSON Schema (draft-07, which every YAML language server reads). */
export function configJsonSchema(): JsonSchema {
    cached ??= z.toJSONSchema(stackConfigSchema, {
        io: "input",
        target: "draft-07",
        // Free-form Kubernetes objects (probe handlers, affinity) are `z.unknown()` values.
        unrepresentable: "any",
    }) as JsonSchema;
    return cached;
}

/** The node of a key path (`["worker", "env", 0, "name"]`); array indices step into `items`. */
export function schemaAt(path: readonly PropertyKey[]): JsonSchema | undefined {
    let node: JsonSchema | undefined = configJsonSchema();
    for (const step of path) {
        if (!node) return undefined;
        if (typeof step === "number") {
            node = node.items;
        } else {
            const extra: boolean | JsonSchema | undefined = node.additionalProperties;
            node = node.properties?.[String(step)] ?? (typeof extra === "object" ? extra : undefined);
        }
    }
    return node;
}

/** The keys an object at this path may have, or `undefined` when it is not such an object. */
export function knownKeysAt(path: readonly PropertyKey[]): string[] | undefined {
    const node = schemaAt(path);
    return node?.properties ? Object.keys(node.properties) : undefined;
}

/** Whether the value at this path is (or is inside) a secret, whose value must never be shown. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
    for (let i = 0; i <= path.length; i++) {
        if (schemaAt(path.slice(0, i))?.secret) return true;
    }
    return false;
}
