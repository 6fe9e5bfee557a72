/**
 * The one place where stack configuration is read and validated.
 *
 * Keys follow the Helm chart's parameter paths (`worker.replicaCount`, `janitor.schedule`, …) so
 * a Helm user's habits carry over: `pulumi config set --path worker.replicaCount 2`. Everything is
 * checked before any resource exists and every problem is reported at once, each naming its key,
 * the rejected value (never a secret's) and what is accepted.
 *
 * `parseBacklineConfig` is pure (unit tests and the Automation API call it with plain objects);
 * `loadBacklineConfig` reads the Pulumi stack configuration and throws `ConfigValidationError`.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    PullPolicy,
    checkAwsId,
    checkAwsRegion,
    checkBaseUrl,
    checkBytes,
    checkCidr,
    checkCpu,
    checkCronSchedule,
    checkDns1123Label,
    checkDns1123Subdomain,
    checkEnvName,
    checkIamRoleArn,
    checkImageReference,
    checkLogGroupName,
    checkLogRetention,
    checkOidcProviderArn,
    checkPullPolicy,
    checkRegistry,
    checkRepository,
    checkTagOrDigest,
    parseQuantity,
    suggestKey,
} from "./validation";

// ---------------------------------------------------------------------------------------------
// The resolved configuration: every default applied, every value checked.
// ---------------------------------------------------------------------------------------------

export interface ImageConfig {
    readonly registry: string;
    readonly name: string;
    readonly tag: string;
    readonly pullPolicy: PullPolicy;
}

export interface ResourceAmounts {
    readonly cpu: string;
    readonly memory: string;
}

export interface ResourcesConfig {
    readonly requests: ResourceAmounts;
    readonly limits: ResourceAmounts;
}

/** A container probe in Kubernetes' own shape (httpGet/tcpSocket/exec/grpc plus timings). */
export type ProbeConfig = Readonly<Record<string, unknown>>;

/** A worker environment variable in Kubernetes' own shape: `value` or `valueFrom`. */
export interface EnvVarConfig {
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: Readonly<Record<string, unknown>>;
}

export interface TolerationConfig {
    readonly key?: string;
    readonly operator?: "Exists" | "Equal";
    readonly value?: string;
    readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    readonly tolerationSeconds?: number;
}

export interface JanitorConfig {
    readonly image: ImageConfig;
    readonly schedule: string;
    readonly resources: ResourcesConfig;
    /** Refresh a token or credential that expires within this many seconds. */
    readonly refreshWindowSeconds: number;
    /** Whole-request timeout of each SaaS call. */
    readonly httpTimeoutSeconds: number;
    /** Run the janitor once as a Job during `pulumi up`, so a fresh install does not wait for the schedule. */
    readonly runOnInstall: boolean;
    readonly startingDeadlineSeconds: number;
    readonly activeDeadlineSeconds: number;
    readonly backoffLimit: number;
    readonly successfulJobsHistoryLimit: number;
    readonly failedJobsHistoryLimit: number;
}

export interface WorkerImageConfig extends ImageConfig {
    /**
     * Whether the janitor keeps the worker on the latest image the SaaS announces. Off (pinned)
     * by default as soon as the user sets `worker.image.registry`, `name` or `tag`.
     */
    readonly autoUpdate: boolean;
}

export interface PvcConfig {
    readonly create: boolean;
    readonly name: string;
    /** `undefined`: the cluster's default class (or the EFS class when `efs` is configured). */
    readonly storageClassName?: string;
    readonly size: string;
}

export interface WorkerStorageConfig {
    readonly pvc: PvcConfig;
    readonly mountPath: string;
    /** Opt-in: let `pulumi destroy` delete the claim, the namespace and the EFS filesystem. */
    readonly deleteOnDestroy: boolean;
}

export interface PodIdentityConfig {
    readonly runAsUser: number;
    readonly runAsGroup: number;
    readonly fsGroup: number;
}

export interface OtelConfig {
    readonly enabled: boolean;
    readonly collector: {
        readonly image: string;
        readonly resources: ResourcesConfig;
    };
}

export interface WorkerConfig {
    readonly replicaCount: number;
    readonly image: WorkerImageConfig;
    readonly service: { readonly httpPort: number };
    readonly resources: ResourcesConfig;
    readonly livenessProbe: ProbeConfig;
    readonly readinessProbe: ProbeConfig;
    readonly env: readonly EnvVarConfig[];
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly TolerationConfig[];
    readonly affinity: Readonly<Record<string, unknown>>;
    readonly storage: WorkerStorageConfig;
    readonly securityContext: PodIdentityConfig;
    readonly otel: OtelConfig;
}

export interface OidcTrustConfig {
    /** The IAM OIDC provider that trusts Backline's token issuer. */
    readonly providerArn: string;
    /** The issuer host (and path) taken from the provider ARN, used as the condition prefix. */
    readonly issuer: string;
    readonly audience: string;
    readonly subject: string;
}

export interface LoggingConfig {
    readonly region?: string;
    /** An existing role for the collector; when set, no role is created. */
    readonly roleArn?: string;
    /** Set to create the collector's role (only when `roleArn` is not given). */
    readonly oidc?: OidcTrustConfig;
    readonly logGroupName: string;
    readonly retentionInDays: number;
}

