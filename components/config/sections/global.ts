/**
 * The top-level keys outside any section: the SaaS endpoint, the access key and the namespace.
 */
import { acceptsOutput, before, blankIsUnset, text } from "../fields";
import { checkBaseUrl } from "../network-checks";
import { checkDns1123Label } from "../validators";

export const baseUrl = blankIsUnset(
    // Without its trailing `/`, taken off on the key itself so that an Output's value loses it too.
    before(
        (raw) => (typeof raw === "string" ? raw.replace(/\/+$/, "") : raw),
        acceptsOutput(
            text(checkBaseUrl, {
                missing:
                    "missing; set the Backline SaaS endpoint, e.g. `pulumi config set baseUrl https://app.backline.ai`",
            }),
        ),
    ),
).describe(
    "Backline SaaS endpoint; `https://` (`http://` only for localhost). The chart defaulted to staging; here a missing URL is an error, so production never talks to staging by accident.",
);

export const accessKey = blankIsUnset(
    acceptsOutput(
        text(
            (s) =>
                /\s/.test(s)
                    ? "contains whitespace (value not shown); paste the key without spaces or line breaks."
                    : undefined,
            { missing: "missing; set it encrypted with `pulumi config set --secret accessKey <key>`" },
        ),
    ),
).meta({
    description:
        "Access key for the Backline SaaS: `pulumi config set --secret accessKey <key>`. Plaintext is refused.",
    secret: "required",
});

export const namespaceOverride = blankIsUnset(text(checkDns1123Label).prefault("backline")).describe(
    "Namespace of every object (a DNS-1123 label).",
);
