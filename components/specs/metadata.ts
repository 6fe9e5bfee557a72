/**
 * `commonLabels` and `commonAnnotations` on every Kubernetes object of the stack and on every pod
 * template in it, as a Pulumi resource transformation: `BacklineStack` registers it, and the SDK
 * applies it to each of its descendants, so objects added later (by this repository or by an
 * embedder's own components under the stack) get them too. The program's own keys win; validation
 * keeps the user's keys out of the program's prefixes, so nothing is silently dropped.
 * https://www.pulumi.com/docs/iac/concepts/options/transformations/
 */
import * as pulumi from "@pulumi/pulumi";
import type { CommonMetadata } from "../model";

type Map = Readonly<Record<string, string>>;

function under(common: Map, own: unknown): unknown {
    if (Object.keys(common).length === 0) return own;
    if (pulumi.Output.isInstance(own)) return own.apply((o) => under(common, o));
    return { ...common, ...((own ?? {}) as Record<string, unknown>) };
}

function withMetadata(common: CommonMetadata, metadata: unknown): unknown {
    if (pulumi.Output.isInstance(metadata)) return metadata.apply((m) => withMetadata(common, m));
    const m = (metadata ?? {}) as Record<string, unknown>;
    return { ...m, labels: under(common.labels, m.labels), annotations: under(common.annotations, m.annotations) };
}

/** Where a kind keeps its pod template(s), by path from `spec`. */
const templatePaths: Readonly<Record<string, readonly (readonly string[])[]>> = {
    Deployment: [["template"]],
    StatefulSet: [["template"]],
    DaemonSet: [["template"]],
    ReplicaSet: [["template"]],
    Job: [["template"]],
    CronJob: [["jobTemplate"], ["jobTemplate", "spec", "template"]],
};

function withTemplate(common: CommonMetadata, spec: unknown, path: readonly string[]): unknown {
    if (path.length === 0 || typeof spec !== "object" || spec === null || pulumi.Output.isInstance(spec)) {
        return spec;
    }
    const [step, ...rest] = path;
    const s = spec as Record<string, unknown>;
    const child = s[step];
    if (typeof child !== "object" || child === null || pulumi.Output.isInstance(child)) return spec;
    const c = child as Record<string, unknown>;
    const next =
        rest.length === 0 ? { ...c, metadata: withMetadata(common, c.metadata) } : withTemplate(common, c, rest);
    return { ...s, [step]: next };
}

/** The properties of a Kubernetes object of `type` (`kubernetes:apps/v1:Deployment`) with the common metadata. */
export function withCommonMetadata(common: CommonMetadata, type: string, props: Record<string, unknown>) {
    const kind = type.split(":")[2];
    let spec = props.spec;
    for (const path of templatePaths[kind] ?? []) spec = withTemplate(common, spec, path);
    return { ...props, metadata: withMetadata(common, props.metadata), ...(spec !== undefined ? { spec } : {}) };
}

/** The transformation, or none when both maps are empty (the objects stay exactly as they were). */
export function commonMetadataTransformation(common: CommonMetadata): pulumi.ResourceTransformation | undefined {
    if (Object.keys(common.labels).length === 0 && Object.keys(common.annotations).length === 0) return undefined;
    return (args) => {
        if (!args.type.startsWith("kubernetes:") || !args.props || args.type.startsWith("kubernetes:yaml")) {
            return undefined;
        }
        return { props: withCommonMetadata(common, args.type, args.props), opts: args.opts };
    };
}
