/**
 * The configuration as the components consume it: the checked stack configuration (`schema.ts`)
 * shaped per component, with the choices the keys imply made once, as unions — storage is EFS, an
 * existing class, the cluster default or an existing claim; the collector's role is an existing
 * one or one to create — so no component re-derives them or checks optionals at run time.
 *
 * The result is the model's `ResolvedConfig` (`model/config*.ts`). It is inferred here, not
 * annotated: an annotation would let a key the schema adds pass unseen, where
 * `test/model-types.spec.ts` compares what is really produced with the model, key for key. Keys are
 * carried over by spreading their section, so a key added to the schema and declared in the model
 * reaches its component without an edit here.
 */
import { z } from "zod";
import { commonMetadataOf, disruptionBudgetOf, networkPolicyOf, siteOf } from "./resolve-enterprise";
import { defaultLogGroupName } from "./sections/logging";
import { stackConfigSchema, StackConfigOutput } from "./schema";

/** Everything read-only, all the way down. */
export type DeepReadonly<T> = T extends (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** A value the cross-section rules of `schema.ts` guarantee; its absence is a bug here. */
function guaranteed<T>(value: T | undefined, key: string): T {
    if (value === undefined) throw new Error(`internal error: \`${key}\` passed validation but is missing`);
    return value;
}

function claimOf(c: StackConfigOutput) {
    const { create, storageClassName, ...claim } = c.worker.storage.pvc;
    if (!create) {
        return { kind: "existingClaim" as const, name: claim.name };
    }
    if (c.efs) {
        // The CSI driver creates each access point owned by the worker, so it and its Jobs can write.
        const owner = { uid: c.worker.securityContext.runAsUser, gid: c.worker.securityContext.fsGroup };
        return { kind: "efs" as const, ...claim, efs: c.efs, owner };
    }
    if (storageClassName !== undefined) {
        return { kind: "storageClass" as const, ...claim, storageClassName };
    }
    return { kind: "clusterDefault" as const, ...claim };
}

function collectorRoleOf(logging: StackConfigOutput["logging"]) {
    if (logging.roleArn !== undefined) {
        return { kind: "existing" as const, roleArn: logging.roleArn };
    }
    const oidc = guaranteed(logging.oidc, "logging.oidc");
    // The provider ARN ends with the issuer (host and path): the prefix of the trust conditions.
    const issuer = oidc.providerArn.replace(/^.*?:oidc-provider\//, "");
    return { kind: "create" as const, oidc: { ...oidc, issuer } };
}

function observabilityOf(c: StackConfigOutput) {
    if (!c.worker.otel.enabled) {
        return undefined;
    }
    const { region, roleArn, oidc, logGroupName, ...logging } = c.logging;
    return {
        ...logging,
        region: guaranteed(region, "logging.region"),
        logGroupName: logGroupName ?? defaultLogGroupName(c.namespaceOverride),
        role: collectorRoleOf(c.logging),
        collector: c.worker.otel.collector,
    };
}

/** The admission policy on the worker's Jobs, or `undefined` when `security.jobAdmissionPolicy` is off. */
function jobAdmissionOf(c: StackConfigOutput) {
    return c.security.jobAdmissionPolicy ? { allowedSecrets: c.worker.jobs.allowedSecrets } : undefined;
}

/** The release to adopt (`adopt.*`), or none. */
function adoptionOf(c: StackConfigOutput) {
    const { helmRelease, releaseNamespace, keep, remove } = c.adopt;
    if (helmRelease === undefined) {
        return undefined;
    }
    return { release: helmRelease, releaseNamespace: releaseNamespace ?? c.namespaceOverride, keep, remove };
}

function resolve(c: StackConfigOutput) {
    // Sections the components take as they are (`janitor`, `kubernetes`, a new one) pass through.
    const { namespaceOverride, logging, efs, security, adopt, worker: w, ...rest } = c;
    // The enterprise keys, made into what the components take (resolve-enterprise.ts).
    const { proxy, caBundle, imageRegistry, imagePullSecrets, commonLabels, commonAnnotations, ...sections } = rest;
    const { storage, otel, jobs, podDisruptionBudget, ...worker } = w;
    return {
        ...sections,
        namespace: namespaceOverride,
        worker: { ...worker, mountPath: storage.mountPath, disruptionBudget: disruptionBudgetOf(podDisruptionBudget) },
        storage: { deleteOnDestroy: storage.deleteOnDestroy, claim: claimOf(c) },
        observability: observabilityOf(c),
        jobAdmission: jobAdmissionOf(c),
        site: siteOf(c),
        commonMetadata: commonMetadataOf(c),
        networkPolicy: networkPolicyOf(c.networkPolicy),
        adoption: adoptionOf(c),
    };
}

/** The stack configuration, checked and resolved into the model's `ResolvedConfig`. */
export const backlineConfigSchema = stackConfigSchema.transform(resolve);

/**
 * The resolved configuration as zod infers it from the schema and `resolve` above. It is the
 * model's `ResolvedConfig`, key for key: `test/model-types.spec.ts` (checked by `npm run
 * typecheck`) fails when a key is added to one and not the other.
 */
export type ResolvedOutput = DeepReadonly<z.output<typeof backlineConfigSchema>>;

export type {
    AdoptionConfig,
    BacklineConfig,
    CaBundleConfig,
    ClaimConfig,
    CollectorConfig,
    CollectorRole,
    CommonMetadata,
    DisruptionBudgetConfig,
    EfsClaimConfig,
    EfsConfig,
    ImageConfig,
    JanitorConfig,
    JobAdmissionConfig,
    KubernetesConfig,
    NetworkPolicyConfig,
    ObservabilityConfig,
    OidcTrust,
    PodIdentity,
    ProbeConfig,
    ProxyConfig,
    ResolvedConfig,
    ResourcesConfig,
    SiteConfig,
    StorageConfig,
    WorkerConfig,
    WorkerImageConfig,
} from "../model";
