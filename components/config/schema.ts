/**
 * The stack configuration, declared once: every key of the `backline` config namespace, its type,
 * default, checks and description. Validation, the resolved types the components consume, the
 * Automation API's input type, `Pulumi.yaml`'s `config:` block, the README's reference tables and
 * the JSON Schema of `Pulumi.<stack>.yaml` all come from here (`npm run gen` writes the files).
 *
 * Keys follow the Helm chart's parameter paths (`worker.replicaCount`, `janitor.schedule`, …) so a
 * Helm user's habits carry over, and the defaults are the chart's.
 *
 * To add a key: one line in its section, e.g.
 * `revisionHistoryLimit: int(0, 100).prefault(5).describe("Old ReplicaSets kept.")`, then
 * `npm run gen`. Its resolved value reaches the components as `config.worker.revisionHistoryLimit`.
 * Some sections live in their own files and are assembled in `shape` below: `logging` and `efs` in
 * `aws-sections.ts`, the enterprise keys in `enterprise.ts`, `adopt` in `adopt.ts`.
 */
import { z } from "zod";
import { reservedWorkerEnvNames } from "../model";
import { adoptionRules, adoptSection } from "./adopt";
import { efsSection, loggingSection } from "./aws-sections";
import {
    always,
    at,
    before,
    blankIsUnset,
    bool,
    freeform,
    int,
    isPlainObject,
    listOf,
    object,
    show,
    stringMap,
    text,
    verbatim,
} from "./fields";
import { crossSectionRules } from "./rules";
import {
    enterpriseRules,
    enterpriseSections,
    janitorEnterpriseKeys,
    workerEnterpriseKeys,
    workerEnterpriseRules,
} from "./enterprise";
import { checkAllowedJobSecret } from "./job-secrets";
import { envVar, imageShape, nonRootId, probe, resources, toleration } from "./shapes";
import {
    checkBaseUrl,
    checkBytes,
    checkCronSchedule,
    checkDns1123Label,
    checkDns1123Subdomain,
    checkImageReference,
    checkMountPath,
    checkNonEmpty,
} from "./validators";

const httpHealth = { path: "/health", port: "http" };

const janitor = object({
    image: object(imageShape({ registry: "docker.io", name: "dtzar/helm-kubectl", tag: "3.16.1" })).prefault({}),
    schedule: text(checkCronSchedule)
        .prefault("* * * * *")
        .describe("Cron schedule (five fields, or a macro such as `@hourly`)."),
    resources: resources({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } }),
    refreshWindowSeconds: int(60, 86_400)
        .prefault(900)
        .describe("Refresh a token or credential that expires within this many seconds."),
    httpTimeoutSeconds: int(1, 120).prefault(10).describe("Whole-request timeout of each SaaS call."),
    runOnInstall: bool()
        .prefault(true)
        .describe(
            "Run the janitor once during `pulumi up` (Job `janitor-install-<hash>`), so a fresh install does not wait for the schedule.",
        ),
    startingDeadlineSeconds: int(10).prefault(60).describe("Skip a run that could not start within this time."),
    activeDeadlineSeconds: int(30).prefault(300).describe("Kill a run that takes longer."),
    backoffLimit: int(0, 10).prefault(1).describe("Retries of a failed run."),
    successfulJobsHistoryLimit: int(0, 100).prefault(3).describe("Finished Jobs kept."),
    failedJobsHistoryLimit: int(0, 100).prefault(3).describe("Failed Jobs kept (for `kubectl logs`)."),
    ...janitorEnterpriseKeys,
})
    .prefault({})
    .describe("The janitor CronJob, which keeps the credentials and the worker image fresh.");

/** Whether the user chose an image: then the janitor must not replace it (unless told to). */
function defaultAutoUpdate(raw: unknown): unknown {
    if (!isPlainObject(raw) || (raw.autoUpdate !== undefined && raw.autoUpdate !== null)) return raw;
    const pinned = ["registry", "name", "tag"].some((k) => raw[k] !== undefined && raw[k] !== null);
    return { ...raw, autoUpdate: !pinned };
}

// --- The worker's Jobs and the admission policy that checks them (issue 18) ---------------------

const workerJobs = object({
    allowedSecrets: listOf(
        text((name) => checkDns1123Subdomain(name) ?? checkAllowedJobSecret(name)),
        "expected a list of Secret names",
    )
        .prefault([])
        .describe(
            "Secrets of the namespace the worker's Jobs may mount or read from `env`/`envFrom` (with `security.jobAdmissionPolicy`); `dockerconfig` is always allowed as their image pull secret.",
        ),
})
    .prefault({})
    .describe("The Jobs the worker runs (Coder, Dependabot upgrader).");