export interface EfsConfig {
    readonly vpcId: string;
    readonly subnetIds: readonly string[];
    readonly allowedCidrBlocks: readonly string[];
    readonly allowedSecurityGroupIds: readonly string[];
    readonly performanceMode: "generalPurpose" | "maxIO";
    readonly throughputMode: "bursting" | "elastic";
    readonly kmsKeyId?: string;
    /** Directory on the filesystem under which the CSI driver creates one access point per volume. */
    readonly basePath: string;
}

export interface KubernetesConfig {
    readonly kubeconfig?: string;
    readonly context?: string;
    /** Write manifests to this folder instead of applying them (GitOps, review). */
    readonly renderYamlToDirectory?: string;
    /** Do not wait for workloads to become ready (test clusters without nodes). */
    readonly skipAwait: boolean;
}

export interface BacklineConfig {
    readonly baseUrl: string;
    /** The access key, always a secret Output once loaded from stack configuration. */
    readonly accessKey: pulumi.Input<string>;
    readonly namespace: string;
    readonly janitor: JanitorConfig;
    readonly worker: WorkerConfig;
    readonly logging: LoggingConfig;
    readonly efs?: EfsConfig;
    readonly kubernetes: KubernetesConfig;
}

// ---------------------------------------------------------------------------------------------
// Defaults: the Helm chart's values, plus what the AWS parts need.
// ---------------------------------------------------------------------------------------------

export const defaults = {
    namespace: "backline",
    janitor: {
        image: { registry: "docker.io", name: "dtzar/helm-kubectl", tag: "3.16.1", pullPolicy: "IfNotPresent" },
        schedule: "* * * * *",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
        refreshWindowSeconds: 900,
        httpTimeoutSeconds: 10,
        runOnInstall: true,
        startingDeadlineSeconds: 60,
        activeDeadlineSeconds: 300,
        backoffLimit: 1,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
    },
    worker: {
        replicaCount: 1,
        image: {
            registry: "580550010989.dkr.ecr.us-west-1.amazonaws.com",
            name: "prod-worker",
            tag: "2faf8c5-1757332651",
            pullPolicy: "IfNotPresent",
        },
        service: { httpPort: 8080 },
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2000m", memory: "2Gi" } },
        livenessProbe: {
            httpGet: { path: "/health", port: "http" },
            initialDelaySeconds: 30,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
        },
        readinessProbe: {
            httpGet: { path: "/health", port: "http" },
            initialDelaySeconds: 10,
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 3,
        },
        storage: {
            pvc: { create: true, name: "worker-storage", size: "10Gi" },
            mountPath: "/data",
            deleteOnDestroy: false,
        },
        securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
        otel: {
            enabled: true,
            collector: {
                image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2",
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
            },
        },
    },
    logging: { retentionInDays: 30, audience: "sts.amazonaws.com" },
    efs: { performanceMode: "generalPurpose", throughputMode: "elastic", basePath: "/backline" },
} as const;

/** The log group the collector writes to unless `logging.logGroupName` says otherwise. */
export function defaultLogGroupName(namespace: string): string {
    return `/backline/${namespace}/worker`;
}

/**
 * Environment variables the program sets on the worker itself; `worker.env` may not redefine them,
 * since a duplicate would silently override what the worker's Jobs rely on.
 */
export const reservedWorkerEnvNames = [
    "BACKLINE_BASE_URL",
    "BACKLINE_ACCESS_KEY",
    "BACKLINE_NAMESPACE",
    "BACKLINE_PVC_NAME",
    "BACKLINE_STORAGE_PATH",
    "BACKLINE_IMAGE_PULL_SECRET",
    "BACKLINE_JOB_SERVICE_ACCOUNT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
] as const;

// ---------------------------------------------------------------------------------------------
// Problems and the error that carries them.
// ---------------------------------------------------------------------------------------------

export interface ConfigProblem {
    /** The configuration key, as typed with `pulumi config set --path` (e.g. `worker.replicaCount`). */
    readonly key: string;
    readonly message: string;
}

/** The problems as one message; `footer` says what to do (the CLI's advice by default). */
export function formatProblems(
    problems: readonly ConfigProblem[],
    footer = "Fix them with `pulumi config set [--path] <key> <value>` (or `--secret` for `accessKey`) and run again; nothing was changed.",
): string {
    const header = `Invalid Backline configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):`;
    const lines = problems.map((p) => `  - \`${p.key}\`: ${p.message}`);
    return [header, ...lines, footer].join("\n");
}

/**
 * Thrown by `loadBacklineConfig`. A `pulumi.RunError` so the CLI prints the message without a
 * stack trace: https://www.pulumi.com/docs/reference/pkg/nodejs/pulumi/pulumi/classes/runerror/
 */
export class ConfigValidationError extends pulumi.RunError {
    public readonly problems: readonly ConfigProblem[];

    constructor(problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "ConfigValidationError";
        this.problems = problems;
    }
}

// ---------------------------------------------------------------------------------------------
// A small reader that walks untyped config and collects problems.
// ---------------------------------------------------------------------------------------------

