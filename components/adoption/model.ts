/**
 * What an adoption of a live Helm release reads and produces (`adopt.helmRelease`): the live objects
 * and release record as `components/adoption/live.ts` reads them, the part of the stack
 * configuration the planner needs, and the plan. Types only, besides Helm's metadata keys and the
 * two `Kind/name` helpers; the rules are in `plan.ts`.
 */
import type { ConfigProblem } from "../config";
import type { AdoptionConfig, ClaimConfig, ClaimOverride } from "../model";
import type { ManagedFieldsEntry } from "./managed-fields";

/**
 * What Helm writes on every object of a release: the value of `app.kubernetes.io/managed-by`
 * (`labelKeys.managedBy`) and the annotations naming the release, which `helm install`/`upgrade`
 * require to take an existing object over.
 */
export const helmMetadata = {
    managedBy: "Helm",
    annotationPrefix: "meta.helm.sh/",
    releaseName: "meta.helm.sh/release-name",
    releaseNamespace: "meta.helm.sh/release-namespace",
} as const;

/** An object by API version, kind and name (namespaced objects: in the stack's namespace). */
export interface ObjectRef {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    /** Absent for cluster-scoped objects. */
    readonly namespace?: string;
}

/** `Kind/name`, as `kubectl get`, `adopt.keep` and `adopt.remove` write it. */
export function refName(r: Pick<ObjectRef, "kind" | "name">): string {
    return `${r.kind}/${r.name}`;
}

/** `Kind/name` of a live object. */
export function liveName(o: LiveObject): string {
    return `${o.kind}/${o.metadata.name}`;
}

/** A live object as `kubectl get -o json` returns it; only what the plan reads is typed. */
export interface LiveObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: {
        readonly name: string;
        readonly namespace?: string;
        readonly uid?: string;
        readonly resourceVersion?: string;
        readonly labels?: Readonly<Record<string, string>>;
        readonly annotations?: Readonly<Record<string, string>>;
        readonly managedFields?: readonly ManagedFieldsEntry[];
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly spec?: any;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly status?: any;
    readonly type?: string;
    readonly immutable?: boolean;
}

/** One revision of the release, from the labels of its record Secret. */
export interface HelmRevision {
    readonly secret: string;
    readonly version: number;
    readonly status: string;
}

/** The newest revision, decoded. */
export interface ReleaseRecord {
    readonly version: number;
    readonly status: string;
    readonly chart: { readonly name: string; readonly version: string };
    /** The chart's values with the user's over them: what the templates saw. Holds the access key. */
    readonly values: Readonly<Record<string, unknown>>;
    /** The rendered objects (`manifest`). */
    readonly objects: readonly ObjectRef[];
}

/** What `live.ts` read: the release record and the objects that matter. */
export interface LiveRelease {
    /** Every record Secret of the release (`owner=helm,name=<release>`), any status. */
    readonly revisions: readonly HelmRevision[];
    /** The newest revision, when there is a record. */
    readonly newest?: ReleaseRecord;
    /** The live objects by `Kind/name`: those of the manifest and those the stack declares. */
    readonly objects: Readonly<Record<string, LiveObject>>;
    /** The storage class of the live claim, when it names one that exists. */
    readonly storageClass?: { readonly name: string; readonly allowVolumeExpansion: boolean };
    /** What the API server warns when the namespace starts enforcing "restricted" (dry run). */
    readonly podSecurityWarnings: readonly string[];
}

/** The part of the resolved configuration the plan reads. */
export interface AdoptionStackConfig {
    readonly namespace: string;
    readonly adoption: AdoptionConfig;
    readonly storage: { readonly claim: ClaimConfig };
    readonly worker: { readonly image: { readonly autoUpdate: boolean } };
    /** Whether the collector's ConfigMap is declared (`worker.otel.enabled`). */
    readonly collector: boolean;
    /** Whether the install Job is declared (`janitor.runOnInstall`). */
    readonly installJob: boolean;
    /**
     * The namespaced objects the enterprise keys add (proxy Secret, inline CA bundle, the worker's
     * PodDisruptionBudget, NetworkPolicies), as `Kind/name`. @default none
     */
    readonly siteObjects?: readonly string[];
}

/** What the components need to take the live objects over without replacing any. */
export interface AdoptedFacts {
    /** The manager every object is applied with; Helm's fields are handed over to it. */
    readonly fieldManager: string;
    /** The worker Deployment's selector, which is immutable: the stack keeps it. */
    readonly workerSelector?: Readonly<Record<string, string>>;
    /** The live worker image, while the janitor owns it (`worker.image.autoUpdate`). */
    readonly workerImage?: string;
    /** The live claim's class and access modes, which are immutable. */
    readonly claim?: ClaimOverride;
}

export type AdoptionPhase = "takeover" | "adopted";

export interface AdoptionSteps {
    readonly phase: AdoptionPhase;
    readonly release: string;
    readonly releaseNamespace: string;
    readonly namespace: string;
    readonly facts: AdoptedFacts;
    /** Objects the stack declares that still carry Helm's (or kubectl's) field ownership. */
    readonly handover: readonly ObjectRef[];
    /** Objects of the release the stack does not declare, deleted after the takeover. */
    readonly remove: readonly ObjectRef[];
    /** Objects of the release kept in place (`adopt.keep`), Helm's metadata stripped. */
    readonly keep: readonly ObjectRef[];
    /**
     * Objects of the release listed in `adopt.remove`: copied (`objectBackupName`), then deleted
     * after the takeover with the others.
     */
    readonly discard: readonly ObjectRef[];
    /** The record's revisions, removed last (copied first). */
    readonly revisions: readonly HelmRevision[];
}

export type AdoptionPlan =
    | ({ readonly kind: "plan" } & AdoptionSteps)
    | { readonly kind: "refused"; readonly problems: readonly ConfigProblem[] };