const security = object({
    jobAdmissionPolicy: bool()
        .prefault(true)
        .describe(
            "A ValidatingAdmissionPolicy (Kubernetes 1.30+, cluster-scoped) that admits the worker's Jobs only as `backline-jobs`, with no API token and no Secret but `worker.jobs.allowedSecrets`.",
        ),
})
    .prefault({})
    .meta({
        description: "Guards beyond RBAC and Pod Security.",
        details:
            "With `jobAdmissionPolicy` off nothing cluster-scoped is made for it, and the worker, which may create Jobs, can run them as any ServiceAccount of the namespace (`janitor` included) and read any of its Secrets: see [The worker's Jobs](#the-workers-jobs-what-the-admission-policy-refuses).",
    });

// ---------------------------------------------------------------------------------------------

const worker = object({
    replicaCount: int(0, 1000).prefault(1).describe("Replicas."),
    image: before(
        defaultAutoUpdate,
        object({
            ...imageShape(
                {
                    registry: "580550010989.dkr.ecr.us-west-1.amazonaws.com",
                    name: "prod-worker",
                    tag: "2faf8c5-1757332651",
                },
                " Setting it pins the image.",
            ),
            // Always set by defaultAutoUpdate; the prefault only types it as optional input.
            autoUpdate: bool().prefault(true).meta({
                description: "Whether the janitor keeps the image at the latest release the SaaS announces.",
                defaultText: "`true`, or `false` once `registry`, `name` or `tag` is set",
            }),
        }),
    ).prefault({}),
    service: object({
        httpPort: int(1, 65_535).prefault(8080).describe("Container and Service port; the probes use it."),
    }).prefault({}),
    resources: resources({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2000m", memory: "2Gi" } }),
    livenessProbe: probe(
        { httpGet: httpHealth, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        "Merged over the default like Helm values; give `httpGet`, `tcpSocket`, `exec` or `grpc` to replace the check. Port `http` is `service.httpPort`.",
    ),
    readinessProbe: probe(
        { httpGet: httpHealth, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
        "As `livenessProbe`.",
    ),
    env: listOf(envVar, "expected a list of `{name, value}` or `{name, valueFrom}` entries")
        .superRefine((entries, ctx) => {
            const seen = new Set<string>();
            (Array.isArray(entries) ? entries : []).forEach((e, i) => {
                const name = at(e, "name");
                if (typeof name !== "string") return;
                if (seen.has(name)) {
                    ctx.addIssue({
                        code: "custom",
                        path: [i, "name"],
                        message: `got ${show(name)} a second time; each variable may appear once.`,
                        params: verbatim,
                    });
                }
                seen.add(name);
            });
        }, always)
        .prefault([])
        .describe(
            "Extra variables: `{name, value}` or `{name, valueFrom}`; names the program sets itself are refused.",
        ),
    nodeSelector: stringMap().prefault({}).describe("Node selector."),
    tolerations: listOf(toleration, "expected a list of tolerations").prefault([]).describe("Tolerations."),
    affinity: object({
        nodeAffinity: freeform().optional(),
        podAffinity: freeform().optional(),
        podAntiAffinity: freeform().optional(),
    })
        .prefault({})
        .meta({ description: "Affinity (`nodeAffinity`, `podAffinity`, `podAntiAffinity`).", documentAsOne: true }),
    storage: object({
        pvc: object({
            create: bool()
                .prefault(true)
                .describe("Create the claim; `false` uses an existing claim named `worker.storage.pvc.name`."),
            name: text(checkDns1123Subdomain).prefault("worker-storage").describe("Claim name."),
            storageClassName: blankIsUnset(text(checkDns1123Subdomain).optional()).meta({
                description: "An existing ReadWriteMany class; not together with `efs`.",
                defaultText: '`""` (the cluster default)',
            }),
            size: text(checkBytes).prefault("10Gi").describe("Requested size."),
        }).prefault({}),
        mountPath: text(checkMountPath)
            .prefault("/data")
            .describe("Where the worker mounts the claim (`BACKLINE_STORAGE_PATH`)."),
        deleteOnDestroy: bool()
            .prefault(false)
            .describe("Let `pulumi destroy` delete the claim, the namespace and the EFS filesystem."),
    }).prefault({}),
    securityContext: object({
        runAsUser: nonRootId(1000, "Worker uid (non-root; also the EFS access points' owner)."),
        runAsGroup: nonRootId(1000, "Worker gid."),
        fsGroup: nonRootId(1000, "Volume group (the EFS access points' gid)."),
    }).prefault({}),
    otel: object({
        enabled: bool()
            .prefault(true)
            .describe("Run the `adot-collector` sidecar (needs `logging.region` and a role)."),
        collector: object({
            image: text(checkImageReference)
                .prefault("public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2")
                .describe("Collector image."),
            resources: resources({
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "200m", memory: "256Mi" },
            }),
        }).prefault({}),
    }).prefault({}),
    jobs: workerJobs,
    ...workerEnterpriseKeys,
})
    .superRefine(workerEnterpriseRules, always)
    .prefault({})
    .meta({
        description: "The worker Deployment, its Service, shared storage and collector sidecar.",
        details: `The program sets ${reservedWorkerEnvNames.map((n) => `\`${n}\``).join(", ")} on the worker (the access key by \`secretKeyRef\`, the \`OTEL_*\` ones with otel), so the Jobs it creates can mount the same claim, pull with the same secrets and use the same proxy, CA bundle and registry mirror ([Enterprise clusters](#enterprise-clusters)); \`worker.env\` may not redefine them.`,
    });

const kubernetes = object({
    kubeconfig: text(checkNonEmpty).optional().meta({
        description: "Path or contents of a kubeconfig.",
        defaultText: "`$KUBECONFIG` / `~/.kube/config`",
        secret: "allowed",
    }),
    context: text(checkNonEmpty)
        .optional()
        .meta({ description: "Context to use.", defaultText: "the current context" }),
    renderYamlToDirectory: text(checkNonEmpty)
        .optional()
        .describe(
            "Write manifests to this folder instead of applying them. Rendered Secrets hold **plaintext** (the access key).",
        ),
    skipAwait: bool()
        .prefault(false)
        .describe("Do not wait for workloads to become ready (test clusters without nodes)."),
})
    .superRefine((k, ctx) => {
        if (k.renderYamlToDirectory && (k.kubeconfig || k.context)) {
            ctx.addIssue({
                code: "custom",
                path: ["renderYamlToDirectory"],
                message:
                    "set together with `kubernetes.kubeconfig`/`kubernetes.context`; render mode talks to no cluster. Remove one of them.",
                params: verbatim,
            });
        }
    })
    .prefault({})
    .describe("Where to deploy (the program's Kubernetes provider).");

// ---------------------------------------------------------------------------------------------
// The whole stack configuration.
// ---------------------------------------------------------------------------------------------

const shape = {
    baseUrl: blankIsUnset(
        text(checkBaseUrl, {
            missing:
                "missing; set the Backline SaaS endpoint, e.g. `pulumi config set baseUrl https://app.backline.ai`",
        }),
    ).describe(
        "Backline SaaS endpoint; `https://` (`http://` only for localhost). The chart defaulted to staging; here a missing URL is an error, so production never talks to staging by accident.",
    ),
    accessKey: blankIsUnset(
        text(
            (s) =>
                /\s/.test(s)
                    ? "contains whitespace (value not shown); paste the key without spaces or line breaks."
                    : undefined,
            {
                missing: "missing; set it encrypted with `pulumi config set --secret accessKey <key>`",
            },
        ),
    ).meta({
        description:
            "Access key for the Backline SaaS: `pulumi config set --secret accessKey <key>`. Plaintext is refused.",
        secret: "required",
    }),
    namespaceOverride: blankIsUnset(text(checkDns1123Label).prefault("backline")).describe(
        "Namespace of every object (a DNS-1123 label).",
    ),
    janitor,
    worker,
    logging: loggingSection,
    efs: efsSection,
    kubernetes,
    security,
    ...enterpriseSections,
    // Moving a live Helm release to the stack (issue 13): its keys and rules are in ./adopt.ts.
    adopt: adoptSection,
};

/** The stack configuration as checked, defaults applied, before `resolve.ts` shapes it for the components. */
export const stackConfigSchema = object(shape)
    .superRefine(crossSectionRules, always)
    .superRefine(enterpriseRules, always)
    .superRefine(adoptionRules, always);

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfigOutput = z.output<typeof stackConfigSchema>;

/** Top-level keys, in declaration order (the README's order). */
export const topLevelKeys = Object.keys(shape) as (keyof typeof shape)[];
