/**
 * `caBundle`: private CA roots for every pod.
 */
import { caBundleDir } from "../../model";
import { acceptsOutput, always, blankIsUnset, object, rule, text } from "../fields";
import { checkConfigMapKey, checkDns1123Subdomain, checkPemBundle } from "../validators";

export const caBundle = object({
    configMapName: blankIsUnset(acceptsOutput(text(checkDns1123Subdomain)).optional()).describe(
        "An existing ConfigMap in the namespace (e.g. one trust-manager distributes) holding the PEM roots; pods wait until it exists.",
    ),
    key: text(checkConfigMapKey).prefault("ca.crt").describe("The ConfigMap key that holds the bundle."),
    pem: blankIsUnset(acceptsOutput(text(checkPemBundle)).optional()).describe(
        "The PEM roots inline instead: the stack makes ConfigMap `backline-ca-bundle` from them.",
    ),
})
    .superRefine((_, ctx) => {
        const { given, problem } = rule(ctx);
        if (given("configMapName") && given("pem")) {
            problem(
                ["pem"],
                "set together with `caBundle.configMapName`; give the bundle either inline or as an existing ConfigMap, not both.",
            );
        }
    }, always)
    .prefault({})
    .meta({
        description: "Private CA roots (TLS-inspecting proxies, internal registries and endpoints).",
        details: `Mounted read-only at \`${caBundleDir}\` into the worker (\`SSL_CERT_FILE\`, \`NODE_EXTRA_CA_CERTS\`, \`REQUESTS_CA_BUNDLE\`), the collector (\`SSL_CERT_FILE\`) and the janitor (curl \`--cacert\`). OpenSSL-based clients use it *instead of* their default roots: include every root the pods need.`,
    });
