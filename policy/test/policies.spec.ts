/**
 * Every policy of the pack on a resource that passes and on ones that fail, through the harness that
 * calls the policies as the analyzer server does. One table row per case.
 */
import { strict as assert } from "assert";
import type { Policy } from "@pulumi/policy";
import { admissionPolicyNamespaced, workerJobsAdmission } from "../src/admission";
import { containerResources, imagesPinnedByDigest, pdbForReplicatedWorkloads } from "../src/advisory";
import { collectorPolicyScoped, collectorTrustConditions, efsEncrypted, nfsNotOpen } from "../src/aws";
import {
    accessKeyFromSecretRef,
    accessKeyOnlyInSecret,
    janitorRoleScope,
    namespaceEnforcesRestricted,
    noClusterRbac,
    podSecurityRestricted,
    secretWritesNamed,
    storageClassRetains,
} from "../src/kubernetes";
import { backlinePolicies } from "../src/policies";
import { TestResource, runPolicies, unknownValue } from "./harness";
import * as f from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

interface Case {
    readonly title: string;
    readonly resources: readonly TestResource[];
    /** null: no violation; otherwise every violation's message matches one of these, in order. */
    readonly expect: null | readonly RegExp[];
}

function withPod(change: (pod: any) => void): TestResource {
    const pod = f.podSpec("worker");
    change(pod);
    return f.deployment({ pod });
}

function sg(ingress: any[]): TestResource {
    return { type: f.T.securityGroup, name: "nfs", props: { vpcId: "vpc-1", ingress, egress: [] } };
}

const nfs = (cidrBlocks: string[], extra: any = {}) => ({
    protocol: "tcp",
    fromPort: 2049,
    toPort: 2049,
    cidrBlocks,
    ...extra,
});