type Json = unknown;
type JsonObject = Record<string, Json>;

/** Shows a rejected value briefly; secrets never reach this function. */
function show(value: Json): string {
    const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: Json): value is JsonObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Reader {
    readonly problems: ConfigProblem[] = [];

    add(key: string, message: string): void {
        this.problems.push({ key, message });
    }

    reject(key: string, value: Json, accepted: string): void {
        this.add(key, `got ${show(value)}; ${accepted}.`);
    }

    /** An object with only the listed keys; `undefined` reads as `{}`. Unknown keys are typos. */
    object(value: Json, key: string, allowed: readonly string[]): JsonObject {
        if (value === undefined || value === null) {
            return {};
        }
        if (!isObject(value)) {
            this.reject(key, value, `expected an object with keys ${allowed.map((a) => `\`${a}\``).join(", ")}`);
            return {};
        }
        for (const k of Object.keys(value)) {
            if (!allowed.includes(k)) {
                const full = key ? `${key}.${k}` : k;
                const hint = suggestKey(k, allowed);
                this.add(
                    full,
                    `unknown key${hint ? `; did you mean \`${key ? `${key}.` : ""}${hint}\`?` : "."} Known keys here: ${allowed
                        .map((a) => `\`${a}\``)
                        .join(", ")}.`,
                );
            }
        }
        return value;
    }

    string(value: Json, key: string, fallback: string, check?: (s: string) => string | undefined): string;
    string(value: Json, key: string, fallback: undefined, check?: (s: string) => string | undefined): string | undefined;
    string(value: Json, key: string, fallback: string | undefined, check?: (s: string) => string | undefined): string | undefined {
        if (value === undefined || value === null) {
            return fallback;
        }
        // `pulumi config set --path a.b 5` stores a number; accept it where a string is meant.
        const text = typeof value === "number" ? String(value) : value;
        if (typeof text !== "string") {
            this.reject(key, value, "expected a string");
            return fallback;
        }
        const problem = check?.(text);
        if (problem) {
            this.reject(key, value, problem);
            return fallback;
        }
        return text;
    }

    /** A whole number in [min, max]; numeric strings are accepted because `pulumi config set` stores strings. */
    integer(value: Json, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
        if (value === undefined || value === null) {
            return fallback;
        }
        const n = typeof value === "string" && /^[+-]?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
            this.reject(
                key,
                value,
                max === Number.MAX_SAFE_INTEGER ? `expected a whole number ≥ ${min}` : `expected a whole number from ${min} to ${max}`,
            );
            return fallback;
        }
        return n;
    }

    boolean(value: Json, key: string, fallback: boolean): boolean {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (value === true || value === "true") {
            return true;
        }
        if (value === false || value === "false") {
            return false;
        }
        this.reject(key, value, "expected `true` or `false`");
        return fallback;
    }

    /** A list; `undefined` reads as `[]`. */
    list(value: Json, key: string, accepted: string): Json[] {
        if (value === undefined || value === null) {
            return [];
        }
        if (!Array.isArray(value)) {
            this.reject(key, value, accepted);
            return [];
        }
        return value;
    }

    stringList(value: Json, key: string, check?: (s: string) => string | undefined): string[] {
        return this.list(value, key, "expected a list of strings").flatMap((item, i) => {
            const s = this.string(item, `${key}[${i}]`, undefined, check);
            if (item === undefined || item === null) {
                this.reject(`${key}[${i}]`, item, "expected a string");
            }
            return s === undefined ? [] : [s];
        });
    }

    stringMap(value: Json, key: string): Record<string, string> {
        if (value === undefined || value === null) {
            return {};
        }
        if (!isObject(value)) {
            this.reject(key, value, "expected a map of strings to strings");
            return {};
        }
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(value)) {
            if (typeof v === "string") {
                out[k] = v;
            } else {
                this.reject(`${key}.${k}`, v, "expected a string (quote it)");
            }
        }
        return out;
    }
}

// ---------------------------------------------------------------------------------------------
// Sections.
// ---------------------------------------------------------------------------------------------

function readImage(r: Reader, value: Json, key: string, fallback: ImageConfig, extraKeys: readonly string[] = []): ImageConfig {
    const o = r.object(value, key, ["registry", "name", "tag", "pullPolicy", ...extraKeys]);
    return {
        registry: r.string(o.registry, `${key}.registry`, fallback.registry, checkRegistry),
        name: r.string(o.name, `${key}.name`, fallback.name, checkRepository),
        tag: r.string(o.tag, `${key}.tag`, fallback.tag, checkTagOrDigest),
        pullPolicy: r.string(o.pullPolicy, `${key}.pullPolicy`, fallback.pullPolicy, checkPullPolicy) as PullPolicy,
    };
}

function readResources(r: Reader, value: Json, key: string, fallback: ResourcesConfig): ResourcesConfig {
    const o = r.object(value, key, ["requests", "limits"]);
    const amounts = (v: Json, k: string, f: ResourceAmounts): ResourceAmounts => {
        const a = r.object(v, k, ["cpu", "memory"]);
        return {
            cpu: r.string(a.cpu, `${k}.cpu`, f.cpu, checkCpu),
            memory: r.string(a.memory, `${k}.memory`, f.memory, checkBytes),
        };
    };
    const requests = amounts(o.requests, `${key}.requests`, fallback.requests);
    const limits = amounts(o.limits, `${key}.limits`, fallback.limits);
    for (const what of ["cpu", "memory"] as const) {
        const req = parseQuantity(requests[what]);
        const lim = parseQuantity(limits[what]);
        if (req && lim && req.value > lim.value) {
            r.add(
                `${key}.requests.${what}`,
                `got ${show(requests[what])}, above its limit ${show(limits[what])} (\`${key}.limits.${what}\`); a request must not exceed its limit.`,
            );
        }
    }
    return { requests, limits };
}

