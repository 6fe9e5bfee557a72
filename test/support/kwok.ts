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
 * What kwok does (its Stages, written to `<dir>/kwok.yaml`, see `kwokConfigYaml`):
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
 *
 * Docs: https://kwok.sigs.k8s.io/docs/user/stages-configuration/ ; the Node and Pod templates are
 * kwok v0.8.0's own `kustomize/stage/{node,pod}/fast` ones, with the Job outcome split in two.
 */
import { stringify } from "yaml";

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

// ---------------------------------------------------------------------------------------------
// Stages

const notDeleted = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
const ownedByJob = { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] };
const images = ".spec.containers.[].image";

function stage(name: string, kind: string, spec: object): object {
    return {
        apiVersion: "kwok.x-k8s.io/v1alpha1",
        kind: "Stage",
        metadata: { name },
        spec: { resourceRef: { apiGroup: "v1", kind }, ...spec },
    };
}

/** kwok's NodeConditions (Ready and the pressure conditions), stamped now. */
const nodeConditions = `{{ $now := Now }}
{{ $lastTransitionTime := or .metadata.creationTimestamp $now }}
conditions:
{{ range NodeConditions }}
- lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $lastTransitionTime | Quote }}
  message: {{ .message | Quote }}
  reason: {{ .reason | Quote }}
  status: {{ .status | Quote }}
  type: {{ .type | Quote }}
{{ end }}
`;

const nodeInitialize = stage("node-initialize", "Node", {
    selector: {
        matchExpressions: [
            {
                key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
                operator: "NotIn",
                values: ["True"],
            },
        ],
    },
    next: {
        statusTemplate: `${nodeConditions}addresses:
- address: {{ NodeIP | Quote }}
  type: InternalIP
- address: {{ .metadata.name | Quote }}
  type: Hostname
allocatable:
  cpu: 1k
  memory: 1Ti
  pods: 1M
capacity:
  cpu: 1k
  memory: 1Ti
  pods: 1M
nodeInfo:
  architecture: amd64
  containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
  kernelVersion: {{ printf "kwok-%s" Version | Quote }}
  kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}
  kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
  operatingSystem: linux
phase: Running
`,
    },
});

/** kwok's node-heartbeat-with-lease: liveness comes from the Lease; status is refreshed rarely. */
const nodeHeartbeat = stage("node-heartbeat-with-lease", "Node", {
    selector: {
        matchExpressions: [
            { key: ".status.phase", operator: "In", values: ["Running"] },
            { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: "In", values: ["True"] },
        ],
    },
    delay: { durationMilliseconds: 600000, jitterDurationMilliseconds: 610000 },
    next: {
        statusTemplate: nodeConditions,
    },
});

function podReady(delayMs: number, neverReady: readonly string[]): object {
    return stage("pod-ready", "Pod", {
        selector: {
            matchExpressions: [
                notDeleted,
                ...(neverReady.length > 0 ? [{ key: images, operator: "NotIn", values: [...neverReady] }] : []),
                { key: ".status.phase", operator: "In", values: ["Pending"] },
                {
                    key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
                    operator: "NotIn",
                    values: ["True"],
                },
            ],
        },
        ...(delayMs > 0 ? { delay: { durationMilliseconds: delayMs } } : {}),
        next: {
            statusTemplate: `{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: ContainersReady
{{ range .spec.readinessGates }}
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: {{ .conditionType | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $now | Quote }}
      reason: Completed
      startedAt: {{ $now | Quote }}
{{ end }}
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ . | Quote }}
podIPs:
- ip: {{ . | Quote }}
{{ end }}
phase: Running
startTime: {{ $now | Quote }}
`,
        },
    });
}

/** A Pod status that is not Ready, every container in `state` (YAML, indented for its place). */
function notReadyStatus(reason: string, state: string, phase: string): string {
    return `{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ${reason}
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ${reason}
  type: ContainersReady
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  started: false
  restartCount: 0
  state:
    ${state}
{{ end }}
phase: ${phase}
`;
}

function jobPodEnds(name: string, phase: "Succeeded" | "Failed", imageRule: object | null): object {
    const [exitCode, reason, message] =
        phase === "Succeeded"
            ? [0, "Completed", ""]
            : [1, "Error", "simulated failure: kwok fails Job pods that run an image listed in failImages"];
    return stage(name, "Pod", {
        selector: {
            matchExpressions: [
                notDeleted,
                { key: ".status.phase", operator: "In", values: ["Running"] },
                ownedByJob,
                ...(imageRule ? [imageRule] : []),
            ],
        },
        next: {
            statusTemplate: notReadyStatus(
                "PodCompleted",
                `terminated:
      exitCode: ${exitCode}
      reason: ${reason}
${message ? `      message: ${JSON.stringify(message)}\n` : ""}      finishedAt: {{ $now | Quote }}
      startedAt: {{ $now | Quote }}`,
                phase,
            ),
        },
    });
}

