/**
 * Pure validators for configuration values. Each returns `undefined` when the value is acceptable
 * and otherwise a short sentence saying what is accepted; the schema (`schema.ts`) attaches them to
 * keys, and `problems.ts` adds the key and the rejected value. No Pulumi imports: these run in unit
 * tests and in the Automation API before any engine exists.
 */

/**
 * A Kubernetes quantity, parsed. `value` is in base units (cores or bytes).
 * Grammar: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export interface Quantity {
    readonly value: number;
    readonly suffix: string;
}

const binarySuffixes: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

const decimalSuffixes: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
};

const quantityPattern = /^([+]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Parses a Kubernetes quantity such as `500m`, `2`, `1Gi` or `1e3`; `undefined` when malformed. */
export function parseQuantity(text: string): Quantity | undefined {
    const match = quantityPattern.exec(text.trim());
    if (!match || text.trim() !== text) {
        return undefined;
    }
    const [, , digits, suffix = ""] = match;
    const number = Number(digits);
    let factor: number;
    if (suffix in binarySuffixes) {
        factor = binarySuffixes[suffix];
    } else if (suffix in decimalSuffixes) {
        factor = decimalSuffixes[suffix];
    } else {
        factor = 10 ** Number(suffix.slice(1));
    }
    const value = number * factor;
    return Number.isFinite(value) ? { value, suffix } : undefined;
}

/** A CPU amount: cores (`2`, `0.5`) or millicores (`500m`), greater than zero. */
export function checkCpu(text: string): string | undefined {
    const q = parseQuantity(text);
    if (!q || q.value <= 0 || /^(Ki|Mi|Gi|Ti|Pi|Ei)$/.test(q.suffix)) {
        return "expected a CPU amount greater than zero, in cores (`2`, `0.5`) or millicores (`500m`)";
    }
    if (q.value < 0.001) {
        return "expected at least `1m`: Kubernetes does not allow CPU below one millicore";
    }
    return undefined;
}

/**
 * A memory or storage amount, greater than zero. A lower-case `m` means milli-bytes to Kubernetes,
 * which is never what anyone means, and `Gb`/`MB` are not suffixes at all: both get a hint.
 */
export function checkBytes(text: string): string | undefined {
    const accepted = "expected an amount of bytes greater than zero such as `512Mi`, `2Gi` or `1G`";
    if (/^\d+(\.\d+)?([KMGTPE]B|[kmgtpe]b|[KMGTPE]iB|Gb|Mb|Kb)$/.test(text)) {
        return `${accepted}; use \`Mi\`/\`Gi\` (binary) or \`M\`/\`G\` (decimal), not \`B\`/\`b\``;
    }
    const q = parseQuantity(text);
    if (!q || q.value <= 0) {
        return accepted;
    }
    if (q.suffix === "m" || q.suffix === "u" || q.suffix === "n") {
        return `${accepted}; \`${q.suffix}\` means a fraction of a byte (did you mean \`${q.suffix === "m" ? "Mi" : "Ki"}\`?)`;
    }
    if (q.value < 1) {
        return accepted;
    }
    return undefined;
}

/** DNS-1123 label: what Kubernetes requires of namespace names. */
export function checkDns1123Label(text: string): string | undefined {
    if (text.length === 0 || text.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text)) {
        return "expected a DNS-1123 label: 1-63 lower-case letters, digits or `-`, starting and ending with a letter or digit";
    }
    return undefined;
}

/** DNS-1123 subdomain: what Kubernetes requires of most object names (PVC, StorageClass). */
export function checkDns1123Subdomain(text: string): string | undefined {
    const label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    if (text.length === 0 || text.length > 253 || !new RegExp(`^${label}(\\.${label})*$`).test(text)) {
        return "expected a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`, at most 253 characters, starting and ending with a letter or digit";
    }
    return undefined;
}

/**
 * The SaaS endpoint. https only, because the access key travels in its Authorization header; plain
 * http is tolerated for loopback addresses, where tests and port-forwards live.
 */