const table: [Policy, Case[]][] = [
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
    [
        efsEncrypted,
        [
            {
                title: "encrypted",
                resources: [{ type: f.T.fileSystem, name: "efs", props: { encrypted: true } }],
                expect: null,
            },
            {
                title: "not encrypted",
                resources: [{ type: f.T.fileSystem, name: "efs", props: { encrypted: false } }],
                expect: [/^EFS filesystem efs is not encrypted at rest: set encrypted: true/],
            },
        ],
    ],
    [
        nfsNotOpen,
        [
            { title: "NFS from the VPC", resources: [sg([nfs(["10.0.0.0/16"])])], expect: null },
            {
                title: "HTTPS from anywhere (not NFS)",
                resources: [sg([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }])],
                expect: null,
            },
            {
                title: "NFS from anywhere",
                resources: [sg([nfs(["0.0.0.0/0"])])],
                expect: [/^Security group nfs admits NFS \(port 2049\) from 0.0.0.0\/0: .*`efs.allowedCidrBlocks`/],
            },
            {
                title: "all traffic from ::/0",
                resources: [sg([{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }])],
                expect: [/from ::\/0/],
            },
            {
                title: "a separate rule opening every port",
                resources: [
                    {
                        type: f.T.securityGroupRule,
                        name: "r",
                        props: {
                            type: "ingress",
                            protocol: "tcp",
                            fromPort: 0,
                            toPort: 65535,
                            cidrBlocks: ["0.0.0.0/0"],
                        },
                    },
                ],
                expect: [/^Security group rule r admits NFS/],
            },
            {
                title: "an egress rule",
                resources: [
                    {
                        type: f.T.securityGroupRule,
                        name: "r",
                        props: { type: "egress", protocol: "-1", cidrBlocks: ["0.0.0.0/0"] },
                    },
                ],
                expect: null,
            },
            {
                title: "a VPC ingress rule",
                resources: [
                    {
                        type: f.T.ingressRule,
                        name: "v",
                        props: { ipProtocol: "tcp", fromPort: 2049, toPort: 2049, cidrIpv4: "0.0.0.0/0" },
                    },
                ],
                expect: [/rule v admits NFS/],
            },
        ],
    ],
    [
        collectorTrustConditions,
        [
            { title: "audience and subject", resources: [f.collectorRole()], expect: null },
            {
                title: "a service role (no web identity)",
                resources: [
                    {
                        type: f.T.iamRole,
                        props: {
                            assumeRolePolicy: JSON.stringify({
                                Statement: [
                                    {
                                        Effect: "Allow",
                                        Principal: { Service: "ec2.amazonaws.com" },
                                        Action: "sts:AssumeRole",
                                    },
                                ],
                            }),
                        },
                    },
                ],
                expect: null,
            },
            {
                title: "no subject",
                resources: [f.collectorRole({ StringEquals: { [`${f.issuer}:aud`]: "sts.amazonaws.com" } })],
                expect: [
                    /^IAM role collector: web-identity statement 0 does not check the token's sub, .*`logging.oidc.subject`/,
                ],
            },
            {
                title: "no condition",
                resources: [f.collectorRole(null)],
                expect: [/does not check the token's aud and sub/],
            },
            {
                title: "not JSON",
                resources: [{ type: f.T.iamRole, name: "broken", props: { assumeRolePolicy: "{" } }],
                expect: [/^IAM role broken: assumeRolePolicy is not a policy document/],
            },
        ],
    ],
    [
        collectorPolicyScoped,
        [
            {
                title: "its log group and X-Ray",
                resources: [f.collectorRole(), f.logGroup(), f.collectorPolicy([f.logsStatement, f.xrayStatement])],
                expect: null,
            },
            {
                title: "not known yet (preview)",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    { ...f.collectorPolicy([]), props: { role: "collector-1234567", policy: unknownValue } },
                ],
                expect: null,
            },
            {
                title: "a policy of another role",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    f.collectorPolicy([{ ...f.logsStatement, Resource: "*" }], "other"),
                ],
                expect: null,
            },
            {
                title: "every log group",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    f.collectorPolicy([{ ...f.logsStatement, Resource: "*" }]),
                ],
                expect: [
                    /^IAM role policy collector-policy of the collector role: statement 0 lets it write logs to \*; scope logs actions to arn:aws:logs:eu-central-1:123456789012:log-group:\/backline\/worker and/,
                ],
            },
            {
                title: "found through the role's property dependency",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    {
                        ...f.collectorPolicy(
                            [
                                {
                                    ...f.logsStatement,
                                    Resource: "arn:aws:logs:eu-central-1:123456789012:log-group:other",
                                },
                            ],
                            "unknown-name",
                        ),
                        propertyDependencies: { role: ["urn:pulumi:test::backline::aws:iam/role:Role::collector"] },
                    },
                ],
                expect: [/lets it write logs to arn:aws:logs:eu-central-1:123456789012:log-group:other;/],
            },
            {
                title: "S3 too",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    f.collectorPolicy([f.logsStatement, { Effect: "Allow", Action: "s3:GetObject", Resource: "*" }]),
                ],
                expect: [/statement 1 grants s3:GetObject; the collector needs only logs and xray actions/],
            },
        ],
    ],
    [
        imagesPinnedByDigest,
        [
            { title: "by digest", resources: [f.deployment()], expect: null },
            {
                title: "by tag",
                resources: [withPod((p) => (p.containers[0].image = "docker.io/backline/worker:latest"))],
                expect: [
                    /^Deployment "worker": container worker runs docker.io\/backline\/worker:latest, a tag that can move; pin it by digest/,
                ],
            },
        ],
    ],
    [
        containerResources,
        [
            { title: "requests and limits", resources: [f.deployment(), f.cronJob()], expect: null },
            {
                title: "no limits",
                resources: [withPod((p) => delete p.containers[0].resources.limits)],
                expect: [/container worker sets no resources.limits.cpu, resources.limits.memory; set them/],
            },
        ],
    ],
    [
        pdbForReplicatedWorkloads,
        [
            { title: "one replica", resources: [f.deployment({ replicas: 1 })], expect: null },
            {
                title: "two replicas and a PDB selecting them",
                resources: [
                    f.deployment({ replicas: 2 }),
                    {
                        type: f.T.pdb,
                        props: {
                            metadata: { name: "worker", namespace: "backline" },
                            spec: { minAvailable: 1, selector: { matchLabels: f.workerLabels } },
                        },
                    },
                ],
                expect: null,
            },
            {
                title: "two replicas, no PDB",
                resources: [f.deployment({ replicas: 2 })],
                expect: [
                    /^Deployment "worker" runs 2 replicas and no PodDisruptionBudget selects its pods, .*add a PodDisruptionBudget \(minAvailable: 1\)/,
                ],
            },
            {
                title: "a PDB in another namespace",
                resources: [
                    f.deployment({ replicas: 3 }),
                    {
                        type: f.T.pdb,
                        props: {
                            metadata: { name: "worker", namespace: "other" },
                            spec: { selector: { matchLabels: f.workerLabels } },
                        },
                    },
                ],
                expect: [/runs 3 replicas/],
            },
        ],
    ],
    [
        workerJobsAdmission,
        [
            {
                title: "the worker may create Jobs and the stack's policy is bound with Deny",
                resources: [f.role("worker", [f.workerJobsRule]), f.admissionPolicy(), f.admissionBinding()],
                expect: null,
            },
            {
                title: "a worker Role that may not create Jobs needs no policy",
                resources: [f.role("worker", [{ ...f.workerJobsRule, verbs: ["get"] }])],
                expect: null,
            },
            {
                title: "no admission policy (security.jobAdmissionPolicy off)",
                resources: [f.role("worker", [f.workerJobsRule])],
                expect: [
                    /^Role "worker" may create Jobs and no admission policy of the stack checks them: the worker can run a Job as any ServiceAccount of its namespace \(janitor included\).*Turn on `security\.jobAdmissionPolicy`/,
                ],
            },
            {
                title: "a policy bound only to warn",
                resources: [
                    f.role("worker", [f.workerJobsRule]),
                    f.admissionPolicy(),
                    f.admissionBinding({ validationActions: ["Warn"] }),
                ],
                expect: [/no admission policy of the stack checks them/],
            },
        ],
    ],
];

