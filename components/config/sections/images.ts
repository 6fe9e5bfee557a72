/**
 * `imageRegistry` and `imagePullSecrets`: where every image is pulled from, and with which secrets.
 */
import { acceptsOutput, always, blankIsUnset, listOf, rule, show, text } from "../fields";
import { checkDns1123Subdomain, checkRegistryMirror } from "../validators";

export const imageRegistry = blankIsUnset(acceptsOutput(text(checkRegistryMirror)).optional()).describe(
    "A registry mirror that replaces the registry of every image the stack runs (janitor, collector, worker) and of the worker images the janitor receives; repository and tag are kept.",
);

export const imagePullSecrets = listOf(text(checkDns1123Subdomain), "expected a list of Secret names")
    .superRefine((names, ctx) => {
        const { typed, problem } = rule(ctx);
        (typed() ? names : []).forEach((name, i) => {
            if (!typed(i)) return;
            if (name === "dockerconfig") {
                problem([i], "is the janitor's own pull secret, which the worker always uses; remove it here.");
            } else if (names.indexOf(name) !== i) {
                problem([i], `got ${show(name)} a second time; each Secret may appear once.`);
            }
        });
    }, always)
    .prefault([])
    .describe("Existing pull secrets (names) added to every pod, beside `dockerconfig`.");
