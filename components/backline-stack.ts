import * as pulumi from "@pulumi/pulumi";
import type { PreparedAdoption } from "./adoption/prepare";
import type { BacklineConfig } from "./model";
import { HelmReleaseRemoval } from "./adoption/release-removal";
import { HelmTakeover } from "./adoption/takeover";
import { Janitor } from "./janitor";
import { JobAdmission } from "./job-admission";
import { BacklineNamespace } from "./namespace";
import { NetworkPolicies } from "./network-policies";
import { Observability } from "./observability";
import { Outbound } from "./outbound";
import type { BacklineStackOutputs } from "./outputs";
import { commonMetadataTransformation } from "./specs/metadata";
import { WorkerStorage } from "./storage";
import { Worker } from "./worker";

/** The stack outputs of `index.ts`: declared in ./outputs.ts, which the Automation API parses them with. */
export type { BacklineStackOutputs } from "./outputs";

export interface BacklineStackArgs {
    /**
     * The resolved configuration: `loadBacklineConfig()` in a Pulumi program, or
     * `parseBacklineConfig(values).config` when embedding. The access key may stay a plain string:
     * `BacklineNamespace` makes it a secret.
     */
    readonly config: BacklineConfig;
    /**
     * A live Helm release to take over (`adopt.helmRelease`), as `prepareAdoption` planned it from
     * the cluster. @default none
     */
    readonly adoption?: PreparedAdoption;
}

/**
 * The whole Backline on-premises stack: namespace and access-key Secret, shared storage, the
 * collector's configuration and IAM role, the janitor and the worker.
 *
 * Providers come from `opts.providers` (a `kubernetes` provider, and `aws` when EFS or a
 * collector role is created); without them Pulumi's default providers are used.
 */
export class BacklineStack extends pulumi.ComponentResource {
    public readonly outputs: BacklineStackOutputs;

    constructor(name: string, args: BacklineStackArgs, opts?: pulumi.ComponentResourceOptions) {
        // No args recorded: they hold the access key, and any change would show as an update.
        super("backline:index:BacklineStack", name, {}, withCommonMetadata(opts, args.config));
        const cfg = args.config;
        const skipAwait = cfg.kubernetes.skipAwait;

        // Adopting a Helm release: its field ownership is handed over first, and every Kubernetes
        // object below applies as the manager it was handed to (README "Moving from the Helm chart").
        const adoption = args.adoption;
        const takeover = adoption
            ? new HelmTakeover(
                  `${name}-helm-takeover`,
                  {
                      connection: adoption.connection,
                      fieldManager: adoption.steps.facts.fieldManager,
                      handover: adoption.steps.handover,
                  },
                  { parent: this },
              )
            : undefined;
        const child: pulumi.ComponentResourceOptions = {
            parent: this,
            ...(takeover ? { transformations: [takeover.transformation] } : {}),
        };

        // First, so that a cluster refusing the cluster-scoped policy stops `pulumi up` before
        // anything else exists, and no worker runs before its Jobs are checked.
        const jobAdmission = cfg.jobAdmission
            ? new JobAdmission(
                  `${name}-job-admission`,
                  {
                      namespace: cfg.namespace,
                      claimName: cfg.storage.claim.name,
                      allowedSecrets: cfg.jobAdmission.allowedSecrets,
                  },
                  { parent: this },
              )
            : undefined;

        const namespace = new BacklineNamespace(
            `${name}-namespace`,
            {
                name: cfg.namespace,
                accessKey: cfg.accessKey,
                retainOnDelete: !cfg.storage.deleteOnDestroy,
                waitFor: jobAdmission ? [jobAdmission.binding] : [],
            },
            child,
        );
        const ns = namespace.name;

        // A live claim keeps its class and access modes: a bound claim never changes them.
        const storage = new WorkerStorage(
            `${name}-storage`,
            { storage: cfg.storage, namespace: ns, skipAwait, claimOverride: adoption?.steps.facts.claim },
            child,
        );

        const observability = cfg.observability
            ? new Observability(`${name}-observability`, { observability: cfg.observability, namespace: ns }, child)
            : undefined;

        // Issue 12: the proxy Secret and the inline CA bundle, which the pods below need first.
        const site = cfg.site;
        const outbound =
            site.proxy || site.caBundle?.kind === "inline"
                ? new Outbound(`${name}-outbound`, { site, namespace: ns }, { ...child, dependsOn: [namespace] })
                : undefined;
        const siteReady = outbound ? [outbound] : [];

        const janitor = new Janitor(
            `${name}-janitor`,
            {
                janitor: cfg.janitor,
                baseUrl: cfg.baseUrl,
                updateWorkerImage: cfg.worker.image.autoUpdate,
                site,
                namespace: ns,
                skipAwait,
                waitFor: [namespace, ...siteReady],
            },
            child,
        );

        const worker = new Worker(
            `${name}-worker`,
            {
                worker: cfg.worker,
                baseUrl: cfg.baseUrl,
                claimName: storage.claimName,
                collector: observability?.sidecar,
                site,
                proxySecretUid: outbound?.proxySecretUid,
                namespace: ns,
                skipAwait,
                waitFor: [namespace, ...siteReady, ...(janitor.installJob ? [janitor.installJob] : [])],
                // A live Deployment keeps its (immutable) selector, and the image the janitor set.
                selectorOverride: adoption?.steps.facts.workerSelector,
                imageOverride: adoption?.steps.facts.workerImage,
            },
            child,
        );

        if (cfg.networkPolicy) {
            new NetworkPolicies(
                `${name}-network`,
                {
                    networkPolicy: cfg.networkPolicy,
                    httpPort: cfg.worker.service.httpPort,
                    workerSelector: worker.selector,
                    namespace: ns,
                },
                { ...child, dependsOn: [namespace] },
            );
        }

        const removal = adoption
            ? new HelmReleaseRemoval(
                  `${name}-helm-release`,
                  {
                      connection: adoption.connection,
                      release: adoption.steps.release,
                      releaseNamespace: adoption.steps.releaseNamespace,
                      remove: adoption.steps.remove,
                      keep: adoption.steps.keep,
                      recordPresent: adoption.recordPresent,
                      after: [
                          namespace,
                          storage,
                          janitor,
                          worker,
                          ...(observability ? [observability] : []),
                          ...siteReady,
                      ],
                  },
                  { parent: this },
              )
            : undefined;

        this.outputs = {
            namespace: ns,
            workerDeployment: worker.deploymentName,
            workerService: worker.serviceName,
            janitorCronJob: janitor.cronJobName,
            claimName: storage.claimName,
            workerImageUpdates: pulumi.output(worker.imageUpdates),
            ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
            ...(storage.fileSystemId ? { efsFileSystemId: storage.fileSystemId } : {}),
            ...(observability
                ? { collectorRoleArn: observability.roleArn, logGroupName: observability.logGroupName }
                : {}),
            ...(jobAdmission ? { jobAdmissionPolicy: jobAdmission.policyName } : {}),
            ...(removal ? { helmAdoption: removal.result } : {}),
        };
        this.registerOutputs({ ...this.outputs });
    }
}

/** `commonLabels`/`commonAnnotations` on every Kubernetes object under the stack (`specs/metadata.ts`). */
function withCommonMetadata(
    opts: pulumi.ComponentResourceOptions | undefined,
    config: BacklineConfig,
): pulumi.ComponentResourceOptions | undefined {
    const transformation = commonMetadataTransformation(config.commonMetadata);
    if (!transformation) return opts;
    return { ...opts, transformations: [...(opts?.transformations ?? []), transformation] };
}
