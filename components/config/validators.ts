/**
 * Pure validators of Kubernetes values: quantities, object and key names, paths, images, label and
 * annotation keys, PEM bundles. Each returns `undefined` when the value is acceptable and otherwise
 * a short sentence saying what is accepted; the sections attach them to keys, and `problems.ts`
 * adds the key and the rejected value. Network values are in `network-checks.ts`, AWS ones in
 * `aws-checks.ts`, CronJob schedules in `cron.ts`. No Pulumi imports: these run in unit tests and
 * in the Automation API before any engine exists.
 */
import { X509Certificate } from "crypto";
import { names, stackSecrets } from "../model";
import { isHostName } from "./network-checks";

/**
 * A Kubernetes quantity, parsed. `value` is in base units (cores or bytes).
 * Grammar: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export interface Quantity {
    readonly value: number;
    readonly suffix: string;
}

const binarySuffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const decimalSuffixes = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];

/** The factor of a suffix: `Ki` is 2^10, `m` 10^-3, `e3` 10^3. */
function factor(suffix: string): number {
    if (binarySuffixes.includes(suffix)) return 2 ** (10 * (binarySuffixes.indexOf(suffix) + 1));
    if (decimalSuffixes.includes(suffix)) return 10 ** (3 * (decimalSuffixes.indexOf(suffix) - 3));
    return 10 ** Number(suffix.slice(1));
}

const quantityPattern = /^\+?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Parses a Kubernetes quantity such as `500m`, `2`, `1Gi` or `1e3`; `undefined` when malformed. */
export function parseQuantity(text: string): Quantity | undefined {
    const match = quantityPattern.exec(text);
    if (!match) return undefined;
    const [, digits, suffix = ""] = match;
    const value = Number(digits) * factor(suffix);
    return Number.isFinite(value) ? { value, suffix } : undefined;
}

/** A CPU amount: cores (`2`, `0.5`) or millicores (`500m`), greater than zero. */
export function checkCpu(text: string): string | undefined {
    const q = parseQuantity(text);
    if (!q || q.value <= 0 || q.suffix.endsWith("i")) {
        return "expected a CPU amount greater than zero, in cores (`2`, `0.5`) or millicores (`500m`)";
    }
    return q.value < 0.001 ? "expected at least `1m`: Kubernetes does not allow CPU below one millicore" : undefined;
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
    if (!q || q.value <= 0) return accepted;
    if (q.suffix === "m" || q.suffix === "u" || q.suffix === "n") {
        return `${accepted}; \`${q.suffix}\` means a fraction of a byte (did you mean \`${q.suffix === "m" ? "Mi" : "Ki"}\`?)`;
    }
    return q.value < 1 ? accepted : undefined;
}

// --- Names ---------------------------------------------------------------------------------------

const dns1123Label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/** What Kubernetes requires of namespace and volume names. */
export function isDns1123Label(text: string): boolean {
    return text.length <= 63 && new RegExp(`^${dns1123Label}$`).test(text);
}

/** What Kubernetes requires of most object names (PVC, StorageClass, Secret, PriorityClass). */
export function isDns1123Subdomain(text: string): boolean {
    return text.length <= 253 && new RegExp(`^${dns1123Label}(\\.${dns1123Label})*$`).test(text);
}

export function checkDns1123Label(text: string): string | undefined {
    return isDns1123Label(text)
        ? undefined
        : "expected a DNS-1123 label: 1-63 lower-case letters, digits or `-`, starting and ending with a letter or digit";
}

export function checkDns1123Subdomain(text: string): string | undefined {
    return isDns1123Subdomain(text)
        ? undefined
        : "expected a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`, at most 253 characters, starting and ending with a letter or digit";
}

/**
 * A PriorityClass name. The built-in `system-node-critical` and `system-cluster-critical` are
 * admitted only in `kube-system` by default (the Priority admission plugin), and `system-` is
 * reserved for them.
 */
export function checkPriorityClassName(text: string): string | undefined {
    if (text.startsWith("system-")) {
        return "expected a PriorityClass of your own: `system-` classes are reserved for the cluster's components and refused outside `kube-system`";
    }
    return isDns1123Subdomain(text)
        ? undefined
        : "expected the name of an existing PriorityClass (a DNS-1123 subdomain)";
}

/** Names of environment variables Kubernetes accepts (a C identifier, plus `.` and `-`). */
export function checkEnvName(text: string): string | undefined {
    return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(text)
        ? undefined
        : "expected a variable name of letters, digits, `_`, `.` and `-`, not starting with a digit";
}

