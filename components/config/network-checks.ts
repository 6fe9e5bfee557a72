/**
 * Pure validators of network values: the SaaS URL, proxy URLs and bypass entries, host names and
 * CIDR blocks (as `validators.ts`: `undefined` when fine, else what is accepted). Host names,
 * addresses and blocks are zod's own formats, used as predicates so that the JSON Schema of the
 * stack files stays as it is.
 */
import { z } from "zod";

const formats = {
    hostname: z.hostname(),
    ipv4: z.ipv4(),
    ipv6: z.ipv6(),
    cidrv4: z.cidrv4(),
    cidrv6: z.cidrv6(),
};
const is = (format: keyof typeof formats, text: string) => formats[format].safeParse(text).success;

/** A host name of letters, digits and `-` (zod's `hostname`), without the root's trailing `.`. */
export function isHostName(text: string): boolean {
    return is("hostname", text) && !text.endsWith(".");
}

/** The prefix length of an IPv4 or IPv6 CIDR block (`10.0.0.0/8`, `2001:db8::/32`), or `undefined`. */
function cidrBits(text: string, family: "any" | "ipv4" = "any"): number | undefined {
    const block = is("cidrv4", text) || (family === "any" && is("cidrv6", text));
    return block ? Number(text.slice(text.lastIndexOf("/") + 1)) : undefined;
}

function parseUrl(text: string): URL | undefined {
    try {
        return new URL(text);
    } catch {
        return undefined;
    }
}

/**
 * The SaaS endpoint. https only, because the access key travels in its Authorization header; plain
 * http is tolerated for loopback addresses, where tests and port-forwards live.
 */
export function checkBaseUrl(text: string): string | undefined {
    const accepted = "expected an https:// URL such as `https://app.backline.ai` (http:// only for localhost)";
    const url = parseUrl(text);
    if (!url) return accepted;
    if (url.username || url.password) return `${accepted}, without credentials in it`;
    if (url.search || url.hash) return `${accepted}, without a query or fragment`;
    const loopback = ["localhost", "[::1]"].includes(url.hostname) || /^127\./.test(url.hostname);
    return url.protocol === "https:" || (url.protocol === "http:" && loopback) ? undefined : accepted;
}

/**
 * A proxy URL: `http://host:port` or `https://host:port`, optionally with `user:password@`. The
 * port is required because tools disagree on the default (curl 1080, Go and Python 80/443).
 * Whether credentials may be given at all depends on how the key is stored (`load.ts`).
 */
export function checkProxyUrl(text: string): string | undefined {
    const accepted = "expected a proxy URL `http://host:port` (or `https://`) with an explicit port";
    const url = parseUrl(text);
    if (!url) return accepted;
    if (url.protocol !== "http:" && url.protocol !== "https:") return `${accepted}; other schemes are not supported`;
    // `url.port` is empty for a scheme's default port (`http://proxy:80`), which is still explicit.
    if (!url.port && !/:\d+(\/|$)/.test(text.replace(/^[a-z]+:\/\/([^@/]*@)?/i, "//"))) {
        return `${accepted}: tools disagree on the default port (curl uses 1080, Go and Python 80/443)`;
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
        return `${accepted}, without a path, query or fragment`;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!isHostName(host) && !is("ipv6", host)) return `${accepted}; the host is not valid`;
    if (/\s/.test(text)) return `${accepted}, without spaces (percent-encode them in a password)`;
    return undefined;
}

/** Whether a proxy URL carries `user[:password]@`. */
export function hasCredentials(proxyUrl: string): boolean {
    const url = parseUrl(proxyUrl);
    return url ? url.username !== "" || url.password !== "" : /^[a-z]+:\/\/[^/]*@/i.test(proxyUrl);
}

/**
 * A `NO_PROXY` entry every common client reads the same way: a host name, a domain suffix
 * (`.corp.example.com`), an IPv4/IPv6 address or a CIDR block. Wildcards (`*.example.com`, `*`)
 * and ports are read differently by curl, Go, Python and Node, so they are refused.
 */
export function checkNoProxyEntry(text: string): string | undefined {
    return isHostName(text.replace(/^\./, "")) || is("ipv6", text) || cidrBits(text) !== undefined
        ? undefined
        : "expected a host name, a domain suffix such as `.corp.example.com`, an IP address or a CIDR block such as `10.0.0.0/8` (no wildcards or ports: clients read them differently)";
}

/** An IPv4 or IPv6 CIDR block (`0.0.0.0/0` included: a NetworkPolicy peer may admit everyone). */
export function checkCidrBlock(text: string): string | undefined {
    return cidrBits(text) === undefined
        ? "expected a CIDR block such as `10.0.0.0/8`, `203.0.113.7/32` or `2001:db8::/32`"
        : undefined;
}

/** A CIDR block narrower than the whole address space: what an egress limit allows. */
export function checkNarrowCidr(text: string): string | undefined {
    return cidrBits(text) === 0
        ? "expected a CIDR block narrower than `/0`: the whole address space is no limit (leave `networkPolicy.egressCidrs` unset to keep egress open)"
        : checkCidrBlock(text);
}

/** An IPv4 CIDR block that NFS may be open to: never the whole internet. */
export function checkNfsCidr(text: string): string | undefined {
    const bits = cidrBits(text, "ipv4");
    if (bits === undefined) return "expected an IPv4 CIDR block such as `10.0.0.0/16`";
    return bits === 0 ? "expected a CIDR narrower than `/0`: NFS must not be open to the whole internet" : undefined;
}
