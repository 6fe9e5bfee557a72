import * as pulumi from "@pulumi/pulumi";
import { ReleaseRemovalInputs, releaseRemovalProvider } from "./providers";
import { connectionInput } from "./takeover";

export interface HelmReleaseRemovalArgs extends ReleaseRemovalInputs {
    /** Everything that takes the release over: the removal waits for all of it. */
    readonly after: readonly pulumi.Resource[];
}

/** What the removal did, stable once done. */
export interface HelmReleaseRemovalResult {
    /** The record's revisions that were removed. */
    readonly revisions: number[];
    /**
     * The copies of the record and of the objects of `adopt.remove`, for a rollback
     * (docs/move-from-helm.md and docs/helm-adoption.md, "Rolling back").
     */
    readonly backups: string[];
    /** Objects of the release deleted (`Kind/name`): the chart's RBAC the stack replaces, and `adopt.remove`. */
    readonly removed: string[];
    /** Objects of the release left in place. */
    readonly kept: string[];
}

class HelmReleaseRecord extends pulumi.dynamic.Resource {
    declare public readonly revisions: pulumi.Output<number[]>;
    declare public readonly backups: pulumi.Output<string[]>;
    declare public readonly removed: pulumi.Output<string[]>;
    declare public readonly kept: pulumi.Output<string[]>;

    constructor(name: string, args: ReleaseRemovalInputs, opts: pulumi.CustomResourceOptions) {
        super(
            releaseRemovalProvider,
            name,
            {
                ...args,
                connection: connectionInput(args.connection),
                revisions: undefined,
                backups: undefined,
                removed: undefined,
                kept: undefined,
            },
            opts,
            "backline",
            "HelmReleaseRecord",
        );
    }
}

/**
 * The end of an adoption (`adopt.helmRelease`), once every object of the stack took the release
 * over: Helm's record is copied (Secrets `backline-helm-backup.<release>.v<N>`, which Helm does not
 * list) and removed, so `helm list` shows no release and no `helm uninstall` can delete the objects;
 * the chart's objects the stack replaces are deleted, those of `adopt.remove` copied and deleted, and
 * the kept ones lose Helm's ownership metadata.
 */
export class HelmReleaseRemoval extends pulumi.ComponentResource {
    public readonly result: pulumi.Output<HelmReleaseRemovalResult>;

    constructor(name: string, args: HelmReleaseRemovalArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:adoption:HelmReleaseRemoval", name, {}, opts);
        const { after, ...inputs } = args;
        const record = new HelmReleaseRecord(`${name}-record`, inputs, { parent: this, dependsOn: [...after] });
        this.result = pulumi
            .all([record.revisions, record.backups, record.removed, record.kept])
            .apply(([revisions, backups, removed, kept]) => ({ revisions, backups, removed, kept }));
        this.registerOutputs({ result: this.result });
    }
}
