/**
 * The Pulumi package schema of `backline` (provider/schema.json), from the configuration schema
 * (components/config/schema.ts) and the stack outputs (components/outputs.ts): one component
 * resource, `backline:index:BacklineStack`, whose inputs are the stack configuration's keys as a
 * user writes them in `Pulumi.<stack>.yaml` and whose outputs are the stack outputs. The engine's
 * `pulumi package gen-sdk` makes the SDK of each language from it; the provider
 * (provider/pulumi-resource-backline) serves it. `npm run gen` writes it.
 *
 * How the JSON Schema maps: an object with keys becomes a named type (`worker.storage.pvc` →
 * `backline:index:WorkerStoragePvc`, an array's element singular: `worker.tolerations[]` →
 * `WorkerToleration`); a map stays a map; a free-form Kubernetes value is `pulumi.json#/Any`; a
 * choice of shapes is a `oneOf`; a set of words is text whose description lists them. Defaults
 * are written into the descriptions, never as schema defaults: an SDK would send them as if the
 * user had given them, and the rules between keys ask whether a key was given.
 */
import type { JsonSchema } from "../components/config/reference";
import { stackOutputs } from "../components/outputs";
import { packageName, stackResourceToken } from "../provider/names";
import { defaultText } from "./schema-text";

/** The parts of a Pulumi schema type this file writes (pkg/codegen/schema's TypeSpec). */
export interface TypeSpec {
    readonly type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
    readonly items?: TypeSpec;
    readonly additionalProperties?: TypeSpec;
    readonly $ref?: string;
    readonly oneOf?: readonly TypeSpec[];
}

export interface PropertySpec extends TypeSpec {
    readonly description?: string;
    readonly secret?: boolean;
}

export interface ObjectTypeSpec {
    readonly type: "object";
    readonly description?: string;
    readonly properties: Readonly<Record<string, PropertySpec>>;
    readonly required?: readonly string[];
}

const any: TypeSpec = { $ref: "pulumi.json#/Any" };

/** `worker.storage.pvc` → `WorkerStoragePvc`; an array's element drops a plural `s`. */
function typeName(path: readonly string[]): string {
    return path.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
}

function singular(name: string): string {
    return /[^s]s$/.test(name) ? name.slice(0, -1) : name;
}

function isObjectWithKeys(node: JsonSchema): boolean {
    return node.properties !== undefined && Object.keys(node.properties).length > 0;
}

/** A key's description, the words of an enum, and the default (not an empty object's or list's). */
function describe(node: JsonSchema): string | undefined {
    const parts = node.description ? [node.description] : [];
    if (node.enum) parts.push(`One of ${node.enum.map((v) => `\`${String(v)}\``).join(", ")}.`);
    const empty =
        node.default !== undefined && typeof node.default === "object" && Object.keys(node.default ?? {}).length === 0;
    const byDefault = empty ? undefined : defaultText(node);
    if (byDefault !== undefined) parts.push(`Default: ${byDefault}.`);
    return parts.length > 0 ? parts.join(" ") : undefined;
}

class Builder {
    readonly types: Record<string, ObjectTypeSpec> = {};

    /** The type of a node at `path` (registering the named types it needs). */
    typeOf(node: JsonSchema, path: readonly string[]): TypeSpec {
        const alternatives = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
        if (alternatives) return this.oneOf(alternatives.map((a) => this.typeOf(a, path)));
        if (Array.isArray(node.type)) {
            return this.oneOf(node.type.map((t: string) => this.typeOf({ ...node, type: t }, path)));
        }
        switch (node.type) {
            case "string":
            case "integer":
            case "number":
            case "boolean":
                return { type: node.type };
            case "array": {
                const last = path[path.length - 1] ?? "";
                const element = [...path.slice(0, -1), singular(last)];
                return { type: "array", items: node.items ? this.typeOf(node.items, element) : any };
            }
            case "object":
                if (isObjectWithKeys(node)) return { $ref: `#/types/${this.objectType(node, path)}` };
                if (typeof node.additionalProperties === "object") {
                    return { type: "object", additionalProperties: this.typeOf(node.additionalProperties, path) };
                }
                return { type: "object", additionalProperties: any };
            default:
                return any;
        }
    }

    private oneOf(types: TypeSpec[]): TypeSpec {
        const distinct = types.filter((t, i) => types.findIndex((u) => JSON.stringify(u) === JSON.stringify(t)) === i);
        return distinct.length === 1 ? distinct[0] : { oneOf: distinct };
    }

    /** Registers the named type of an object with keys; returns its token. */
    private objectType(node: JsonSchema, path: readonly string[]): string {
        const token = `${packageName}:index:${typeName(path)}`;
        const spec: ObjectTypeSpec = {
            type: "object",
            ...(node.description ? { description: node.description } : {}),
            properties: this.properties(node, path),
            ...(node.required && node.required.length > 0 ? { required: [...node.required] } : {}),
        };
        const before = this.types[token];
        if (before && JSON.stringify(before) !== JSON.stringify(spec)) {
            throw new Error(`two different objects would be the type ${token}: rename a key`);
        }
        this.types[token] = spec;
        return token;
    }

    properties(node: JsonSchema, path: readonly string[]): Record<string, PropertySpec> {
        return Object.fromEntries(
            Object.entries(node.properties ?? {}).map(([key, child]) => {
                // A secret input is one whatever the caller passes: the SDKs wrap it, the state encrypts it.
                const description =
                    child.secret === "required"
                        ? `${describe(child) ?? ""} As an input of the component, always kept secret.`.trim()
                        : describe(child);
                const property: PropertySpec = {
                    ...this.typeOf(child, [...path, key]),
                    ...(description ? { description } : {}),
                    ...(child.secret === "required" ? { secret: true } : {}),
                };
                return [key, property];
            }),
        );
    }
}

