/**
 * The `adopt` section: moving a live Helm release of the Backline chart to this stack (README "Moving
 * from the Helm chart", docs/helm-adoption.md). Kept apart from `schema.ts`, which includes it, so
 * the adoption's keys and rules read in one place.
 */
import { z } from "zod";
import { at, listOf, object, show, text, verbatim } from "./fields";
import { checkDns1123Label, checkDns1123Subdomain } from "./validators";

/**
 * Helm's rule for release names (`helm install` refuses others): a DNS-1123 label of at most 53
 * characters, the rest being kept for the `sh.helm.release.v1.` prefix of its record.
 * https://github.com/helm/helm/blob/v3.22.0/pkg/chartutil/validate_name.go
 */
export function checkHelmReleaseName(name: string): string | undefined {
    if (name.length > 53 || checkDns1123Label(name) !== undefined) {
        return "expected a Helm release name: 1-53 lower-case letters, digits or `-`, starting and ending with a letter or digit (as `helm list` shows it)";
    }
    return undefined;
}

/** `Kind/name` of a namespaced object, as `kubectl get` prints it (`Role/backline-worker`). */
export function checkKindAndName(entry: string): string | undefined {
    const [kind, name, ...rest] = entry.split("/");
    if (rest.length > 0 || !/^[A-Z][A-Za-z0-9]*$/.test(kind) || checkDns1123Subdomain(name ?? "") !== undefined) {
        return "expected `Kind/name` of an object of the release, e.g. `Role/backline-worker` (the kind as in its manifest, capitalised)";
    }
    return undefined;
}

export const adoptSection = object({
    helmRelease: text(checkHelmReleaseName).optional().meta({
        description:
            "A live Helm release of the Backline chart to take over in place: `pulumi preview` checks it and lists what will change, `pulumi up` moves every object to the stack (same UIDs, the claim and its data kept) and removes Helm's record. Leave it set afterwards.",
        defaultText: "none (no adoption)",
    }),
    releaseNamespace: text(checkDns1123Label).optional().meta({
        description: "Namespace of the release record (`helm install --namespace`, `helm list -n`).",
        defaultText: "`namespaceOverride`",
    }),
    keep: listOf(text(checkKindAndName), "expected a list of `Kind/name` entries")
        .prefault([])
        .describe(
            "Objects of the release the stack does not declare, to leave in place (Helm's labels removed) rather than delete (`Role`s and `RoleBinding`s) or refuse (any other kind).",
        ),
})
    .prefault({})
    .describe("Move a live Helm release of the Backline chart to this stack.");

/** Rules between `adopt` and the rest of the configuration; they run whatever else failed. */
export function adoptionRules(c: unknown, ctx: z.RefinementCtx): void {
    const problem = (path: string[], message: string) =>
        ctx.addIssue({ code: "custom", path, message, params: verbatim });
    const release = at(c, "adopt", "helmRelease");
    if (release === undefined || release === null || release === "") {
        for (const key of ["releaseNamespace", "keep"]) {
            const v = at(c, "adopt", key);
            if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
                problem(
                    ["adopt", key],
                    `got ${show(v)} without \`adopt.helmRelease\`; set the release to adopt, or remove this key.`,
                );
            }
        }
        return;
    }
    const render = at(c, "kubernetes", "renderYamlToDirectory");
    if (render !== undefined && render !== null && render !== "") {
        problem(
            ["adopt", "helmRelease"],
            "set together with `kubernetes.renderYamlToDirectory`; adopting reads and changes the live release, render mode talks to no cluster. Remove one of them.",
        );
    }
    const efs = at(c, "efs");
    if (efs !== undefined && efs !== null && !(typeof efs === "object" && Object.keys(efs).length === 0)) {
        problem(
            ["adopt", "helmRelease"],
            "set together with `efs`; the release's claim already lives on its storage class, and a claim cannot move to the filesystem this stack would create. Remove `efs` (the claim keeps its class).",
        );
    }
}
