/**
 * The Stages kwok runs with (its `--config` file, written to `<dir>/kwok.yaml` by the control-plane
 * booter): what a simulated Node, Pod, claim and volume go through, as the header of ./kwok.ts lists
 * it. Kept apart from the options and command lines there because these are kwok's own templates,
 * long YAML that only changes when what the simulation does changes.
 *
 * Docs: https://kwok.sigs.k8s.io/docs/user/stages-configuration/ ; the Node and Pod templates are
 * kwok v0.8.0's own `kustomize/stage/{node,pod}/fast` ones, with the Job outcome split in two.
 */
import { stringify } from "yaml";
import type { KwokOptions } from "./kwok";

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

/** The Stages kwok runs with (see the header of ./kwok.ts), one list. */
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