/** The stack outputs' types and descriptions: the compiler refuses a key `stackOutputs` lacks or has more of. */
const outputTypes: Readonly<Record<keyof typeof stackOutputs, PropertySpec>> = {
    namespace: { type: "string", description: "The namespace of every object." },
    workerDeployment: { type: "string", description: "The worker Deployment's name." },
    workerService: { type: "string", description: "The worker Service's name." },
    janitorCronJob: { type: "string", description: "The janitor CronJob's name." },
    claimName: { type: "string", description: "The shared volume's PersistentVolumeClaim." },
    workerImageUpdates: {
        type: "string",
        description: "Who owns the worker image: `janitor` (`worker.image.autoUpdate`) or `pinned` (the stack).",
    },
    storageClassName: {
        type: "string",
        description: "The claim's storage class, when one was chosen (`worker.storage.pvc.storageClassName` or `efs`).",
    },
    efsFileSystemId: { type: "string", description: "The EFS filesystem, with `efs`." },
    collectorRoleArn: { type: "string", description: "The collector's IAM role, with `worker.otel.enabled`." },
    logGroupName: { type: "string", description: "The collector's CloudWatch log group, with `worker.otel.enabled`." },
    jobAdmissionPolicy: {
        type: "string",
        description: "The ValidatingAdmissionPolicy on the worker's Jobs, with `security.jobAdmissionPolicy`.",
    },
    helmAdoption: {
        $ref: `#/types/${packageName}:index:HelmAdoptionResult`,
        description: "With `adopt.helmRelease`: what the removal of Helm's record did.",
    },
};

const helmAdoptionResult: ObjectTypeSpec = {
    type: "object",
    description: "What the removal of a taken-over Helm release's record did.",
    properties: {
        revisions: { type: "array", items: { type: "integer" }, description: "The release's revisions removed." },
        backups: { type: "array", items: { type: "string" }, description: "Where each removed record was saved." },
        removed: { type: "array", items: { type: "string" }, description: "The objects removed." },
        kept: { type: "array", items: { type: "string" }, description: "The objects kept." },
    },
    required: ["revisions", "backups", "removed", "kept"],
};

export interface PackageSchemaOptions {
    /** The package's version: package.json's. */
    readonly version: string;
}

/** The package schema, from the configuration's JSON Schema (`configJsonSchema()`). */
export function packageSchema(config: JsonSchema, opts: PackageSchemaOptions): Record<string, unknown> {
    const builder = new Builder();
    const inputProperties = builder.properties(config, []);
    return {
        name: packageName,
        displayName: "Backline",
        version: opts.version,
        description:
            "The Backline on-premises stack (worker, janitor, ADOT collector) on Kubernetes, as one component.",
        keywords: ["kubernetes", "backline", "category/infrastructure", "kind/component"],
        license: "Apache-2.0",
        // A support pack: the SDKs carry the version rather than reading it from their package metadata.
        meta: { supportPack: true },
        language: {
            python: { packageName: "pulumi_backline", requires: { pulumi: ">=3.0.0,<4.0.0" } },
            nodejs: { packageName: "@backline/pulumi-backline" },
            csharp: { rootNamespace: "Backline", packageReferences: { Pulumi: "3.*" } },
            go: {
                importBasePath: "github.com/backline/pulumi-backline/sdk/go/backline",
                generateResourceContainerTypes: true,
            },
        },
        config: {},
        provider: { type: "object", description: "The Backline component provider; it has no settings." },
        resources: {
            [stackResourceToken]: {
                isComponent: true,
                description:
                    "The whole Backline on-premises stack: namespace and access-key Secret, shared storage, the collector's configuration and IAM role, the janitor and the worker. Its inputs are the keys of the stack configuration (docs/configuration.md), as `Pulumi.<stack>.yaml` holds them under `backline:`.",
                inputProperties,
                requiredInputs: [...(config.required ?? [])],
                properties: outputTypes,
                required: (Object.keys(stackOutputs) as (keyof typeof stackOutputs)[]).filter(
                    (k) => !stackOutputs[k].optional,
                ),
            },
        },
        types: {
            ...Object.fromEntries(Object.entries(builder.types).sort(([a], [b]) => a.localeCompare(b))),
            [`${packageName}:index:HelmAdoptionResult`]: helmAdoptionResult,
        },
    };
}