const probeHandlers = ["httpGet", "tcpSocket", "exec", "grpc"] as const;
const probeTimings = [
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "successThreshold",
    "failureThreshold",
    "terminationGracePeriodSeconds",
] as const;

/**
 * Probes merge over the defaults the way Helm merges values: setting only
 * `worker.livenessProbe.initialDelaySeconds` keeps the default HTTP check.
 */
function readProbe(r: Reader, value: Json, key: string, fallback: ProbeConfig): ProbeConfig {
    const o = r.object(value, key, [...probeHandlers, ...probeTimings]);
    const handlers = probeHandlers.filter((h) => o[h] !== undefined);
    if (handlers.length > 1) {
        r.add(key, `sets ${handlers.map((h) => `\`${h}\``).join(" and ")}; a probe takes exactly one of ${probeHandlers.join(", ")}.`);
    }
    const out: Record<string, unknown> = {};
    if (handlers.length === 1) {
        const h = handlers[0];
        if (!isObject(o[h])) {
            r.reject(`${key}.${h}`, o[h], "expected an object");
        }
        out[h] = o[h];
    } else {
        for (const h of probeHandlers) {
            if (fallback[h] !== undefined) {
                out[h] = fallback[h];
            }
        }
    }
    for (const t of probeTimings) {
        const min = t === "initialDelaySeconds" ? 0 : 1;
        const f = fallback[t];
        if (o[t] !== undefined) {
            out[t] = r.integer(o[t], `${key}.${t}`, typeof f === "number" ? f : min, min);
        } else if (f !== undefined) {
            out[t] = f;
        }
    }
    return out;
}

function readEnv(r: Reader, value: Json, key: string): EnvVarConfig[] {
    const seen = new Set<string>();
    const out: EnvVarConfig[] = [];
    r.list(value, key, "expected a list of `{name, value}` or `{name, valueFrom}` entries").forEach((item, i) => {
        const k = `${key}[${i}]`;
        const o = r.object(item, k, ["name", "value", "valueFrom"]);
        if (!isObject(item)) {
            return;
        }
        if (o.name === undefined || o.name === null || o.name === "") {
            r.add(`${k}.name`, "missing; every entry needs a `name` (and a `value` or `valueFrom`).");
            return;
        }
        const name = r.string(o.name, `${k}.name`, undefined, checkEnvName);
        if (name === undefined) {
            return;
        }
        if ((reservedWorkerEnvNames as readonly string[]).includes(name)) {
            r.add(
                `${k}.name`,
                `got ${show(name)}, which the program sets itself; reserved names are ${reservedWorkerEnvNames.join(", ")}. Use the matching config key instead (e.g. \`baseUrl\`).`,
            );
            return;
        }
        if (seen.has(name)) {
            r.add(`${k}.name`, `got ${show(name)} a second time; each variable may appear once.`);
            return;
        }
        seen.add(name);
        const hasValue = o.value !== undefined && o.value !== null;
        const hasFrom = o.valueFrom !== undefined && o.valueFrom !== null;
        if (hasValue === hasFrom) {
            r.add(k, `\`${name}\` needs exactly one of \`value\` and \`valueFrom\`.`);
            return;
        }
        if (hasValue) {
            const v = typeof o.value === "number" || typeof o.value === "boolean" ? String(o.value) : o.value;
            if (typeof v !== "string") {
                r.reject(`${k}.value`, o.value, "expected a string");
                return;
            }
            out.push({ name, value: v });
        } else {
            const from = r.object(o.valueFrom, `${k}.valueFrom`, ["secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"]);
            if (Object.keys(from).length !== 1) {
                r.add(`${k}.valueFrom`, "expected exactly one of `secretKeyRef`, `configMapKeyRef`, `fieldRef`, `resourceFieldRef`.");
                return;
            }
            out.push({ name, valueFrom: from });
        }
    });
    return out;
}

