import * as pulumi from "@pulumi/pulumi";
import type { KubeConnection } from "../cluster/kubectl";
import { handoverProvider } from "./providers";
import type { ObjectRef } from "./plan";

export interface HelmTakeoverArgs {
    /** The cluster, as the stack's Kubernetes provider reaches it (`kubernetes.kubeconfig`, `.context`). */
    readonly connection: KubeConnection;
    /** The manager every Kubernetes object of the stack is applied with (`pulumi.com/patchFieldManager`). */
    readonly fieldManager: string;
    /** Objects whose Helm (or kubectl) field ownership is handed over; none once the takeover is done. */
    readonly handover: readonly ObjectRef[];
}

/** The connection as a dynamic resource's input: secret when it holds a kubeconfig (it may hold credentials). */
export function connectionInput(connection: KubeConnection): pulumi.Input<KubeConnection> {
    return connection.kubeconfig ? pulumi.secret(connection) : connection;
}

/** The handover as a resource of the stack, so `preview` shows it and the engine runs it first. */
class HelmFieldOwnership extends pulumi.dynamic.Resource {
    declare public readonly handedOver: pulumi.Output<string[]>;

    constructor(name: string, args: HelmTakeoverArgs, opts: pulumi.CustomResourceOptions) {
        super(
            handoverProvider,
            name,
            {
                connection: connectionInput(args.connection),
                fieldManager: args.fieldManager,
                objects: args.handover,
                handedOver: undefined,
            },
            opts,
            "backline",
            "HelmFieldOwnership",
        );
    }
}

/**
 * Taking a Helm release's objects over in place (`adopt.helmRelease`): Helm's field ownership of each
 * object the stack declares is handed to one field manager (docs/helm-adoption-research.md, section
 * 4), and `transformation`, applied to the stack's components, makes every Kubernetes object apply as
 * that manager and only after the handover. The applies are then upserts of the live objects (same
 * UIDs) that take the stack's values without conflicts or force.
 */
export class HelmTakeover extends pulumi.ComponentResource {
    /** For the `transformations` of the components whose Kubernetes objects take the release over. */
    public readonly transformation: pulumi.ResourceTransformation;

    constructor(name: string, args: HelmTakeoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:adoption:HelmTakeover", name, {}, opts);
        const handover = new HelmFieldOwnership(`${name}-field-ownership`, args, { parent: this });
        this.transformation = applyAfter(handover, args.fieldManager);
        this.registerOutputs({ handedOver: handover.handedOver });
    }
}

type Annotations = Record<string, pulumi.Input<string>>;
type Metadata = { annotations?: pulumi.Input<Annotations> } & Record<string, unknown>;

/** `f` of a value that may still be an Output or a Promise; plain values stay plain. */
function mapInput<T, U>(v: pulumi.Input<T> | undefined, f: (t: T | undefined) => U): pulumi.Input<U> {
    if (pulumi.Output.isInstance(v) || v instanceof Promise) {
        return pulumi.output(v).apply((t) => f(t as T | undefined)) as pulumi.Output<U>;
    }
    return f(v as T | undefined);
}

/** Kubernetes objects (not other packages' resources) apply as `manager`, and after `handover`. */
export function applyAfter(handover: pulumi.Resource, manager: string): pulumi.ResourceTransformation {
    const withManager = (m: Metadata | undefined): Metadata => ({
        ...m,
        annotations: mapInput<Annotations, Annotations>(m?.annotations, (a) => ({
            ...a,
            "pulumi.com/patchFieldManager": manager,
        })),
    });
    return (args) => {
        if (!args.type.startsWith("kubernetes:")) {
            return undefined;
        }
        return {
            props: { ...args.props, metadata: mapInput(args.props.metadata as pulumi.Input<Metadata>, withManager) },
            opts: pulumi.mergeOptions(args.opts, { dependsOn: [handover] }),
        };
    };
}
