/**
 * `worker`: the worker Deployment, its Service, shared storage, collector sidecar, the Jobs it
 * runs, and its pods' settings; with the rules among its keys.
 */
import { z } from "zod";
import { caBundleDir, reservedWorkerEnvNames, reservedWorkerVolumeNames } from "../../model";
import {
    acceptsOutput,
    always,
    before,
    blankIsUnset,
    bool,
    freeform,
    int,
    isPlainObject,
    listOf,
    object,
    rule,
    show,
    stringMap,
    text,
} from "../fields";
import {
    envVar,
    imageShape,
    intOrPercent,
    nonRootId,
    podKeys,
    probe,
    resources,
    toleration,
    topologySpreadConstraint,
} from "../shapes";
import {
    checkAllowedJobSecret,
    checkBytes,
    checkDns1123Subdomain,
    checkImageReference,
    checkMountPath,
} from "../validators";
import { extraVolume, volumeMounts } from "../volumes";

const httpHealth = { path: "/health", port: "http" };

/** Whether the user chose an image: then the janitor must not replace it (unless told to). */
function defaultAutoUpdate(raw: unknown): unknown {
    if (!isPlainObject(raw) || (raw.autoUpdate !== undefined && raw.autoUpdate !== null)) return raw;
    const pinned = ["registry", "name", "tag"].some((k) => raw[k] !== undefined && raw[k] !== null);
    return { ...raw, autoUpdate: !pinned };
}

const image = before(
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
).prefault({});

const env = listOf(envVar, "expected a list of `{name, value}` or `{name, valueFrom}` entries")
    .superRefine((entries, ctx) => {
        const { typed, problem } = rule(ctx);
        const names = (typed() ? entries : []).map((e, i) => (typed(i, "name") ? e.name : undefined));
        names.forEach((name, i) => {
            if (name !== undefined && names.indexOf(name) !== i) {
                problem([i, "name"], `got ${show(name)} a second time; each variable may appear once.`);
            }
        });
    }, always)
    .prefault([])
    .describe("Extra variables: `{name, value}` or `{name, valueFrom}`; names the program sets itself are refused.");

