/**
 * Taking a live Helm release over (`adopt.helmRelease`, docs/helm-adoption.md): `prepareAdoption`
 * reads the release and plans, before any resource is declared; `HelmAdoption` is all the stack
 * needs of the plan. The core components know nothing of Helm: they take the live facts as their
 * plain overrides.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ClaimOverride, WorkerArgs } from "../model";
import type { PreparedAdoption } from "./prepare";
import { HelmReleaseRemoval, HelmReleaseRemovalResult } from "./release-removal";
import { HelmTakeover } from "./takeover";

export { AdoptionRefusedError, prepareAdoption } from "./prepare";
export type { PreparedAdoption, PrepareOptions } from "./prepare";
export { HelmTakeover } from "./takeover";
export type { HelmTakeoverArgs } from "./takeover";
export { HelmReleaseRemoval } from "./release-removal";
export type { HelmReleaseRemovalArgs, HelmReleaseRemovalResult } from "./release-removal";

/** What a live worker Deployment keeps: its (immutable) selector, and the image the janitor set. */
export type WorkerOverrides = Pick<WorkerArgs, "selectorOverride" | "imageOverride">;

/**
 * An adoption as the stack carries it out: first the handover of Helm's field ownership (made when
 * this is constructed, so construct it before the stack's components), then every Kubernetes object
 * applied in place with the live facts, last the removal of Helm's record (`finish`).
 *
 * Its resources are children of `parent`, the stack: `<name>-helm-takeover` and
 * `<name>-helm-release`.
 */
export class HelmAdoption {
    /** For the `transformations` of the stack's components: their objects apply after the handover, as its manager. */
    public readonly transformation: pulumi.ResourceTransformation;
    /** The live worker's selector and image, for `Worker`. */
    public readonly worker: WorkerOverrides;
    /** The live claim's class and access modes, for `WorkerStorage`; none without a live claim. */
    public readonly claim: ClaimOverride | undefined;

    private readonly name: string;
    private readonly prepared: PreparedAdoption;
    private readonly parent: pulumi.Resource;

    constructor(name: string, prepared: PreparedAdoption, parent: pulumi.Resource) {
        this.name = name;
        this.prepared = prepared;
        this.parent = parent;
        const { steps } = prepared;
        const takeover = new HelmTakeover(
            `${name}-helm-takeover`,
            { connection: prepared.connection, fieldManager: steps.facts.fieldManager, handover: steps.handover },
            { parent },
        );
        this.transformation = takeover.transformation;
        this.worker = {
            ...(steps.facts.workerSelector ? { selectorOverride: steps.facts.workerSelector } : {}),
            ...(steps.facts.workerImage ? { imageOverride: steps.facts.workerImage } : {}),
        };
        this.claim = steps.facts.claim;
    }

    /**
     * Removes Helm's record (copied first), the chart's objects the stack replaces and those of
     * `adopt.remove` (copied first), once everything in `after` took the release over.
     */
    public finish(after: readonly pulumi.Resource[]): pulumi.Output<HelmReleaseRemovalResult> {
        const { steps, connection, recordPresent } = this.prepared;
        const removal = new HelmReleaseRemoval(
            `${this.name}-helm-release`,
            {
                connection,
                release: steps.release,
                releaseNamespace: steps.releaseNamespace,
                remove: steps.remove,
                keep: steps.keep,
                discard: steps.discard,
                recordPresent,
                after,
            },
            { parent: this.parent },
        );
        return removal.result;
    }
}
