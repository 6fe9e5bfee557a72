/**
 * `proxy`: an outbound HTTP(S) proxy for every pod.
 */
import { always, before, blankIsUnset, listOf, object, rule, text } from "../fields";
import { checkNoProxyEntry, checkProxyUrl } from "../network-checks";

/** `a,b` as `pulumi config set --path proxy.noProxy 'a,b'` stores it, or a list. */
const commaList = (raw: unknown) =>
    typeof raw === "string"
        ? raw
              .split(",")
              .map((s) => s.trim())
              .filter((s) => s !== "")
        : raw;

const proxyUrl = (scheme: string) =>
    blankIsUnset(text(checkProxyUrl).optional()).meta({
        description: `Proxy for ${scheme} requests of every pod (\`${scheme.toUpperCase()}_PROXY\`), e.g. \`http://proxy.corp.example.com:3128\`. With credentials (\`http://user:password@host:port\`, special characters percent-encoded) only as a secret: \`pulumi config set --secret --path proxy.${scheme}Proxy <url>\`.`,
        secret: "allowed",
    });

export const proxy = object({
    httpProxy: proxyUrl("http"),
    httpsProxy: proxyUrl("https"),
    noProxy: before(
        commaList,
        listOf(text(checkNoProxyEntry), "expected a list of hosts, domains, addresses or CIDR blocks"),
    )
        .prefault([])
        .meta({
            description:
                "Reached directly: hosts, domain suffixes (`.corp.example.com`), addresses, CIDR blocks; a list or comma-separated text. The API server, `.svc`, `.cluster.local` and loopback always are.",
            // The stack files' JSON Schema: comma-separated text is accepted too.
            type: ["array", "string"],
        }),
})
    .superRefine((p, ctx) => {
        const { typed, given, problem } = rule(ctx);
        if (typed("noProxy") && p.noProxy.length > 0 && !given("httpProxy") && !given("httpsProxy")) {
            problem(
                ["noProxy"],
                "is set but neither `proxy.httpProxy` nor `proxy.httpsProxy` is; without a proxy everything is reached directly. Set a proxy, or remove `proxy.noProxy`.",
            );
        }
    }, always)
    .prefault({})
    .meta({
        description: "An outbound HTTP(S) proxy for the worker, its Jobs, the collector and the janitor.",
        details:
            "Every container gets `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` and their lower-case twins, and the worker passes them on to its Jobs (see [Enterprise clusters](#enterprise-clusters)).",
    });