const storage = object({
    pvc: object({
        create: bool()
            .prefault(true)
            .describe("Create the claim; `false` uses an existing claim named `worker.storage.pvc.name`."),
        name: text(checkDns1123Subdomain).prefault("worker-storage").describe("Claim name."),
        storageClassName: blankIsUnset(acceptsOutput(text(checkDns1123Subdomain)).optional()).meta({
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
}).prefault({});

const otel = object({
    enabled: bool().prefault(true).describe("Run the `adot-collector` sidecar (needs `logging.region` and a role)."),
    collector: object({
        image: text(checkImageReference)
            .prefault("public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2")
            .describe("Collector image."),
        resources: resources({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } }),
    }).prefault({}),
}).prefault({});

const jobs = object({
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

const podDisruptionBudget = object({
    minAvailable: intOrPercent()
        .optional()
        .describe("Make a PodDisruptionBudget `worker` keeping this many (or this percentage) available."),
    maxUnavailable: intOrPercent()
        .optional()
        .describe("Or: one allowing this many (or this percentage) to be evicted at once."),
})
    .superRefine((_, ctx) => {
        const { given, problem } = rule(ctx);
        if (given("minAvailable") && given("maxUnavailable")) {
            problem(["maxUnavailable"], "set together with `minAvailable`; a PodDisruptionBudget takes one of them.");
        }
    }, always)
    .prefault({});

const shape = {
    replicaCount: int(0, 1000).prefault(1).describe("Replicas."),
    image,
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
    env,
    nodeSelector: stringMap().prefault({}).describe("Node selector."),
    tolerations: listOf(toleration, "expected a list of tolerations").prefault([]).describe("Tolerations."),
    affinity: object({
        nodeAffinity: freeform().optional(),
        podAffinity: freeform().optional(),
        podAntiAffinity: freeform().optional(),
    })
        .prefault({})
        .meta({ description: "Affinity (`nodeAffinity`, `podAffinity`, `podAntiAffinity`).", documentAsOne: true }),
    storage,
    securityContext: object({
        runAsUser: nonRootId(1000, "Worker uid (non-root; also the EFS access points' owner)."),
        runAsGroup: nonRootId(1000, "Worker gid."),
        fsGroup: nonRootId(1000, "Volume group (the EFS access points' gid)."),
    }).prefault({}),
    otel,
    jobs,
    ...podKeys("worker"),
    extraVolumes: listOf(extraVolume, "expected a list of volumes")
        .prefault([])
        .describe(
            "Extra volumes of the worker's pod (Kubernetes' shape; configMap, secret, emptyDir, persistentVolumeClaim, csi, projected, downwardAPI, ephemeral: what \"restricted\" allows).",
        ),
    extraVolumeMounts: volumeMounts
        .prefault([])
        .describe("Mounts of `extraVolumes` into the worker container (`name`, `mountPath`, `subPath`, `readOnly`)."),
    podDisruptionBudget,
    topologySpreadConstraints: listOf(topologySpreadConstraint, "expected a list of topology spread constraints")
        .prefault([])
        .describe(
            "How the worker's replicas spread over zones or nodes (Kubernetes' shape; `labelSelector` defaults to the worker's own).",
        ),
};

type Worker = z.output<ReturnType<typeof object<typeof shape>>>;

/** Names of the extra volumes (`undefined` where one is not text), then of their mounts. */
function volumeRules(w: Worker, ctx: z.RefinementCtx): void {
    const { typed, problem } = rule(ctx);
    const names = (typed("extraVolumes") ? w.extraVolumes : []).map((v, i) =>
        typed("extraVolumes", i, "name") ? v.name : undefined,
    );
    names.forEach((name, i) => {
        if (name === undefined) return;
        if (reservedWorkerVolumeNames.includes(name)) {
            problem(
                ["extraVolumes", i, "name"],
                `got ${show(name)}, a volume of the program's own (${reservedWorkerVolumeNames.join(", ")}); choose another name.`,
            );
        } else if (names.indexOf(name) !== i) {
            problem(["extraVolumes", i, "name"], `got ${show(name)} a second time; each volume needs its own name.`);
        }
    });
    const known = names.filter((n) => n !== undefined).map((n) => `\`${n}\``);
    const ownPaths = [typed("storage", "mountPath") ? w.storage.mountPath : "/data", "/tmp", caBundleDir];
    const mounts = typed("extraVolumeMounts") ? w.extraVolumeMounts : [];
    const paths = mounts.map((m, i) => (typed("extraVolumeMounts", i, "mountPath") ? m.mountPath : undefined));
    mounts.forEach((m, i) => {
        if (typed("extraVolumeMounts", i, "name") && !names.includes(m.name)) {
            problem(
                ["extraVolumeMounts", i, "name"],
                `got ${show(m.name)}, which is not in \`worker.extraVolumes\` (${known.length > 0 ? `names there: ${known.join(", ")}` : "it is empty"}); add the volume there.`,
            );
        }
        const path = paths[i];
        if (path === undefined) return;
        if (ownPaths.includes(path)) {
            problem(
                ["extraVolumeMounts", i, "mountPath"],
                `got ${show(path)}, where the program mounts a volume of its own (the claim at \`worker.storage.mountPath\`, \`/tmp\`, the CA bundle at \`${caBundleDir}\`); choose another path.`,
            );
        } else if (paths.indexOf(path) !== i) {
            problem(
                ["extraVolumeMounts", i, "mountPath"],
                `got ${show(path)} a second time; each mount needs its own path.`,
            );
        }
    });
}

/** Pods kept available out of `replicas`, as the disruption controller rounds: up. */
function keptAvailable(value: number | string, replicas: number): number {
    return typeof value === "number" ? value : Math.ceil((Number(value.slice(0, -1)) * replicas) / 100);
}

/** A disruption budget must allow at least one eviction, or node drains hang. */
function budgetRules(w: Worker, ctx: z.RefinementCtx): void {
    const { typed, problem } = rule(ctx);
    if (!typed("replicaCount") || w.replicaCount === 0) return;
    const replicas = w.replicaCount;
    const { minAvailable: min, maxUnavailable: max } = typed("podDisruptionBudget") ? w.podDisruptionBudget : {};
    if (min !== undefined && typed("podDisruptionBudget", "minAvailable") && keptAvailable(min, replicas) >= replicas) {
        problem(
            ["podDisruptionBudget", "minAvailable"],
            `got ${show(min)} with \`worker.replicaCount\` ${replicas}: it keeps every replica available, so no pod may ever be evicted and node drains and cluster upgrades hang. Use a value below \`worker.replicaCount\` (e.g. ${Math.max(replicas - 1, 0)}${replicas === 1 ? ", i.e. no budget, or raise `worker.replicaCount`" : ""}), or \`maxUnavailable: 1\`.`,
        );
    }
    if ((max === 0 || max === "0%") && typed("podDisruptionBudget", "maxUnavailable")) {
        problem(
            ["podDisruptionBudget", "maxUnavailable"],
            `got ${show(max)}: no pod may ever be evicted, so node drains and cluster upgrades hang. Use at least \`1\` (or a percentage that rounds up to one pod).`,
        );
    }
}

export const worker = object(shape)
    .superRefine(volumeRules, always)
    .superRefine(budgetRules, always)
    .prefault({})
    .meta({
        description: "The worker Deployment, its Service, shared storage and collector sidecar.",
        details: `The program sets ${reservedWorkerEnvNames.map((n) => `\`${n}\``).join(", ")} on the worker (the access key by \`secretKeyRef\`, the \`OTEL_*\` ones with otel), so the Jobs it creates can mount the same claim, pull with the same secrets and use the same proxy, CA bundle and registry mirror ([Enterprise clusters](#enterprise-clusters)); \`worker.env\` may not redefine them.`,
    });
