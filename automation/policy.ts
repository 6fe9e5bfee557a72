/**
 * Policy packs for `preview` and `up`: which ones to run (checked before the engine starts) and the
 * violations the engine reports as `policyEvent`s.
 */
import * as fs from "fs";
import * as path from "path";
import type * as automation from "@pulumi/pulumi/automation";
import type { ConfigProblem } from "../components/config";
import { codeRoot } from "../components/package-root";
import { isExecutableFile } from "./paths";
import { plainText, redact } from "./text";
import type { PolicySettings, PolicyViolation } from "./types";

/**
 * Backline's pack as an executable analyzer, which every engine that supports executable packs
 * starts directly (the engine this repository builds cannot start the folder form; docs/operate/policies.md):
 * `policy/analyzer` in a checkout, the compiled copy `dist/policy/analyzer` once installed
 * (scripts/build.sh).
 */
export function backlinePolicyPack(root = codeRoot): string {
    return path.join(root, "policy", "analyzer");
}

/** Whether Node.js finds `@pulumi/policy` from the pack's folder, as the pack will look for it. */
function resolvesFrom(dir: string, module: string): boolean {
    try {
        require.resolve(module, { paths: [dir] });
        return true;
    } catch {
        return false;
    }
}

/** The packs to pass to the engine; problems (a missing pack, uninstalled dependencies) go to `problems`. */
export function policyPackPaths(
    settings: PolicySettings | undefined,
    problems: ConfigProblem[],
    root = codeRoot,
): string[] {
    if (settings === undefined) return [];
    const paths: string[] = [];
    if (settings.backline ?? true) {
        const pack = backlinePolicyPack(root);
        const dir = path.dirname(pack);
        if (!isExecutableFile(pack) || !resolvesFrom(dir, "@pulumi/policy")) {
            problems.push({
                key: "policies.backline",
                message: isExecutableFile(pack)
                    ? `Backline's policy pack in ${dir} has no dependencies installed; run \`npm ci\` there (scripts/setup.sh does), or set \`policies.backline\` to false.`
                    : `Backline's policy pack is missing (no executable ${pack}); run \`npm run build\` (an installed package ships it), or set \`policies.backline\` to false.`,
            });
        }
        paths.push(pack);
    }
    (settings.packs ?? []).forEach((p, i) => {
        const full = path.resolve(p);
        const isPackDir = fs.existsSync(path.join(full, "PulumiPolicy.yaml"));
        if (!isPackDir && !isExecutableFile(full)) {
            problems.push({
                key: `policies.packs[${i}]`,
                message: `got ${JSON.stringify(p)}, which is neither a folder holding PulumiPolicy.yaml nor an executable analyzer; pass the path of a policy pack.`,
            });
        }
        paths.push(full);
    });
    return paths;
}

/**
 * A violation as this API reports it. The engine's message is the policy's description, a newline
 * and what the policy reported (@pulumi/policy's `reportViolation`), in colour tags; its level is
 * `advisory` or (older engines) `warning` for what a pack calls advisory.
 */
export function policyViolationOf(event: automation.PolicyEvent, secrets: readonly string[]): PolicyViolation {
    const lines = redact(plainText(event.message), secrets).trim().split(/\r?\n/);
    return {
        policyPack: `${event.policyPackName}@v${event.policyPackVersion}`,
        policyName: event.policyName,
        ...(event.resourceUrn ? { resourceUrn: event.resourceUrn } : {}),
        ...(lines.length > 1 ? { description: lines[0].trim() } : {}),
        message: (lines.length > 1 ? lines.slice(1) : lines).join("\n").trim(),
        enforcementLevel: event.enforcementLevel === "mandatory" ? "mandatory" : "advisory",
    };
}
