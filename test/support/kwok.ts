/**
 * Simulated nodes for the test control plane: kwok ("Kubernetes WithOut Kubelet", sigs.k8s.io/kwok
 * v0.8.0) and kube-scheduler, both built by scripts/build-kube.sh. Pods are scheduled the real way
 * onto fake Nodes, then move through the phases a kubelet would report. No container runs: images
 * are never pulled, commands, probes and volumes are never looked at.
 *
 * The API is one option of `startApiServer`/`useApiServer` (./apiserver.ts):
 *
 *   const kube = useApiServer({ kwok: { nodes: 2, podReadyDelayMs: 2000, failImages: ["r/janitor:bad"] } });
 *
 * `kwok: {}` is one node, no delay, nothing fails. `startApiServer` then also starts kube-scheduler
 * and kwok, creates the Nodes and resolves once every Node is Ready; `ApiServer.nodes` names them.
 *
 * What kwok does (its Stages, written to `<dir>/kwok.yaml`, see `kwokConfigYaml` in ./kwok-stages.ts):
 * - Node `kwok-node-<i>`: Ready, capacity 1k CPU / 1Ti memory / 1M pods, kept alive by a Lease
 *   (kube-controller-manager's node lifecycle controller would otherwise taint it and evict pods).
 * - Pod bound to one of those Nodes: Running and Ready (every container `running`, a pod IP from
 *   10.244.0.0/16) `podReadyDelayMs` after it is scheduled.
 * - Running Pod owned by a Job: Succeeded (exit code 0), or Failed (exit code 1, reason `Error`)
 *   when one of its containers' `image` is listed in `failImages`. The Job controller then
 *   retries up to `backoffLimit` and marks the Job Complete or Failed as on a real cluster.
 * - Pod with a container running an image listed in `neverReadyImages`: never Running nor Ready;
 *   Pending, that container waiting in `ImagePullBackOff` (a rollout to it never finishes).
 * - Pod being deleted: removed at once (there is no kubelet to wait for).
 * - PersistentVolumeClaim Pending without a volume: a PersistentVolume `pvc-<claim uid>` of the
 *   claim's class, size and access modes, pre-bound to it, which kube-controller-manager's binder
 *   binds; it is deleted once released. So claims of any class (even one no StorageClass object
 *   names) bind, and Pods using them schedule.
 */
// The Stages are long templates of kwok's own; they live in ./kwok-stages.ts, re-exported here.
export { kwokConfigYaml, kwokStages } from "./kwok-stages";

export interface KwokOptions {
    /** How many fake Nodes to create (`kwok-node-0` …). @default 1 */
    readonly nodes?: number;
    /** Delay between a Pod being scheduled and it being Running/Ready, ms. @default 0 */
    readonly podReadyDelayMs?: number;
    /** Job Pods with a container running one of these exact images end Failed instead of Succeeded. @default [] */
    readonly failImages?: readonly string[];
    /**
     * Pods with a container running one of these exact images never become Ready: they stay
     * Pending with that container waiting in `ImagePullBackOff`, as on a node that cannot pull it.
     * @default []
     */
    readonly neverReadyImages?: readonly string[];
    /** Extra kwok flags; later flags win. @default [] */
    readonly args?: readonly string[];
}

/** The Nodes kwok manages, in order. */
export function kwokNodeNames(opts: KwokOptions): string[] {
    const n = opts.nodes ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 100) {
        throw new Error(`kwok.nodes: got ${n}; expected a whole number from 1 to 100`);
    }
    return Array.from({ length: n }, (_, i) => `kwok-node-${i}`);
}

/** The Node objects to create (kwok fills in their status: capacity, conditions, addresses). */
export function kwokNodeManifests(opts: KwokOptions): object[] {
    return kwokNodeNames(opts).map((name) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            labels: {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                type: "kwok",
            },
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        },
    }));
}

/** Pod IPs kwok hands out: apart from the API server's Service range (10.0.0.0/24). */
export const KWOK_POD_CIDR = "10.244.0.0/16";

/** kwok's command line (without the binary). */
export function kwokFlags(kubeconfig: string, configFile: string, opts: KwokOptions): string[] {
    return [
        `--kubeconfig=${kubeconfig}`,
        `--config=${configFile}`,
        "--manage-all-nodes=true", // every Node is fake: there is no real one
        `--cidr=${KWOK_POD_CIDR}`,
        "--node-ip=10.96.0.1",
        "--node-lease-duration-seconds=40", // kwokctl's default: leases renewed every 10 s
        ...(opts.args ?? []),
    ];
}

/** kube-scheduler's command line (without the binary); `port` serves /readyz on 127.0.0.1. */
export function schedulerFlags(kubeconfig: string, port: number): string[] {
    return [
        `--kubeconfig=${kubeconfig}`,
        // no delegated authn/authz: only /readyz is read, and it is always allowed
        "--leader-elect=false", // one instance: no Lease to acquire before scheduling
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
        "--profiling=false",
    ];
}