/** Pods running an image of `neverReadyImages`: Pending, the container waiting in ImagePullBackOff, once. */
function podNeverReady(neverReady: readonly string[]): object {
    return stage("pod-never-ready", "Pod", {
        selector: {
            matchExpressions: [
                notDeleted,
                { key: ".status.phase", operator: "In", values: ["Pending"] },
                { key: images, operator: "In", values: [...neverReady] },
                { key: ".status.containerStatuses", operator: "DoesNotExist" },
            ],
        },
        next: {
            statusTemplate: notReadyStatus(
                "ContainersNotReady",
                `waiting:
      reason: ImagePullBackOff
      message: "simulated: kwok never makes pods running an image listed in neverReadyImages ready"`,
                "Pending",
            ),
        },
    });
}

const podDelete = stage("pod-delete", "Pod", {
    selector: { matchExpressions: [{ key: ".metadata.deletionTimestamp", operator: "Exists" }] },
    next: { delete: true },
});

const SIMULATED_LABEL = "kwok.backline.test/simulated-volume";

/** A stand-in for a provisioner: one PersistentVolume per unbound claim, pre-bound to it. */
const claimProvision = stage("pvc-provision", "PersistentVolumeClaim", {
    selector: {
        matchExpressions: [
            notDeleted,
            { key: ".status.phase", operator: "In", values: ["Pending"] },
            { key: ".spec.volumeName", operator: "DoesNotExist" },
        ],
    },
    steps: [
        {
            apply: {
                template: `apiVersion: v1
kind: PersistentVolume
metadata:
  name: {{ printf "pvc-%s" .metadata.uid | Quote }}
  labels:
    ${SIMULATED_LABEL}: "true"
spec:
  capacity:
    storage: {{ .spec.resources.requests.storage | Quote }}
  accessModes:
{{ range .spec.accessModes }}
  - {{ . | Quote }}
{{ end }}
  storageClassName: {{ or .spec.storageClassName "" | Quote }}
  volumeMode: {{ or .spec.volumeMode "Filesystem" | Quote }}
  persistentVolumeReclaimPolicy: Retain
  claimRef:
    apiVersion: v1
    kind: PersistentVolumeClaim
    namespace: {{ .metadata.namespace | Quote }}
    name: {{ .metadata.name | Quote }}
    uid: {{ .metadata.uid | Quote }}
  hostPath:
    path: {{ printf "/kwok-simulated/%s" .metadata.uid | Quote }}
`,
            },
        },
    ],
});

const volumeRelease = stage("pv-release", "PersistentVolume", {
    selector: {
        matchExpressions: [
            notDeleted,
            { key: `.metadata.labels["${SIMULATED_LABEL}"]`, operator: "In", values: ["true"] },
            { key: ".status.phase", operator: "In", values: ["Released", "Failed"] },
        ],
    },
    next: { delete: true },
});

/** The Stages kwok runs with (see the file header), one list. */
export function kwokStages(opts: KwokOptions): object[] {
    const delay = opts.podReadyDelayMs ?? 0;
    if (!Number.isInteger(delay) || delay < 0) {
        throw new Error(`kwok.podReadyDelayMs: got ${delay}; expected a whole number of milliseconds >= 0`);
    }
    const fail = [...(opts.failImages ?? [])];
    const neverReady = [...(opts.neverReadyImages ?? [])];
    const stages = [nodeInitialize, nodeHeartbeat, podReady(delay, neverReady)];
    if (neverReady.length > 0) stages.push(podNeverReady(neverReady));
    if (fail.length === 0) {
        stages.push(jobPodEnds("pod-complete", "Succeeded", null));
    } else {
        stages.push(jobPodEnds("pod-complete", "Succeeded", { key: images, operator: "NotIn", values: fail }));
        stages.push(jobPodEnds("pod-fail", "Failed", { key: images, operator: "In", values: fail }));
    }
    stages.push(podDelete, claimProvision, volumeRelease);
    return stages;
}

/** kwok's `--config` file: every Stage, as a multi-document YAML. */
export function kwokConfigYaml(opts: KwokOptions): string {
    return kwokStages(opts)
        .map((s) => stringify(s, { lineWidth: 0 }))
        .join("---\n");
}
