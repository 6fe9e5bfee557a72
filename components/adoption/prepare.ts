/**
 * The adoption's preflight, run by the program (`index.ts`) before it declares any resource, in
 * `pulumi preview` and `pulumi up` alike: read the release and its objects, plan, and either refuse
 * with every reason (nothing is written) or log what will change and hand the plan to
 * `BacklineStack`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConfigProblem } from "../config";
import { stackConfigSchema } from "../config";
import { AdoptionStackConfig, AdoptionSteps, planAdoption } from "./plan";
import { describeAdoption } from "./changes";
import { names, networkPolicyNames, siteNames } from "../model";
import type { BacklineConfig } from "../model";
import type { KubeConnection } from "../cluster/kubectl";
import { readLiveRelease } from "./live";

/** What `BacklineStack` takes to adopt a release (its `adoption` argument). */
export interface PreparedAdoption {
    readonly steps: AdoptionSteps;
    /** The cluster, as the stack's Kubernetes provider reaches it. */
    readonly connection: KubeConnection;
    /** Whether Helm's record was still there. */
    readonly recordPresent: boolean;
    /** What will change, as the preview prints it. */
    readonly changes: readonly string[];
}

/** The adoption was refused: every reason, and nothing was changed. */
export class AdoptionRefusedError extends pulumi.RunError {
    public readonly problems: readonly ConfigProblem[];

    constructor(release: string, problems: readonly ConfigProblem[]) {
        super(
            [
                `Helm release ${JSON.stringify(release)} cannot be adopted (${problems.length} problem${problems.length === 1 ? "" : "s"}):`,
                ...problems.map((p) => `  - \`${p.key}\`: ${p.message}`),
                "Nothing was changed. Fix them (`pulumi config set [--path] <key> <value>`, or in the cluster as said) and run `pulumi preview` again.",
            ].join("\n"),
        );
        this.name = "AdoptionRefusedError";
        this.problems = problems;
    }
}

/** The part of the configuration the plan reads. */
export function adoptionStackConfig(config: BacklineConfig): AdoptionStackConfig | undefined {
    if (!config.adoption) {
        return undefined;
    }
    return {
        namespace: config.namespace,
        adoption: config.adoption,
        storage: config.storage,
        worker: config.worker,
        collector: config.observability !== undefined,
        installJob: config.janitor.runOnInstall,
        siteObjects: siteObjectsOf(config),
    };
}

/** The namespaced objects `BacklineStack` adds for the enterprise-cluster keys (proxy, CA bundle, network policy, …), as `Kind/name`. */
function siteObjectsOf(config: BacklineConfig): string[] {
    const n = config.networkPolicy;
    return [
        ...(config.site.proxy ? [`Secret/${siteNames.proxySecret}`] : []),
        ...(config.site.caBundle?.kind === "inline" ? [`ConfigMap/${siteNames.caBundleConfigMap}`] : []),
        ...(config.worker.disruptionBudget ? [`PodDisruptionBudget/${names.workerDeployment}`] : []),
        ...(n
            ? [
                  `NetworkPolicy/${networkPolicyNames.denyIngress}`,
                  `NetworkPolicy/${networkPolicyNames.workerIngress}`,
                  ...(n.egress ? [`NetworkPolicy/${networkPolicyNames.egress}`] : []),
              ]
            : []),
    ];
}

export interface PrepareOptions {
    /**
     * The stack configuration as given (chart-shaped, before resolving: `readStackConfig().values`
     * in a Pulumi program), to list the values that differ from the release.
     */
    readonly values: unknown;
    /** Where the account of the changes goes. @default `pulumi.log.info` */
    readonly log?: (message: string) => void;
}

/**
 * Reads the release named by `adopt.helmRelease` and plans its adoption; throws
 * `AdoptionRefusedError` when it must not go ahead. `undefined` when nothing is to be adopted.
 */
export function prepareAdoption(config: BacklineConfig, opts: PrepareOptions): PreparedAdoption | undefined {
    const c = adoptionStackConfig(config);
    if (!c) {
        return undefined;
    }
    const connection: KubeConnection = {
        ...(config.kubernetes.kubeconfig ? { kubeconfig: config.kubernetes.kubeconfig } : {}),
        ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
    };
    let live;
    try {
        live = readLiveRelease(connection, c);
    } catch (err) {
        throw new AdoptionRefusedError(c.adoption.release, [
            {
                key: "adopt.helmRelease",
                message: `could not read the release from the cluster: ${(err as Error).message}`,
            },
        ]);
    }
    const plan = planAdoption(c, live);
    if (plan.kind === "refused") {
        throw new AdoptionRefusedError(c.adoption.release, plan.problems);
    }
    const parsed = stackConfigSchema.safeParse(opts.values);
    const changes = describeAdoption(c, plan, live, parsed.success ? parsed.data : {});
    (opts.log ?? ((m: string) => pulumi.log.info(m)))(changes.join("\n"));
    return { steps: plan, connection, recordPresent: live.revisions.length > 0, changes };
}
