/**
 * `kubernetes`: where to deploy (the program's Kubernetes provider).
 */
import { always, bool, object, rule, text } from "../fields";
import { checkNonEmpty } from "../validators";

export const kubernetes = object({
    kubeconfig: text(checkNonEmpty).optional().meta({
        description: "Path or contents of a kubeconfig.",
        defaultText: "`$KUBECONFIG` / `~/.kube/config`",
        secret: "allowed",
    }),
    context: text(checkNonEmpty)
        .optional()
        .meta({ description: "Context to use.", defaultText: "the current context" }),
    renderYamlToDirectory: text(checkNonEmpty)
        .optional()
        .describe(
            "Write manifests to this folder instead of applying them. Rendered Secrets hold **plaintext** (the access key).",
        ),
    skipAwait: bool()
        .prefault(false)
        .describe("Do not wait for workloads to become ready (test clusters without nodes)."),
})
    .superRefine((k, ctx) => {
        const { typed, problem } = rule(ctx);
        const cluster = (typed("kubeconfig") && k.kubeconfig) || (typed("context") && k.context);
        if (typed("renderYamlToDirectory") && k.renderYamlToDirectory && cluster) {
            problem(
                ["renderYamlToDirectory"],
                "set together with `kubernetes.kubeconfig`/`kubernetes.context`; render mode talks to no cluster. Remove one of them.",
            );
        }
    }, always)
    .prefault({})
    .describe("Where to deploy (the program's Kubernetes provider).");
