/**
 * `adopt`: moving a live Helm release of the Backline chart to this stack (docs/move-from-helm.md,
 * docs/helm-adoption.md). Its rules against other sections are in `schema.ts`.
 */
import { always, listOf, object, rule, show, text } from "../fields";
import { checkDns1123Label, checkDns1123Subdomain, isDns1123Label } from "../validators";

/**
 * Helm's rule for release names (`helm install` refuses others): a DNS-1123 label of at most 53
 * characters, the rest being kept for the `sh.helm.release.v1.` prefix of its record.
 * https://github.com/helm/helm/blob/v3.22.0/pkg/chartutil/validate_name.go
 */
export function checkHelmReleaseName(name: string): string | undefined {
    return name.length <= 53 && isDns1123Label(name)
        ? undefined
        : "expected a Helm release name: 1-53 lower-case letters, digits or `-`, starting and ending with a letter or digit (as `helm list` shows it)";
}

/** `Kind/name` of a namespaced object, as `kubectl get` prints it (`Role/backline-worker`). */
export function checkKindAndName(entry: string): string | undefined {
    const [kind, name, ...rest] = entry.split("/");
    return rest.length > 0 || !/^[A-Z][A-Za-z0-9]*$/.test(kind) || checkDns1123Subdomain(name ?? "") !== undefined
        ? "expected `Kind/name` of an object of the release, e.g. `Role/backline-worker` (the kind as in its manifest, capitalised)"
        : undefined;
}

/** `adopt.keep`, `adopt.remove`: objects of the release by `Kind/name`. */
function kindAndNameList() {
    return listOf(text(checkKindAndName), "expected a list of `Kind/name` entries").prefault([]);
}

export const adopt = object({
    helmRelease: text(checkHelmReleaseName).optional().meta({
        description:
            "A live Helm release of the Backline chart to take over in place: `pulumi preview` checks it and lists what will change, `pulumi up` moves every object to the stack (same UIDs, the claim and its data kept) and removes Helm's record. Leave it set afterwards.",
        defaultText: "none (no adoption)",
    }),
    releaseNamespace: text(checkDns1123Label).optional().meta({
        description: "Namespace of the release record (`helm install --namespace`, `helm list -n`).",
        defaultText: "`namespaceOverride`",
    }),
    keep: kindAndNameList().describe(
        "Objects of the release the stack does not declare, to leave in place (Helm's labels removed) rather than delete (`Role`s and `RoleBinding`s) or refuse (any other kind).",
    ),
    remove: kindAndNameList().describe(
        "Objects of the release the stack does not declare, to delete once the take-over has succeeded (a copy of each is kept in a Secret `backline-helm-backup.<release>.<kind>.<name>`), e.g. the chart's own copy of the access key.",
    ),
})
    .superRefine((a, ctx) => {
        const { typed, given, problem } = rule(ctx);
        if (typed() && typed("keep") && typed("remove")) {
            a.remove.forEach((entry, i) => {
                if (a.keep.includes(entry)) {
                    problem(
                        ["remove", i],
                        `got ${show(entry)}, which \`adopt.keep\` lists too; an object is either kept or removed. Take it out of one of the lists.`,
                    );
                }
            });
        }
        if (!typed() || (given("helmRelease") && a.helmRelease !== "")) return;
        if (given("releaseNamespace")) {
            problem(
                ["releaseNamespace"],
                `got ${show(a.releaseNamespace)} without \`adopt.helmRelease\`; set the release to adopt, or remove this key.`,
            );
        }
        for (const key of ["keep", "remove"] as const) {
            if (given(key) && !(typed(key) && a[key].length === 0)) {
                problem(
                    [key],
                    `got ${show(a[key])} without \`adopt.helmRelease\`; set the release to adopt, or remove this key.`,
                );
            }
        }
    }, always)
    .prefault({})
    .describe("Move a live Helm release of the Backline chart to this stack.");