describe("the Backline policy pack", () => {
    it("serves every policy tested here, mandatory ones first", () => {
        assert.deepEqual(
            backlinePolicies.map((p) => p.name),
            table.map(([p]) => p.name),
        );
        const levels = backlinePolicies.map((p) => p.enforcementLevel);
        assert.deepEqual(levels.slice(0, 13), Array(13).fill("mandatory"));
        assert.deepEqual(levels.slice(13), Array(4).fill("advisory"));
    });

    for (const [policy, cases] of table) {
        describe(`${policy.name} (${policy.enforcementLevel})`, () => {
            assert.ok(
                cases.some((c) => c.expect === null) && cases.some((c) => c.expect !== null),
                `${policy.name} needs a passing and a failing case`,
            );
            for (const c of cases) {
                it(`${c.expect === null ? "passes" : "fails"}: ${c.title}`, async () => {
                    const run = await runPolicies([policy], c.resources);
                    assert.deepEqual(run.skipped, []);
                    const messages = run.violations.map((v) => v.message);
                    if (c.expect === null) {
                        assert.deepEqual(messages, []);
                        return;
                    }
                    assert.equal(messages.length, c.expect.length, messages.join("\n"));
                    c.expect.forEach((re, i) => assert.match(messages[i], re));
                    for (const v of run.violations) {
                        assert.equal(v.level, policy.enforcementLevel);
                        assert.ok(!v.message.includes(f.accessKey), "a message shows the access key");
                        assert.ok(
                            !v.message.includes(Buffer.from(f.accessKey).toString("base64")),
                            "a message shows the access key",
                        );
                    }
                });
            }
        });
    }

    it("reports a policy that meets an unknown value as skipped, not passed", async () => {
        const d = f.deployment();
        d.props.spec.template.spec.containers = unknownValue;
        const run = await runPolicies([podSecurityRestricted], [d]);
        assert.deepEqual(run.violations, []);
        assert.equal(run.skipped.length, 1);
        assert.match(
            run.skipped[0],
            /^pod-security-restricted: .*spec.template.spec.containers can't be known during preview/,
        );
    });

    it("names the resource a stack policy's violation belongs to", async () => {
        const run = await runPolicies(
            [accessKeyOnlyInSecret],
            [f.accessKeySecret(), f.configMap({ key: f.accessKey })],
        );
        assert.deepEqual(
            run.violations.map((v) => v.urn),
            ["urn:pulumi:test::backline::kubernetes:core/v1:ConfigMap::configmap"],
        );
    });
});