/** A ConfigMap data key. */
export function checkConfigMapKey(text: string): string | undefined {
    return /^[-._a-zA-Z0-9]{1,253}$/.test(text) && text !== "." && text !== ".."
        ? undefined
        : "expected a ConfigMap key: letters, digits, `-`, `_` and `.`, at most 253 characters";
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

/** A relative path inside a volume (`subPath`): no `..` component, not absolute. */
export function checkSubPath(text: string): string | undefined {
    return text !== "" && !text.startsWith("/") && !text.split("/").includes("..")
        ? undefined
        : "expected a relative path inside the volume, without `..`";
}

const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63
 * letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
export function checkMetadataKey(text: string): string | undefined {
    const accepted =
        "expected a key such as `team` or `example.com/cost-center`: an optional DNS prefix and `/`, then at most 63 letters, digits, `-`, `_` or `.`";
    const slash = text.lastIndexOf("/");
    const prefix = slash >= 0 ? text.slice(0, slash) : undefined;
    if (!labelName.test(text.slice(slash + 1))) return accepted;
    if (prefix === undefined) return undefined;
    if (!isDns1123Subdomain(prefix.toLowerCase())) return accepted;
    return prefix !== prefix.toLowerCase() ? `${accepted} (the prefix in lower case)` : undefined;
}

/** A label value: empty, or at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric. */
export function checkLabelValue(text: string): string | undefined {
    return text === "" || labelName.test(text)
        ? undefined
        : "expected a label value: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (quote numbers and booleans)";
}

// --- Images --------------------------------------------------------------------------------------

/** A registry host, optionally with a port: `docker.io`, `localhost:5000`, `123.dkr.ecr.us-west-1.amazonaws.com`. */
export function checkRegistry(text: string): string | undefined {
    const [, host = "", port] = /^([^:]*)(:\d{1,5})?$/.exec(text) ?? [];
    return isHostName(host) && (port !== undefined || !text.includes(":"))
        ? undefined
        : "expected a registry host such as `docker.io` or `my-registry.example.com:5000`";
}

const repository = /^[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;

/** A repository path inside a registry: lower-case components separated by `/`. */
export function checkRepository(text: string): string | undefined {
    return repository.test(text)
        ? undefined
        : "expected an image name such as `prod-worker` or `dtzar/helm-kubectl` (lower-case letters, digits, `.`, `_`, `-` and `/`)";
}

const digest = /^sha256:[a-f0-9]{64}$/;

/** An image tag (`2faf8c5-1757332651`) or a digest (`sha256:<64 hex>`). */
export function checkTagOrDigest(text: string): string | undefined {
    return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(text) || digest.test(text)
        ? undefined
        : "expected a tag (letters, digits, `_`, `.`, `-`, at most 128) or a digest `sha256:<64 hex digits>`";
}

/** A full image reference `<registry>/<name>:<tag>` or `<registry>/<name>@sha256:<digest>`. */
export function checkImageReference(text: string): string | undefined {
    const accepted =
        "expected a full image reference such as `public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2`";
    const at = text.indexOf("@");
    const colon = text.lastIndexOf(":");
    if (at < 0 && (colon < 0 || text.indexOf("/", colon) >= 0)) return `${accepted} (with a tag or digest)`;
    const [repo, ref] =
        at >= 0 ? [text.slice(0, at), text.slice(at + 1)] : [text.slice(0, colon), text.slice(colon + 1)];
    const slash = repo.indexOf("/");
    const bad =
        (at >= 0 ? !digest.test(ref) : checkTagOrDigest(ref)) ||
        slash < 0 ||
        checkRegistry(repo.slice(0, slash)) ||
        checkRepository(repo.slice(slash + 1));
    return bad ? accepted : undefined;
}

/**
 * A registry mirror: a host with an optional port and path, where every image is found under the
 * same repository path as at its origin (`registry.corp.example.com`, `harbor.corp:8443/dockerhub`).
 */
export function checkRegistryMirror(text: string): string | undefined {
    const slash = text.indexOf("/");
    const path = slash >= 0 ? text.slice(slash + 1) : undefined;
    return checkRegistry(slash >= 0 ? text.slice(0, slash) : text) || (path !== undefined && !repository.test(path))
        ? "expected a registry host with an optional port and path, such as `registry.corp.example.com` or `harbor.corp:8443/dockerhub` (no scheme, no trailing `/`)"
        : undefined;
}

// --- Trust bundles -------------------------------------------------------------------------------

/** ConfigMaps hold at most 1 MiB. */
const maxPemBytes = 1024 * 1024 - 4096;

/**
 * One or more PEM certificates (text between them, such as `# Issuer:` comments, is ignored as
 * OpenSSL ignores it). Each must parse as X.509. A private key is refused: it has no place in a
 * trust bundle, and the bundle is a ConfigMap anyone in the namespace may read.
 */
export function checkPemBundle(text: string): string | undefined {
    const accepted =
        "expected one or more PEM certificates (`-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----`)";
    if (Buffer.byteLength(text) > maxPemBytes) return `${accepted}, at most 1 MiB in all (a ConfigMap's limit)`;
    const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
    const kinds = [...new Set(blocks.map((b) => b[1]))].filter((k) => k !== "CERTIFICATE");
    if (kinds.some((k) => k.includes("PRIVATE KEY"))) {
        return `${accepted}; it holds a private key, which must never be in a trust bundle (value not shown)`;
    }
    if (kinds.length > 0) return `${accepted}; it holds ${kinds.map((k) => `\`${k}\``).join(", ")} blocks`;
    if (blocks.length === 0) return accepted;
    const broken = blocks.findIndex((block) => {
        try {
            new X509Certificate(block[0]);
            return false;
        } catch {
            return true;
        }
    });
    return broken >= 0
        ? `${accepted}; certificate ${broken + 1} of ${blocks.length} does not parse as X.509`
        : undefined;
}

/**
 * `worker.jobs.allowedSecrets` may not name a Secret the stack holds (`stackSecrets`): the worker's
 * Jobs run code it was asked to run, and the admission policy (`security.jobAdmissionPolicy`) is
 * there to keep those credentials from them.
 */
export function checkAllowedJobSecret(name: string): string | undefined {
    if (stackSecrets.includes(name)) {
        return `expected a Secret of your own; ${stackSecrets.map((s) => `\`${s}\``).join(", ")} hold the stack's credentials, which the worker's Jobs must never see (\`${names.dockerconfigSecret}\` is already allowed as their image pull secret)`;
    }
    return undefined;
}
