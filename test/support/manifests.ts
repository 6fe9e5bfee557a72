/**
 * The Kubernetes objects (and AWS resources) the program asks for, as stable text: every resource
 * the program registers under mocks, sorted by type and name, with its inputs as recorded. Used to
 * prove that a change renders today's stacks byte for byte the same
 * (`test/manifests-unchanged.spec.ts` against `test/fixtures/manifests-before-issue-12.json`).
 *
 * The janitor script is the one input that legitimately changes with the janitor: its text (in
 * ConfigMap `janitor-script`), its hash (a pod-template annotation) and the install Job's name
 * (a hash of the Job's spec, which holds the script's hash) are replaced by placeholders. The
 * Job's spec itself stays in the snapshot, so any other change to it still shows.
 */
import { canonicalJson } from "../../components/specs/common";
import { StackConfig, runProgram } from "./mocks";

export const SCRIPT_PLACEHOLDER = "<janitor.sh>";
export const SCRIPT_HASH_PLACEHOLDER = "<sha256 of janitor.sh>";
export const INSTALL_JOB_PLACEHOLDER = "janitor-install-<hash of its spec>";

function normalise(value: unknown, scriptHash: string | undefined): unknown {
    if (Array.isArray(value)) return value.map((v) => normalise(v, scriptHash));
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            if (k === "janitor.sh" && typeof v === "string") out[k] = SCRIPT_PLACEHOLDER;
            else out[k] = normalise(v, scriptHash);
        }
        return out;
    }
    if (typeof value === "string") {
        if (scriptHash && value === scriptHash) return SCRIPT_HASH_PLACEHOLDER;
        if (/^janitor-install-[0-9a-f]{10}$/.test(value)) return INSTALL_JOB_PLACEHOLDER;
    }
    return value;
}

/** Every resource the program registers for `config`, as `{ "<type>::<name>": inputs }`, normalised. */
export async function renderedResources(config: StackConfig): Promise<Record<string, unknown>> {
    const run = await runProgram(config);
    const scriptHash = run.mocks.resources
        .map((r) => r.inputs?.spec?.jobTemplate?.spec?.template?.metadata?.annotations)
        .find((a) => a?.["backline.ai/janitor-script-sha256"])?.["backline.ai/janitor-script-sha256"] as
        string | undefined;
    const entries = run.mocks.resources
        .map((r) => [`${r.type}::${r.name}`, normalise(r.inputs, scriptHash)] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
}

/** The same as canonical JSON text, one resource per line (a readable diff when it fails). */
export function renderedText(resources: Record<string, unknown>): string {
    return Object.entries(resources)
        .map(([k, v]) => `${k} ${canonicalJson(v)}`)
        .join("\n");
}