export function checkBaseUrl(text: string): string | undefined {
    const accepted = "expected an https:// URL such as `https://app.backline.ai` (http:// only for localhost)";
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        return accepted;
    }
    if (url.username || url.password) {
        return `${accepted}, without credentials in it`;
    }
    if (url.search || url.hash) {
        return `${accepted}, without a query or fragment`;
    }
    if (url.protocol === "https:") {
        return undefined;
    }
    const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) || /^127\./.test(url.hostname);
    if (url.protocol === "http:" && loopback) {
        return undefined;
    }
    return accepted;
}

const cronMacros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

interface CronField {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly names?: readonly string[];
}

const cronFields: readonly CronField[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    {
        name: "month",
        min: 1,
        max: 12,
        names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    },
    { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

function cronValue(text: string, field: CronField): number | undefined {
    if (/^\d+$/.test(text)) {
        const n = Number(text);
        return n >= field.min && n <= field.max ? n : undefined;
    }
    const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
    return index >= 0 ? index + field.min : undefined;
}

function checkCronField(text: string, field: CronField): string | undefined {
    const bad = `the ${field.name} field \`${text}\` is not valid (allowed ${field.min}-${field.max}${
        field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ""
    }, \`*\`, ranges \`a-b\`, steps \`*/n\` and lists \`a,b\`)`;
    for (const part of text.split(",")) {
        const [range, step, ...rest] = part.split("/");
        if (rest.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
            return bad;
        }
        if (range === "*" || range === "?") {
            continue;
        }
        const bounds = range.split("-");
        if (bounds.length > 2) {
            return bad;
        }
        const values = bounds.map((b) => cronValue(b, field));
        if (values.some((v) => v === undefined)) {
            return bad;
        }
        if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
            return bad;
        }
    }
    return undefined;
}

/**
 * A CronJob schedule as Kubernetes accepts it: five fields or a macro such as `@hourly`.
 * https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 * Time zones belong in `spec.timeZone`, not in the schedule, so `TZ=`/`CRON_TZ=` are refused.
 */
export function checkCronSchedule(text: string): string | undefined {
    const accepted =
        "expected five cron fields (`minute hour day-of-month month day-of-week`, e.g. `*/3 * * * *`) or a macro such as `@hourly`";
    const trimmed = text.trim();
    if (trimmed.startsWith("@")) {
        return cronMacros.includes(trimmed) ? undefined : `${accepted}; known macros: ${cronMacros.join(", ")}`;
    }
    if (/^(CRON_)?TZ=/.test(trimmed)) {
        return `${accepted}; time zones are not accepted in the schedule`;
    }
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 5) {
        return `${accepted}; got ${fields.length} field${fields.length === 1 ? "" : "s"}`;
    }
    for (let i = 0; i < 5; i++) {
        const problem = checkCronField(fields[i], cronFields[i]);
        if (problem) {
            return `${accepted}; ${problem}`;
        }
    }
    return undefined;
}

/** An IAM role ARN, in any AWS partition, with an optional path. */
export function checkIamRoleArn(text: string): string | undefined {
    if (
        !/^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(
            text,
        )
    ) {
        return "expected an IAM role ARN such as `arn:aws:iam::123456789012:role/BacklineOtelRole`";
    }
    return undefined;
}

/** An IAM OIDC identity provider ARN; its suffix is the issuer host (and path) used in trust conditions. */
export function checkOidcProviderArn(text: string): string | undefined {
    if (
        !/^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\d{12}:oidc-provider\/[a-z0-9.-]+(\/[\w.~-]+)*$/i.test(
            text,
        )
    ) {
        return "expected an IAM OIDC provider ARN such as `arn:aws:iam::123456789012:oidc-provider/app.backline.ai`";
    }
    return undefined;
}

/** An AWS region name such as `us-west-1`, `eu-central-2`, `us-gov-west-1` or `cn-north-1`. */
export function checkAwsRegion(text: string): string | undefined {
    if (
        !/^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/.test(
            text,
        )
    ) {
        return "expected an AWS region name such as `us-west-1` or `eu-central-1`";
    }
    return undefined;
}