function readTolerations(r: Reader, value: Json, key: string): TolerationConfig[] {
    return r.list(value, key, "expected a list of tolerations").map((item, i) => {
        const k = `${key}[${i}]`;
        const o = r.object(item, k, ["key", "operator", "value", "effect", "tolerationSeconds"]);
        const t: { -readonly [P in keyof TolerationConfig]: TolerationConfig[P] } = {};
        if (o.key !== undefined) t.key = r.string(o.key, `${k}.key`, "");
        if (o.operator !== undefined) {
            t.operator = r.string(o.operator, `${k}.operator`, "Equal", (s) =>
                ["Exists", "Equal"].includes(s) ? undefined : "expected `Exists` or `Equal`",
            ) as TolerationConfig["operator"];
        }
        if (o.value !== undefined) t.value = r.string(o.value, `${k}.value`, "");
        if (o.effect !== undefined) {
            t.effect = r.string(o.effect, `${k}.effect`, "NoSchedule", (s) =>
                ["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(s)
                    ? undefined
                    : "expected `NoSchedule`, `PreferNoSchedule` or `NoExecute`",
            ) as TolerationConfig["effect"];
        }
        if (o.tolerationSeconds !== undefined) t.tolerationSeconds = r.integer(o.tolerationSeconds, `${k}.tolerationSeconds`, 0, 0);
        if (t.operator === "Exists" && t.value) {
            r.add(`${k}.value`, "must be empty when `operator` is `Exists`.");
        }
        return t;
    });
}

function readJanitor(r: Reader, value: Json): JanitorConfig {
    const d = defaults.janitor;
    const o = r.object(value, "janitor", [
        "image",
        "schedule",
        "resources",
        "refreshWindowSeconds",
        "httpTimeoutSeconds",
        "runOnInstall",
        "startingDeadlineSeconds",
        "activeDeadlineSeconds",
        "backoffLimit",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ]);
    return {
        image: readImage(r, o.image, "janitor.image", d.image),
        schedule: r.string(o.schedule, "janitor.schedule", d.schedule, checkCronSchedule),
        resources: readResources(r, o.resources, "janitor.resources", d.resources),
        refreshWindowSeconds: r.integer(o.refreshWindowSeconds, "janitor.refreshWindowSeconds", d.refreshWindowSeconds, 60, 86_400),
        httpTimeoutSeconds: r.integer(o.httpTimeoutSeconds, "janitor.httpTimeoutSeconds", d.httpTimeoutSeconds, 1, 120),
        runOnInstall: r.boolean(o.runOnInstall, "janitor.runOnInstall", d.runOnInstall),
        startingDeadlineSeconds: r.integer(o.startingDeadlineSeconds, "janitor.startingDeadlineSeconds", d.startingDeadlineSeconds, 10),
        activeDeadlineSeconds: r.integer(o.activeDeadlineSeconds, "janitor.activeDeadlineSeconds", d.activeDeadlineSeconds, 30),
        backoffLimit: r.integer(o.backoffLimit, "janitor.backoffLimit", d.backoffLimit, 0, 10),
        successfulJobsHistoryLimit: r.integer(
            o.successfulJobsHistoryLimit,
            "janitor.successfulJobsHistoryLimit",
            d.successfulJobsHistoryLimit,
            0,
            100,
        ),
        failedJobsHistoryLimit: r.integer(o.failedJobsHistoryLimit, "janitor.failedJobsHistoryLimit", d.failedJobsHistoryLimit, 0, 100),
    };
}

function readWorker(r: Reader, value: Json): WorkerConfig {
    const d = defaults.worker;
    const o = r.object(value, "worker", [
        "replicaCount",
        "image",
        "service",
        "resources",
        "livenessProbe",
        "readinessProbe",
        "env",
        "nodeSelector",
        "tolerations",
        "affinity",
        "storage",
        "securityContext",
        "otel",
    ]);

    const imageRaw = isObject(o.image) ? o.image : {};
    const image = readImage(r, o.image, "worker.image", d.image, ["autoUpdate"]);
    const pinned = ["registry", "name", "tag"].some((k) => imageRaw[k] !== undefined && imageRaw[k] !== null);
    const autoUpdate = r.boolean(imageRaw.autoUpdate, "worker.image.autoUpdate", !pinned);

    const service = r.object(o.service, "worker.service", ["httpPort"]);
    const httpPort = r.integer(service.httpPort, "worker.service.httpPort", d.service.httpPort, 1, 65_535);

    const storage = r.object(o.storage, "worker.storage", ["pvc", "mountPath", "deleteOnDestroy"]);
    const pvc = r.object(storage.pvc, "worker.storage.pvc", ["create", "name", "storageClassName", "size"]);
    const storageClassName = r.string(pvc.storageClassName, "worker.storage.pvc.storageClassName", undefined, (s) =>
        s === "" ? undefined : checkDns1123Subdomain(s),
    );

    const identity = r.object(o.securityContext, "worker.securityContext", ["runAsUser", "runAsGroup", "fsGroup"]);
    const nonRoot = (v: Json, k: string, f: number) => {
        if (v === 0 || v === "0") {
            r.add(k, "got 0 (root); the namespace enforces the \"restricted\" Pod Security profile, so use a non-root id such as 1000.");
            return f;
        }
        return r.integer(v, k, f, 1, 2_147_483_647);
    };

    const otel = r.object(o.otel, "worker.otel", ["enabled", "collector"]);
    const collector = r.object(otel.collector, "worker.otel.collector", ["image", "resources"]);

    const affinity = r.object(o.affinity, "worker.affinity", ["nodeAffinity", "podAffinity", "podAntiAffinity"]);

    return {
        replicaCount: r.integer(o.replicaCount, "worker.replicaCount", d.replicaCount, 0, 1000),
        image: { ...image, autoUpdate },
        service: { httpPort },
        resources: readResources(r, o.resources, "worker.resources", d.resources),
        livenessProbe: readProbe(r, o.livenessProbe, "worker.livenessProbe", d.livenessProbe),
        readinessProbe: readProbe(r, o.readinessProbe, "worker.readinessProbe", d.readinessProbe),
        env: readEnv(r, o.env, "worker.env"),
        nodeSelector: r.stringMap(o.nodeSelector, "worker.nodeSelector"),
        tolerations: readTolerations(r, o.tolerations, "worker.tolerations"),
        affinity,
        storage: {
            pvc: {
                create: r.boolean(pvc.create, "worker.storage.pvc.create", d.storage.pvc.create),
                name: r.string(pvc.name, "worker.storage.pvc.name", d.storage.pvc.name, checkDns1123Subdomain),
                storageClassName: storageClassName === "" ? undefined : storageClassName,
                size: r.string(pvc.size, "worker.storage.pvc.size", d.storage.pvc.size, checkBytes),
            },
            mountPath: r.string(storage.mountPath, "worker.storage.mountPath", d.storage.mountPath, (s) =>
                /^\/[^:]*$/.test(s) && s !== "/" ? undefined : "expected an absolute path other than `/`, such as `/data`",
            ),
            deleteOnDestroy: r.boolean(storage.deleteOnDestroy, "worker.storage.deleteOnDestroy", d.storage.deleteOnDestroy),
        },
        securityContext: {
            runAsUser: nonRoot(identity.runAsUser, "worker.securityContext.runAsUser", d.securityContext.runAsUser),
            runAsGroup: nonRoot(identity.runAsGroup, "worker.securityContext.runAsGroup", d.securityContext.runAsGroup),
            fsGroup: nonRoot(identity.fsGroup, "worker.securityContext.fsGroup", d.securityContext.fsGroup),
        },
        otel: {
            enabled: r.boolean(otel.enabled, "worker.otel.enabled", d.otel.enabled),
            collector: {
                image: r.string(collector.image, "worker.otel.collector.image", d.otel.collector.image, checkImageReference),
                resources: readResources(r, collector.resources, "worker.otel.collector.resources", d.otel.collector.resources),
            },
        },
    };
}

function readLogging(r: Reader, value: Json, namespace: string, otelEnabled: boolean): LoggingConfig {
    const o = r.object(value, "logging", ["region", "roleArn", "oidc", "logGroupName", "retentionInDays"]);
    const region = r.string(o.region, "logging.region", undefined, (s) => (s === "" ? undefined : checkAwsRegion(s)));
    const roleArn = r.string(o.roleArn, "logging.roleArn", undefined, (s) => (s === "" ? undefined : checkIamRoleArn(s)));
    let oidc: OidcTrustConfig | undefined;
    if (o.oidc !== undefined && o.oidc !== null) {
        const x = r.object(o.oidc, "logging.oidc", ["providerArn", "audience", "subject"]);
        const providerArn = r.string(x.providerArn, "logging.oidc.providerArn", undefined, checkOidcProviderArn);
        const subject = r.string(x.subject, "logging.oidc.subject", undefined, (s) => (s ? undefined : "expected a non-empty subject"));
        const audience = r.string(x.audience, "logging.oidc.audience", defaults.logging.audience, (s) =>
            s ? undefined : "expected a non-empty audience",
        );
        if (x.providerArn === undefined) r.add("logging.oidc.providerArn", "missing; the collector's role trusts this OIDC provider.");
        if (x.subject === undefined) r.add("logging.oidc.subject", "missing; the trust policy only admits tokens with this `sub`.");
        if (providerArn && subject) {
            oidc = { providerArn, issuer: providerArn.replace(/^.*?:oidc-provider\//, ""), audience, subject };
        }
    }
    if (otelEnabled) {
        if (o.region === undefined || o.region === null || o.region === "") {
            r.add("logging.region", "missing; the ADOT collector needs the AWS region for CloudWatch Logs and X-Ray (e.g. `us-west-1`), or set `worker.otel.enabled` to false.");
        }
        if ((o.roleArn === undefined || o.roleArn === null || o.roleArn === "") && !o.oidc) {
            r.add(
                "logging.roleArn",
                "missing; give the IAM role the collector assumes (`arn:aws:iam::<account>:role/<name>`), or set `logging.oidc.providerArn` and `logging.oidc.subject` to have one created, or set `worker.otel.enabled` to false.",
            );
        }
        if (roleArn && o.oidc) {
            r.add("logging.oidc", "set together with `logging.roleArn`; give either an existing role or the settings to create one, not both.");
        }
    }
    return {
        region: region || undefined,
        roleArn: roleArn || undefined,
        oidc,
        logGroupName: r.string(o.logGroupName, "logging.logGroupName", defaultLogGroupName(namespace), checkLogGroupName),
        retentionInDays: (() => {
            const days = r.integer(o.retentionInDays, "logging.retentionInDays", defaults.logging.retentionInDays, 1);
            const problem = checkLogRetention(days);
            if (problem) {
                r.reject("logging.retentionInDays", o.retentionInDays, problem);
                return defaults.logging.retentionInDays;
            }
            return days;
        })(),
    };
}

function readEfs(r: Reader, value: Json): EfsConfig | undefined {
    if (value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0)) {
        return undefined;
    }
    const d = defaults.efs;
    const o = r.object(value, "efs", [
        "vpcId",
        "subnetIds",
        "allowedCidrBlocks",
        "allowedSecurityGroupIds",
        "performanceMode",
        "throughputMode",
        "kmsKeyId",
        "basePath",
    ]);
    const vpcId = r.string(o.vpcId, "efs.vpcId", "", (s) => checkAwsId("vpc", s));
    if (o.vpcId === undefined) r.add("efs.vpcId", "missing; the NFS security group is created in this VPC.");
    const subnetIds = r.stringList(o.subnetIds, "efs.subnetIds", (s) => checkAwsId("subnet", s));
    if (subnetIds.length === 0 && Array.isArray(o.subnetIds)) {
        r.add("efs.subnetIds", "is empty; give one subnet per availability zone your nodes run in.");
    } else if (o.subnetIds === undefined) {
        r.add("efs.subnetIds", "missing; a mount target is created in each of these subnets (one per availability zone).");
    }
    const allowedCidrBlocks = r.stringList(o.allowedCidrBlocks, "efs.allowedCidrBlocks", checkCidr);
    const allowedSecurityGroupIds = r.stringList(o.allowedSecurityGroupIds, "efs.allowedSecurityGroupIds", (s) => checkAwsId("sg", s));
    if (allowedCidrBlocks.length === 0 && allowedSecurityGroupIds.length === 0) {
        r.add(
            "efs.allowedSecurityGroupIds",
            "missing; say who may reach NFS (2049/tcp): the nodes' security group ids here, or their CIDR blocks in `efs.allowedCidrBlocks`.",
        );
    }
    return {
        vpcId,
        subnetIds,
        allowedCidrBlocks,
        allowedSecurityGroupIds,
        performanceMode: r.string(o.performanceMode, "efs.performanceMode", d.performanceMode, (s) =>
            ["generalPurpose", "maxIO"].includes(s) ? undefined : "expected `generalPurpose` or `maxIO`",
        ) as EfsConfig["performanceMode"],
        throughputMode: r.string(o.throughputMode, "efs.throughputMode", d.throughputMode, (s) =>
            ["bursting", "elastic"].includes(s) ? undefined : "expected `elastic` or `bursting`",
        ) as EfsConfig["throughputMode"],
        kmsKeyId: r.string(o.kmsKeyId, "efs.kmsKeyId", undefined, (s) =>
            /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/.test(s) ? undefined : "expected a KMS key ARN",
        ),
        basePath: r.string(o.basePath, "efs.basePath", d.basePath, (s) =>
            /^\/[\w./-]*$/.test(s) ? undefined : "expected an absolute path such as `/backline`",
        ),
    };
}

function readKubernetes(r: Reader, value: Json): KubernetesConfig {
    const o = r.object(value, "kubernetes", ["kubeconfig", "context", "renderYamlToDirectory", "skipAwait"]);
    const nonEmpty = (s: string) => (s ? undefined : "expected a non-empty string");
    return {
        kubeconfig: r.string(o.kubeconfig, "kubernetes.kubeconfig", undefined, nonEmpty),
        context: r.string(o.context, "kubernetes.context", undefined, nonEmpty),
        renderYamlToDirectory: r.string(o.renderYamlToDirectory, "kubernetes.renderYamlToDirectory", undefined, nonEmpty),
        skipAwait: r.boolean(o.skipAwait, "kubernetes.skipAwait", false),
    };
}

// ---------------------------------------------------------------------------------------------
// Entry points.
// ---------------------------------------------------------------------------------------------

/** Everything the program reads, untyped, as it comes out of stack configuration. */
export interface RawStackConfig {
    readonly baseUrl?: unknown;
    /** Only whether the key is present and non-empty is looked at; the value is never shown. */
    readonly accessKey?: string;
    /** Whether `accessKey` is stored encrypted (`pulumi config set --secret`). */
    readonly accessKeyIsSecret?: boolean;
    readonly namespaceOverride?: unknown;
    readonly janitor?: unknown;
    readonly worker?: unknown;
    readonly logging?: unknown;
    readonly efs?: unknown;
    readonly kubernetes?: unknown;
    /** Other keys found in the `backline` config namespace; each is reported as unknown. */
    readonly otherKeys?: readonly string[];
}

/** The top-level keys of the `backline` config namespace, in the order the README lists them. */
export const topLevelKeys = [
    "baseUrl",
    "accessKey",
    "namespaceOverride",
    "janitor",
    "worker",
    "logging",
    "efs",
    "kubernetes",
] as const;

export type ParseResult =
    | { readonly ok: true; readonly config: BacklineConfig; readonly problems: readonly [] }
    | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/**
 * Validates raw configuration and applies defaults. Pure: the access key stays whatever was passed
 * (wrap it in `pulumi.secret` before handing it to resources; `loadBacklineConfig` does).
 */
export function parseBacklineConfig(raw: RawStackConfig): ParseResult {
    const r = new Reader();
    for (const key of raw.otherKeys ?? []) {
        const hint = suggestKey(key, topLevelKeys);
        r.add(key, `unknown key${hint ? `; did you mean \`${hint}\`?` : "."} Known top-level keys: ${topLevelKeys.map((k) => `\`${k}\``).join(", ")}.`);
    }

    let baseUrl = "";
    if (raw.baseUrl === undefined || raw.baseUrl === null || raw.baseUrl === "") {
        r.add("baseUrl", "missing; set the Backline SaaS endpoint, e.g. `pulumi config set baseUrl https://app.backline.ai`.");
    } else {
        baseUrl = r.string(raw.baseUrl, "baseUrl", "", checkBaseUrl).replace(/\/+$/, "");
    }

    if (raw.accessKey === undefined || raw.accessKey === "") {
        r.add("accessKey", "missing; set it encrypted with `pulumi config set --secret accessKey <key>`.");
    } else if (raw.accessKeyIsSecret === false) {
        r.add(
            "accessKey",
            "is stored in plaintext in the stack file; store it encrypted with `pulumi config set --secret accessKey <key>` (value not shown).",
        );
    } else if (/\s/.test(raw.accessKey)) {
        r.add("accessKey", "contains whitespace (value not shown); paste the key without spaces or line breaks.");
    }

    const namespace = r.string(raw.namespaceOverride, "namespaceOverride", defaults.namespace, (s) =>
        s === "" ? undefined : checkDns1123Label(s),
    ) || defaults.namespace;

    const janitor = readJanitor(r, raw.janitor);
    const worker = readWorker(r, raw.worker);
    const logging = readLogging(r, raw.logging, namespace, worker.otel.enabled);
    const efs = readEfs(r, raw.efs);
    const kubernetes = readKubernetes(r, raw.kubernetes);

    if (efs && worker.storage.pvc.storageClassName !== undefined) {
        r.add(
            "worker.storage.pvc.storageClassName",
            `got ${show(worker.storage.pvc.storageClassName)} together with \`efs\`; the EFS settings create their own storage class. Remove one of them.`,
        );
    }
    if (efs && !worker.storage.pvc.create) {
        r.add("worker.storage.pvc.create", "is false together with `efs`; an existing claim cannot be bound to the filesystem this stack creates. Remove `efs` or set `create` to true.");
    }
    if (kubernetes.renderYamlToDirectory && (kubernetes.kubeconfig || kubernetes.context)) {
        r.add("kubernetes.renderYamlToDirectory", "set together with `kubernetes.kubeconfig`/`kubernetes.context`; render mode talks to no cluster. Remove one of them.");
    }

    if (r.problems.length > 0) {
        return { ok: false, problems: r.problems };
    }
    return {
        ok: true,
        problems: [],
        config: { baseUrl, accessKey: raw.accessKey as string, namespace, janitor, worker, logging, efs, kubernetes },
    };
}

/** Whether a config key is stored as a secret. Not in the SDK's typings, hence the guard. */
function isConfigSecret(fullKey: string): boolean | undefined {
    const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return typeof fn === "function" ? fn(fullKey) : undefined;
}

function readJsonKey(project: string, key: string): unknown {
    const text = pulumi.runtime.getConfig(`${project}:${key}`);
    if (text === undefined) {
        return undefined;
    }
    try {
        return JSON.parse(text);
    } catch {
        // A plain string (e.g. `pulumi config set worker foo`); let the reader reject it by type.
        return text;
    }
}

/** Reads the raw stack configuration of the `backline` project without interpreting it. */
export function readRawStackConfig(project = pulumi.getProject()): RawStackConfig {
    const raw = (key: string) => pulumi.runtime.getConfig(`${project}:${key}`);
    return {
        baseUrl: raw("baseUrl"),
        accessKey: raw("accessKey"),
        accessKeyIsSecret: isConfigSecret(`${project}:accessKey`),
        namespaceOverride: raw("namespaceOverride"),
        janitor: readJsonKey(project, "janitor"),
        worker: readJsonKey(project, "worker"),
        logging: readJsonKey(project, "logging"),
        efs: readJsonKey(project, "efs"),
        kubernetes: readJsonKey(project, "kubernetes"),
        otherKeys: Object.keys(pulumi.runtime.allConfig())
            .filter((k) => k.startsWith(`${project}:`))
            .map((k) => k.slice(project.length + 1))
            .filter((k) => !(topLevelKeys as readonly string[]).includes(k)),
    };
}

/**
 * Reads and validates the stack configuration. Throws `ConfigValidationError` listing every
 * problem; on success the access key is a secret Output.
 */
export function loadBacklineConfig(project = pulumi.getProject()): BacklineConfig {
    const raw = readRawStackConfig(project);
    const result = parseBacklineConfig(raw);
    if (!result.ok) {
        throw new ConfigValidationError(result.problems);
    }
    return { ...result.config, accessKey: pulumi.secret(raw.accessKey as string) };
}
