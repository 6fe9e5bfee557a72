/**
 * The default health gate of fleet rollouts: the worker Deployment has rolled out (kubectl's
 * `rollout status` rules: the controller saw the new generation, every replica is updated and
 * available, no old replica is left) and the newest janitor Job succeeded. The verdicts are pure
 * functions of the objects (unit-tested); `defaultHealthGate` reads the objects from the stack's
 * cluster with the asynchronous client of components/cluster (the kubeconfig resolved as the stack's
 * provider and the preflight resolve it).
 */
import type { GateCheck, GateTarget, HealthGate } from "./fleet-types";
import { KubeClient } from "../components/cluster";
import type { KubernetesTarget } from "./types";

interface Condition {
    readonly type?: string;
    readonly status?: string;
    readonly reason?: string;
    readonly message?: string;
}

export interface DeploymentLike {
    readonly metadata?: { readonly name?: string; readonly generation?: number };
    readonly spec?: { readonly replicas?: number };
    readonly status?: {
        readonly observedGeneration?: number;
        readonly replicas?: number;
        readonly updatedReplicas?: number;
        readonly availableReplicas?: number;
        readonly conditions?: readonly Condition[];
    };
}

export interface JobLike {
    readonly metadata?: { readonly name?: string; readonly creationTimestamp?: string };
    readonly status?: {
        readonly active?: number;
        readonly succeeded?: number;
        readonly failed?: number;
        readonly conditions?: readonly Condition[];
    };
}

/**
 * Whether a Deployment has rolled out, as `kubectl rollout status` decides
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go): a `ProgressDeadlineExceeded`
 * condition fails for good; anything short of every replica updated and available waits.
 */
export function deploymentRolledOut(d: DeploymentLike | undefined, name: string): GateCheck {
    if (!d) return { healthy: false, detail: `Deployment ${name} not found` };
    const generation = d.metadata?.generation ?? 0;
    const s = d.status ?? {};
    if ((s.observedGeneration ?? 0) < generation) {
        return {
            healthy: false,
            detail: `Deployment ${name}: generation ${generation} not observed yet (observed ${s.observedGeneration ?? 0})`,
        };
    }
    const progressing = s.conditions?.find((c) => c.type === "Progressing");
    if (progressing?.reason === "ProgressDeadlineExceeded") {
        return {
            healthy: false,
            final: true,
            detail: `Deployment ${name} exceeded its progress deadline: ${progressing.message ?? ""}`.trim(),
        };
    }
    const want = d.spec?.replicas ?? 1;
    const updated = s.updatedReplicas ?? 0;
    const available = s.availableReplicas ?? 0;
    const total = s.replicas ?? 0;
    if (updated < want) return { healthy: false, detail: `Deployment ${name}: ${updated} of ${want} replicas updated` };
    if (total > updated)
        return { healthy: false, detail: `Deployment ${name}: ${total - updated} old replica(s) pending termination` };
    if (available < updated)
        return { healthy: false, detail: `Deployment ${name}: ${available} of ${updated} updated replicas available` };
    return {
        healthy: true,
        detail: `Deployment ${name}: generation ${generation}, ${available}/${want} replicas updated and available`,
    };
}

function conditionTrue(job: JobLike, type: string): Condition | undefined {
    return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

/**
 * Whether the newest janitor Job succeeded: a Job still running waits, a failed one fails for good.
 * No Job at all waits, unless the janitor does not run on install (then nothing has run yet to judge).
 */
export function latestJanitorJob(jobs: readonly JobLike[], runOnInstall: boolean): GateCheck {
    const newest = [...jobs].sort((a, b) => {
        const t = Date.parse(b.metadata?.creationTimestamp ?? "") - Date.parse(a.metadata?.creationTimestamp ?? "");
        return t !== 0 && !Number.isNaN(t) ? t : String(b.metadata?.name).localeCompare(String(a.metadata?.name));
    })[0];
    if (!newest) {
        return runOnInstall
            ? { healthy: false, detail: "no janitor Job yet" }
            : { healthy: true, detail: "no janitor Job has run yet (janitor.runOnInstall is false): nothing to judge" };
    }
    const name = newest.metadata?.name ?? "?";
    const failed = conditionTrue(newest, "Failed");
    if (failed) {
        return {
            healthy: false,
            final: true,
            detail: `janitor Job ${name} failed: ${failed.reason ?? ""} ${failed.message ?? ""}`.trim(),
        };
    }
    if (conditionTrue(newest, "Complete")) return { healthy: true, detail: `janitor Job ${name} succeeded` };
    return { healthy: false, detail: `janitor Job ${name} is still running` };
}

/** Both verdicts as one: healthy when both are; final when either is. */
export function combineChecks(checks: readonly GateCheck[]): GateCheck {
    const detail = checks.map((c) => c.detail).join("; ");
    if (checks.every((c) => c.healthy)) return { healthy: true, detail };
    return { healthy: false, detail, final: checks.some((c) => !c.healthy && c.final) };
}

const clients = new WeakMap<KubernetesTarget, KubeClient>();

/** The default gate: reads the worker Deployment and the janitor Jobs of the stack's namespace. */
export const defaultHealthGate: HealthGate = async (t: GateTarget): Promise<GateCheck> => {
    if ("renderToDirectory" in t.kubernetes && t.kubernetes.renderToDirectory) {
        return { healthy: true, detail: "the stack renders manifests: there is no cluster to check" };
    }
    let client = clients.get(t.kubernetes);
    if (!client) {
        client = KubeClient.forTarget("renderToDirectory" in t.kubernetes ? {} : t.kubernetes, t.env);
        clients.set(t.kubernetes, client);
    }
    const ns = encodeURIComponent(t.outputs.namespace);
    const name = t.outputs.workerDeployment;
    const [deployment, jobs] = await Promise.all([
        client.get<DeploymentLike>(`/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(name)}`, t.signal),
        client.get<{ items?: JobLike[] }>(
            `/apis/batch/v1/namespaces/${ns}/jobs?labelSelector=${encodeURIComponent("app.kubernetes.io/name=backline,app.kubernetes.io/component=janitor")}`,
            t.signal,
        ),
    ]);
    const runOnInstall = t.config.janitor?.runOnInstall ?? true;
    return combineChecks([deploymentRolledOut(deployment, name), latestJanitorJob(jobs?.items ?? [], runOnInstall)]);
};
