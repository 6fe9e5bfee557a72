/**
 * The mandatory Kubernetes policies, each on resources that pass and on ones that fail: pod
 * security, the namespace's profile, RBAC, the admission policy's reach, Secret writes, the
 * janitor's Role, the access key, the StorageClass. In the pack's order (policies.spec.ts checks it).
 */
import { admissionPolicyNamespaced } from "../../src/admission";
import {
    accessKeyFromSecretRef,
    accessKeyOnlyInSecret,
    janitorRoleScope,
    namespaceEnforcesRestricted,
    noClusterRbac,
    podSecurityRestricted,
    secretWritesNamed,
    storageClassRetains,
} from "../../src/kubernetes";
import * as f from "../fixtures";
import { PolicyCases, withPod } from "./case";
import { workerSelectorCases } from "./stack-workloads";

export const kubernetesCases: PolicyCases[] = [
    [
        podSecurityRestricted,
        [
            {
                title: "a compliant Deployment, CronJob and Service",
                resources: [f.deployment(), f.cronJob(), { type: f.T.service, props: { spec: {} } }],
                expect: null,
            },
            {
                title: "a privileged worker",
                resources: [withPod((p) => (p.containers[0].securityContext.privileged = true))],
                expect: [
                    /^Deployment "worker": container worker sets securityContext.privileged: remove it or set it to false \(Pod Security "restricted"/,
                ],
            },
            {
                title: "host networking",
                resources: [withPod((p) => (p.hostNetwork = true))],
                expect: [/the pod sets hostNetwork: remove it/],
            },
            {
                title: "a hostPath volume",
                resources: [
                    withPod((p) => p.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } })),
                ],
                expect: [/volume docker is of type hostPath: use one of configMap, csi/],
            },
            {
                title: "an added capability",
                resources: [withPod((p) => (p.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"]))],
                expect: [/container worker adds capabilities SYS_ADMIN: only NET_BIND_SERVICE may be added/],
            },
            {
                title: "a CronJob whose container may escalate and runs as root",
                resources: [
                    f.cronJob({
                        ...f.podSpec("janitor"),
                        securityContext: { runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [
                            { ...f.container("janitor"), securityContext: { capabilities: { drop: ["ALL"] } } },
                        ],
                    }),
                ],
                expect: [
                    /^CronJob "janitor": the pod sets runAsUser 0/,
                    /container janitor does not set securityContext.allowPrivilegeEscalation to false/,
                    /container janitor does not set runAsNonRoot to true/,
                ],
            },
            {
                title: "an init container without a seccomp profile",
                resources: [
                    withPod((p) => {
                        delete p.securityContext.seccompProfile;
                        p.initContainers = [{ ...f.container("init") }];
                        delete p.initContainers[0].securityContext.seccompProfile;
                        p.containers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
                    }),
                ],
                expect: [
                    /initContainer init has no seccomp profile: set securityContext.seccompProfile.type to RuntimeDefault/,
                ],
            },
        ],
    ],
    [
        namespaceEnforcesRestricted,
        [
            { title: "enforce: restricted", resources: [f.namespace()], expect: null },
            {
                title: "no label",
                resources: [f.namespace(null)],
                expect: [
                    /^Namespace "backline": label pod-security.kubernetes.io\/enforce is not set; set it to "restricted"/,
                ],
            },
            { title: "enforce: baseline", resources: [f.namespace("baseline")], expect: [/enforce is "baseline"/] },
        ],
    ],
    [
        noClusterRbac,
        [
            { title: "a Role", resources: [f.role("worker", [])], expect: null },
            {
                title: "a ClusterRole",
                resources: [{ type: f.T.clusterRole, props: { metadata: { name: "admin-ish" }, rules: [] } }],
                expect: [
                    /^ClusterRole "admin-ish": cluster-wide RBAC is not allowed in a Backline stack; grant what is needed with a Role and a RoleBinding/,
                ],
            },
            {
                title: "a ClusterRoleBinding",
                resources: [{ type: f.T.clusterRoleBinding, props: { metadata: { name: "b" } } }],
                expect: [/^ClusterRoleBinding "b"/],
            },
        ],
    ],
    [
        admissionPolicyNamespaced,
        [
            {
                title: "the job admission policy and binding, limited to the Backline namespace",
                resources: [f.admissionPolicy(), f.admissionBinding()],
                expect: null,
            },
            {
                title: "a selector naming namespaces with matchExpressions",
                resources: [
                    f.admissionPolicy({
                        matchExpressions: [
                            { key: "kubernetes.io/metadata.name", operator: "In", values: ["backline", "b2"] },
                        ],
                    }),
                ],
                expect: null,
            },
            {
                title: "a policy and a binding for every namespace",
                resources: [f.admissionPolicy(null), f.admissionBinding({ namespaceSelector: {} })],
                expect: [
                    /^ValidatingAdmissionPolicy "backline-worker-jobs-backline": spec\.matchConstraints\.namespaceSelector does not name the namespaces it judges, so it reaches every namespace of the cluster; set it to \{ matchLabels: \{ "kubernetes\.io\/metadata\.name": <the Backline namespace> \} \}\.$/,
                    /^ValidatingAdmissionPolicyBinding "backline-worker-jobs-backline": spec\.matchResources\.namespaceSelector/,
                ],
            },
            {
                title: "a selector by another label (namespaces can be labelled by anyone who may edit them)",
                resources: [f.admissionPolicy({ matchLabels: { team: "backline" } })],
                expect: [/reaches every namespace/],
            },
        ],
    ],
    workerSelectorCases,
    [
        secretWritesNamed,
        [
            {
                title: "the janitor's Role (names its Secrets)",
                resources: [f.role("janitor", [f.janitorSecretsRule])],
                expect: null,
            },
            {
                title: "reading Secrets",
                resources: [f.role("reader", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }])],
                expect: null,
            },
            {
                title: "patching any Secret",
                resources: [f.role("writer", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "patch"] }])],
                expect: [
                    /^Role "writer": rules\[0\] lets it patch every Secret in the namespace; list the Secrets it may write in resourceNames/,
                ],
            },
            {
                title: "every verb on every resource",
                resources: [f.role("wide", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }])],
                expect: [/rules\[0\] lets it \* every Secret/],
            },
            {
                title: "deletecollection, which names cannot limit",
                resources: [f.role("wide", [{ ...f.janitorSecretsRule, verbs: ["deletecollection"] }])],
                expect: [/grants deletecollection on Secrets, which resourceNames cannot limit/],
            },
        ],
    ],
    [
        janitorRoleScope,
        [
            {
                title: "auto-updated image: Secrets and Deployment worker",
                resources: [f.role("janitor", [f.janitorSecretsRule, f.janitorDeploymentRule]), f.deployment()],
                expect: null,
            },
            {
                title: "pinned image: Secrets only",
                resources: [f.role("janitor", [f.janitorSecretsRule]), f.deployment({ imageUpdates: "pinned" })],
                expect: null,
            },
            {
                title: "another Role may do more",
                resources: [f.role("worker", [{ apiGroups: ["batch"], resources: ["jobs"], verbs: ["create"] }])],
                expect: null,
            },
            {
                title: "pinned image but a deployments rule",
                resources: [
                    f.role("janitor", [f.janitorSecretsRule, f.janitorDeploymentRule]),
                    f.deployment({ imageUpdates: "pinned" }),
                ],
                expect: [
                    /^Role "janitor": rules\[1\] lets the janitor change Deployments although the worker image is pinned \(annotation backline.ai\/image-updates: pinned\); remove the rule/,
                ],
            },
            {
                title: "a third Secret",
                resources: [
                    f.role("janitor", [
                        {
                            ...f.janitorSecretsRule,
                            resourceNames: ["jwt-token", "dockerconfig", "backline-access-key"],
                        },
                    ]),
                    f.deployment(),
                ],
                expect: [
                    /rules\[0\] reaches Secrets backline-access-key; the janitor writes only jwt-token and dockerconfig/,
                ],
            },
            {
                title: "every Deployment",
                resources: [
                    f.role("janitor", [f.janitorSecretsRule, { ...f.janitorDeploymentRule, resourceNames: [] }]),
                    f.deployment(),
                ],
                expect: [/rules\[1\] reaches every Deployment; .*set resourceNames to \[worker\]/],
            },
            {
                title: "ConfigMaps",
                resources: [
                    f.role("janitor", [
                        f.janitorSecretsRule,
                        { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] },
                    ]),
                    f.deployment(),
                ],
                expect: [/rules\[1\] grants configmaps in API groups \[""\]; .*remove the rule/],
            },
        ],
    ],
    [
        accessKeyFromSecretRef,
        [
            { title: "secretKeyRef", resources: [f.deployment(), f.cronJob()], expect: null },
            {
                title: "a literal value",
                resources: [
                    withPod((p) => (p.containers[0].env = [{ name: "BACKLINE_ACCESS_KEY", value: f.accessKey }])),
                ],
                expect: [
                    /^Deployment "worker": container worker sets BACKLINE_ACCESS_KEY as a literal value, .*reference Secret backline-access-key \(key accessKey\) with valueFrom.secretKeyRef/,
                ],
            },
            {
                title: "a ConfigMap reference",
                resources: [
                    withPod(
                        (p) =>
                            (p.containers[0].env = [
                                {
                                    name: "BACKLINE_ACCESS_KEY",
                                    valueFrom: { configMapKeyRef: { name: "settings", key: "key" } },
                                },
                            ]),
                    ),
                ],
                expect: [/reads BACKLINE_ACCESS_KEY from a ConfigMap/],
            },
        ],
    ],
    [
        accessKeyOnlyInSecret,
        [
            {
                title: "only in the Secret",
                resources: [f.accessKeySecret(), f.deployment(), f.configMap({ mode: "fast" })],
                expect: null,
            },
            {
                title: "in a ConfigMap",
                resources: [f.accessKeySecret(), f.configMap({ key: f.accessKey })],
                expect: [
                    /^ConfigMap "settings" holds the Backline access key \(at data.key\); keep it only in Secret backline-access-key/,
                ],
            },
            {
                title: "base64 in an annotation, the Secret in data",
                resources: [
                    f.accessKeySecret("data"),
                    f.configMap({}, { note: Buffer.from(f.accessKey).toString("base64") }),
                ],
                expect: [/holds the Backline access key \(at metadata.annotations.note\)/],
            },
            {
                title: "as a literal env value",
                resources: [
                    f.accessKeySecret(),
                    withPod((p) => (p.containers[0].env = [{ name: "KEY", value: f.accessKey }])),
                ],
                expect: [
                    /^Deployment "worker" holds the Backline access key \(at spec.template.spec.containers.0.env.0.value\)/,
                ],
            },
        ],
    ],
    [
        storageClassRetains,
        [
            {
                title: "Retain",
                resources: [{ type: f.T.storageClass, props: { metadata: { name: "efs" }, reclaimPolicy: "Retain" } }],
                expect: null,
            },
            {
                title: "unset",
                resources: [{ type: f.T.storageClass, props: { metadata: { name: "efs" } } }],
                expect: [/^StorageClass "efs": reclaimPolicy is unset \(Delete\), .*set reclaimPolicy: Retain/],
            },
        ],
    ],
];
