import * as pulumi from "@pulumi/pulumi";
import { HelmAdoption } from "./adoption";
import type { PreparedAdoption } from "./adoption";
import { ConfigValidationError, prepareStackValues } from "./config";
import type { BacklineStackValues } from "./config";
import { LateInputs } from "./late-inputs";
import { siteNames, type BacklineConfig } from "./model";
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

/**
 * What `BacklineStack` takes: the configuration's keys, as the stack configuration holds them, with
 * `pulumi.Input`s where a program may hand over another resource's output (the access key, the role
 * ARN, the storage class, registries, labels and annotations: `keysTakingOutputs()` lists them);
 * or a configuration already resolved (`BacklineStackConfigArgs`), as the program `index.ts` passes.
 */
export type BacklineStackArgs = BacklineStackValues | BacklineStackConfigArgs;

export type { BacklineStackValues } from "./config";

/** A configuration already checked and resolved, and the Helm release to take over, if any. */
export interface BacklineStackConfigArgs {
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
 * Given the configuration's keys, it checks them as the stack configuration is checked, every
 * problem at once, and throws `ConfigValidationError` before any resource exists. A value given as
 * an Output is checked when it resolves: a bad one fails `pulumi up` on this component, and nothing
 * that uses it is created.
 *
 * Providers come from `opts.providers` (a `kubernetes` provider, and `aws` when EFS or a
 * collector role is created); without them Pulumi's default providers are used.
 */
export class BacklineStack extends pulumi.ComponentResource {
    public readonly outputs: BacklineStackOutputs;

    constructor(name: string, args: BacklineStackArgs, opts?: pulumi.ComponentResourceOptions) {
        const { config: cfg, adoption: prepared, late } = fromArgs(args, () => this);
        // No args recorded: they hold the access key, and any change would show as an update.
        super("backline:index:BacklineStack", name, {}, withLateInputs(withCommonMetadata(opts, cfg), late));
        const skipAwait = cfg.kubernetes.skipAwait;

        // Adopting a Helm release: its field ownership is handed over first, and every Kubernetes
        // object below applies as the manager it was handed to (docs/helm-adoption.md).
        const adoption = prepared ? new HelmAdoption(name, prepared, this) : undefined;
        const child: pulumi.ComponentResourceOptions = {
            parent: this,
            ...(adoption ? { transformations: [adoption.transformation] } : {}),
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
                      // The selector the worker keeps below: its Jobs' pods may not carry it.
                      workerSelectorOverride: adoption?.worker.selectorOverride,
                      // What the worker hands its Jobs for the site: the proxy Secret, the pull secrets.
                      ...(cfg.site.proxy ? { proxySecret: siteNames.proxySecret } : {}),
                      imagePullSecrets: cfg.site.imagePullSecrets,
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
            { storage: cfg.storage, namespace: ns, skipAwait, claimOverride: adoption?.claim },
            child,
        );

        const observability = cfg.observability
            ? new Observability(`${name}-observability`, { observability: cfg.observability, namespace: ns }, child)
            : undefined;

        // The proxy Secret and the inline CA bundle, which the pods below need first.
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
                ...adoption?.worker,
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

        // Last, once every object took the release over (the worker rolled onto the stack's Secret).
        const helmAdoption = adoption?.finish([
            namespace,
            storage,
            janitor,
            worker,
            ...(observability ? [observability] : []),
            ...siteReady,
        ]);

        const outputs: BacklineStackOutputs = {
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
            ...(helmAdoption ? { helmAdoption } : {}),
        };
        // Values given as Outputs reach the outputs as they do the resources.
        this.outputs = late ? (late.resolve(outputs) as BacklineStackOutputs) : outputs;
        this.registerOutputs({ ...this.outputs });
    }
}

/** The resolved configuration, from either form of the arguments; throws on a bad value known now. */
function fromArgs(
    args: BacklineStackArgs,
    owner: () => pulumi.Resource | undefined,
): { config: BacklineConfig; adoption?: PreparedAdoption; late?: LateInputs } {
    if ("config" in args && args.config !== undefined) return { config: args.config, adoption: args.adoption };
    const prepared = prepareStackValues(args);
    if (!prepared.ok) {
        throw new ConfigValidationError(
            prepared.problems,
            "Fix the arguments of `BacklineStack` (keys as `pulumi config set --path` writes them); no resource was declared.",
        );
    }
    const late = prepared.pending.length > 0 ? new LateInputs(prepared.tokenized, prepared.pending, owner) : undefined;
    return { config: prepared.config, late };
}

/** The stack's options with the late values' transformation last, so it sees every other's result. */
function withLateInputs(
    opts: pulumi.ComponentResourceOptions | undefined,
    late: LateInputs | undefined,
): pulumi.ComponentResourceOptions | undefined {
    return late ? { ...opts, transformations: [...(opts?.transformations ?? []), late.transformation] } : opts;
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