/** Retention values CloudWatch Logs accepts. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const logRetentionDays = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export function checkLogRetention(days: number): string | undefined {
    return (logRetentionDays as readonly number[]).includes(days)
        ? undefined
        : `expected one of the retention periods CloudWatch Logs accepts: ${logRetentionDays.join(", ")}`;
}

/** CloudWatch log group name. */
export function checkLogGroupName(text: string): string | undefined {
    if (!/^[\w/.#-]{1,512}$/.test(text)) {
        return "expected 1-512 characters of letters, digits, `_`, `-`, `/`, `.` and `#`";
    }
    return undefined;
}

/** A registry host, optionally with a port: `docker.io`, `localhost:5000`, `123.dkr.ecr.us-west-1.amazonaws.com`. */
export function checkRegistry(text: string): string | undefined {
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:\d{1,5})?$/.test(text)) {
        return "expected a registry host such as `docker.io` or `my-registry.example.com:5000`";
    }
    return undefined;
}

/** A repository path inside a registry: lower-case components separated by `/`. */
export function checkRepository(text: string): string | undefined {
    if (!/^[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/.test(text)) {
        return "expected an image name such as `prod-worker` or `dtzar/helm-kubectl` (lower-case letters, digits, `.`, `_`, `-` and `/`)";
    }
    return undefined;
}

/** An image tag (`2faf8c5-1757332651`) or a digest (`sha256:<64 hex>`). */
export function checkTagOrDigest(text: string): string | undefined {
    if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(text) || /^sha256:[a-f0-9]{64}$/.test(text)) {
        return undefined;
    }
    return "expected a tag (letters, digits, `_`, `.`, `-`, at most 128) or a digest `sha256:<64 hex digits>`";
}

/** A full image reference `<registry>/<name>:<tag>` or `<registry>/<name>@sha256:<digest>`. */
export function checkImageReference(text: string): string | undefined {
    const accepted =
        "expected a full image reference such as `public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2`";
    const at = text.indexOf("@");
    let repo: string;
    let ref: string;
    if (at >= 0) {
        repo = text.slice(0, at);
        ref = text.slice(at + 1);
        if (!/^sha256:[a-f0-9]{64}$/.test(ref)) {
            return accepted;
        }
    } else {
        const colon = text.lastIndexOf(":");
        if (colon < 0 || text.indexOf("/", colon) >= 0) {
            return `${accepted} (with a tag or digest)`;
        }
        repo = text.slice(0, colon);
        ref = text.slice(colon + 1);
        if (checkTagOrDigest(ref)) {
            return accepted;
        }
    }
    const slash = repo.indexOf("/");
    if (slash < 0 || checkRegistry(repo.slice(0, slash)) || checkRepository(repo.slice(slash + 1))) {
        return accepted;
    }
    return undefined;
}

/** Names of environment variables Kubernetes accepts (a C identifier, plus `.` and `-`). */
export function checkEnvName(text: string): string | undefined {
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(text)) {
        return "expected a variable name of letters, digits, `_`, `.` and `-`, not starting with a digit";
    }
    return undefined;
}

/** An IPv4 CIDR block. The whole internet is refused: NFS must never be open to it. */
export function checkCidr(text: string): string | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (!match || match.slice(1, 5).some((o) => Number(o) > 255) || Number(match[5]) > 32) {
        return "expected an IPv4 CIDR block such as `10.0.0.0/16`";
    }
    if (Number(match[5]) === 0) {
        return "expected a CIDR narrower than `/0`: NFS must not be open to the whole internet";
    }
    return undefined;
}

export function checkAwsId(prefix: "vpc" | "subnet" | "sg", text: string): string | undefined {
    if (!new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`).test(text)) {
        return `expected an id such as \`${prefix}-0123456789abcdef0\``;
    }
    return undefined;
}

/** A non-empty string: for keys where an empty value is a mistake rather than "unset". */
export function checkNonEmpty(text: string): string | undefined {
    return text === "" ? "expected a non-empty string" : undefined;
}

/** An absolute container path other than `/` (where the worker mounts the shared claim). */
export function checkMountPath(text: string): string | undefined {
    return /^\/[^:]*$/.test(text) && text !== "/"
        ? undefined
        : "expected an absolute path other than `/`, such as `/data`";
}

/** A directory on the EFS filesystem, absolute. */
export function checkEfsBasePath(text: string): string | undefined {
    return /^\/[\w./-]*$/.test(text) ? undefined : "expected an absolute path such as `/backline`";
}

/** A KMS key (or alias) ARN. */
export function checkKmsKeyArn(text: string): string | undefined {
    return /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/.test(text)
        ? undefined
        : "expected a KMS key ARN";
}
