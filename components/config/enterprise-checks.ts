/**
 * Pure validators of the enterprise-cluster keys (issue 12): proxy URLs and bypass entries, the
 * private CA bundle, the registry mirror, label and annotation keys, priority classes and CIDRs.
 * Each returns `undefined` when the value is acceptable, else what is accepted (as `validators.ts`).
 */
import { X509Certificate } from "crypto";

const hostLabel = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const hostName = `${hostLabel}(\\.${hostLabel})*`;
const ipv4 = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}";

function isIpv6(text: string): boolean {
    // Node's URL parser normalises a valid IPv6 literal; anything else throws.
    if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":")) return false;
    try {
        new URL(`http://[${text}]/`);
        return true;
    } catch {
        return false;
    }
}

/**
 * A proxy URL: `http://host:port` or `https://host:port`, optionally with `user:password@`. The
 * port is required because tools disagree on the default (curl 1080, Go and Python 80/443).
 * Whether credentials may be given at all depends on how the key is stored (`load.ts`).
 */
export function checkProxyUrl(text: string): string | undefined {
    const accepted = "expected a proxy URL `http://host:port` (or `https://`) with an explicit port";
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        return accepted;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return `${accepted}; other schemes are not supported`;
    if (!url.port && !/:\d+(\/|$)/.test(text.replace(/^[a-z]+:\/\/([^@/]*@)?/i, "//"))) {
        return `${accepted}: tools disagree on the default port (curl uses 1080, Go and Python 80/443)`;
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
        return `${accepted}, without a path, query or fragment`;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!new RegExp(`^(${hostName}|${ipv4})$`).test(host) && !isIpv6(host)) return `${accepted}; the host is not valid`;
    if (/\s/.test(text)) return `${accepted}, without spaces (percent-encode them in a password)`;
    return undefined;
}

/** Whether a proxy URL carries `user[:password]@`. */
export function hasCredentials(proxyUrl: string): boolean {
    try {
        const url = new URL(proxyUrl);
        return url.username !== "" || url.password !== "";
    } catch {
        return /^[a-z]+:\/\/[^/]*@/i.test(proxyUrl);
    }
}

/**
 * A `NO_PROXY` entry every common client reads the same way: a host name, a domain suffix
 * (`.corp.example.com`), an IPv4/IPv6 address or a CIDR block. Wildcards (`*.example.com`, `*`)
 * and ports are read differently by curl, Go, Python and Node, so they are refused.
 */
export function checkNoProxyEntry(text: string): string | undefined {
    const accepted =
        "expected a host name, a domain suffix such as `.corp.example.com`, an IP address or a CIDR block such as `10.0.0.0/8` (no wildcards or ports: clients read them differently)";
    if (new RegExp(`^\\.?${hostName}$`).test(text)) return undefined;
    const [address, bits, ...rest] = text.split("/");
    if (rest.length > 0) return accepted;
    if (new RegExp(`^${ipv4}$`).test(address)) {
        return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32) ? undefined : accepted;
    }
    if (isIpv6(address)) {
        return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= 128) ? undefined : accepted;
    }
    return accepted;
}

/** An IPv4 or IPv6 CIDR block (`0.0.0.0/0` included: a NetworkPolicy peer may admit everyone). */
export function checkCidrBlock(text: string): string | undefined {
    const accepted = "expected a CIDR block such as `10.0.0.0/8`, `203.0.113.7/32` or `2001:db8::/32`";
    const [address, bits, ...rest] = text.split("/");
    if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return accepted;
    const max = new RegExp(`^${ipv4}$`).test(address) ? 32 : isIpv6(address) ? 128 : undefined;
    return max === undefined || Number(bits) > max ? accepted : undefined;
}

/** A CIDR block narrower than the whole address space: what an egress limit allows. */
export function checkNarrowCidr(text: string): string | undefined {
    const problem = checkCidrBlock(text);
    if (problem) return problem;
    return Number(text.split("/")[1]) === 0
        ? "expected a CIDR block narrower than `/0`: the whole address space is no limit (leave `networkPolicy.egressCidrs` unset to keep egress open)"
        : undefined;
}

/**
 * A registry mirror: a host with an optional port and path, where every image is found under the
 * same repository path as at its origin (`registry.corp.example.com`, `harbor.corp:8443/dockerhub`).
 */
export function checkRegistryMirror(text: string): string | undefined {
    const component = "[a-z0-9]+([._-]+[a-z0-9]+)*";
    if (new RegExp(`^${hostName}(:\\d{1,5})?(/${component})*$`).test(text)) return undefined;
    return "expected a registry host with an optional port and path, such as `registry.corp.example.com` or `harbor.corp:8443/dockerhub` (no scheme, no trailing `/`)";
}

/** A ConfigMap data key. */
export function checkConfigMapKey(text: string): string | undefined {
    return /^[-._a-zA-Z0-9]{1,253}$/.test(text) && text !== "." && text !== ".."
        ? undefined
        : "expected a ConfigMap key: letters, digits, `-`, `_` and `.`, at most 253 characters";
}

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
    for (const [i, block] of blocks.entries()) {
        try {
            new X509Certificate(block[0]);
        } catch {
            return `${accepted}; certificate ${i + 1} of ${blocks.length} does not parse as X.509`;
        }
    }
    return undefined;
}

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
    const name = slash >= 0 ? text.slice(slash + 1) : text;
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(name)) return accepted;
    if (prefix !== undefined && (prefix.length > 253 || !new RegExp(`^${hostName}$`).test(prefix.toLowerCase()))) {
        return accepted;
    }
    if (prefix !== undefined && prefix !== prefix.toLowerCase()) return `${accepted} (the prefix in lower case)`;
    return undefined;
}

/** A label value: empty, or at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric. */
export function checkLabelValue(text: string): string | undefined {
    return text === "" || /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(text)
        ? undefined
        : "expected a label value: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (quote numbers and booleans)";
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
    const label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    return text.length <= 253 && new RegExp(`^${label}(\\.${label})*$`).test(text)
        ? undefined
        : "expected the name of an existing PriorityClass (a DNS-1123 subdomain)";
}

/** A relative path inside a volume (`subPath`): no `..` component, not absolute. */
export function checkSubPath(text: string): string | undefined {
    return text !== "" && !text.startsWith("/") && !text.split("/").includes("..")
        ? undefined
        : "expected a relative path inside the volume, without `..`";
}
