/**
 * Resources as the engine shows them to policies, built to pass every policy of the pack; tests
 * derive failing ones by changing one field.
 */
import type { TestResource } from "./harness";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

export const T = {
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    service: "kubernetes:core/v1:Service",
    deployment: "kubernetes:apps/v1:Deployment",
    cronJob: "kubernetes:batch/v1:CronJob",
    job: "kubernetes:batch/v1:Job",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    admissionPolicy: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    admissionBinding: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    fileSystem: "aws:efs/fileSystem:FileSystem",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    iamRole: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const;

export const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
export const accessKey = "bk_policy_test_0123456789SECRET";
export const workerLabels = { "app.kubernetes.io/name": "backline", "app.kubernetes.io/component": "worker" };

/** A deep copy, so a test can change one field of a fixture. */
export function clone<V>(value: V): V {
    return JSON.parse(JSON.stringify(value)) as V;
}

export function container(name: string): any {
    return {
        name,
        image: `registry.example.com/${name}@${digest}`,
        env: [
            {
                name: "BACKLINE_ACCESS_KEY",
                valueFrom: { secretKeyRef: { name: "backline-access-key", key: "accessKey" } },
            },
        ],
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
    };
}

export function podSpec(...names: string[]): any {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: (names.length > 0 ? names : ["worker"]).map(container),
        volumes: [
            { name: "storage", persistentVolumeClaim: { claimName: "worker-storage" } },
            { name: "tmp", emptyDir: {} },
        ],
    };
}

export function deployment(
    opts: { replicas?: number; imageUpdates?: "janitor" | "pinned"; pod?: any } = {},
): TestResource {
    return {
        type: T.deployment,
        name: "backline-worker-deployment",
        props: {
            metadata: {
                name: "worker",
                namespace: "backline",
                annotations: { "backline.ai/image-updates": opts.imageUpdates ?? "janitor" },
            },
            spec: {
                replicas: opts.replicas ?? 1,
                selector: { matchLabels: workerLabels },
                template: { metadata: { labels: workerLabels }, spec: opts.pod ?? podSpec("worker") },
            },
        },
    };
}

export function cronJob(pod: any = { ...podSpec("janitor"), restartPolicy: "Never" }): TestResource {
    return {
        type: T.cronJob,
        props: {
            metadata: { name: "janitor", namespace: "backline" },
            spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { metadata: {}, spec: pod } } } },
        },
    };
}

/** `null`: without the label. */
export function namespace(enforce: string | null = "restricted"): TestResource {
    return {
        type: T.namespace,
        props: {
            metadata: {
                name: "backline",
                labels: enforce === null ? {} : { "pod-security.kubernetes.io/enforce": enforce },
            },
        },
    };
}

export function role(name: string, rules: any[]): TestResource {
    return { type: T.role, name: `role-${name}`, props: { metadata: { name, namespace: "backline" }, rules } };
}

export const janitorSecretsRule = {
    apiGroups: [""],
    resources: ["secrets"],
    resourceNames: ["jwt-token", "dockerconfig"],
    verbs: ["get", "create", "patch"],
};
export const janitorDeploymentRule = {
    apiGroups: ["apps"],
    resources: ["deployments"],
    resourceNames: ["worker"],
    verbs: ["get", "patch"],
};

export function accessKeySecret(form: "stringData" | "data" = "stringData"): TestResource {
    const value = form === "stringData" ? accessKey : Buffer.from(accessKey).toString("base64");
    return {
        type: T.secret,
        props: { metadata: { name: "backline-access-key", namespace: "backline" }, [form]: { accessKey: value } },
    };
}

export function configMap(data: Record<string, string>, annotations: Record<string, string> = {}): TestResource {
    return { type: T.configMap, props: { metadata: { name: "settings", namespace: "backline", annotations }, data } };
}

export const issuer = "app.backline.ai";
export const logGroupArn = "arn:aws:logs:eu-central-1:123456789012:log-group:/backline/worker";

/** `null`: a statement without a condition. */
export function trustPolicy(condition: Record<string, unknown> | null): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
                Action: "sts:AssumeRoleWithWebIdentity",
                ...(condition ? { Condition: condition } : {}),
            },
        ],
    });
}

export const fullTrustCondition = {
    StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com", [`${issuer}:sub`]: "tenant:acme" },
};

export function collectorRole(condition: Record<string, unknown> | null = fullTrustCondition): TestResource {
    return {
        type: T.iamRole,
        name: "collector",
        props: { name: "collector-1234567", assumeRolePolicy: trustPolicy(condition) },
    };
}

export function collectorPolicy(statements: any[], role = "collector-1234567"): TestResource {
    return {
        type: T.rolePolicy,
        name: "collector-policy",
        props: { role, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
    };
}

export const logsStatement = {
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
};
export const xrayStatement = { Effect: "Allow", Action: ["xray:PutTraceSegments"], Resource: "*" };

export function logGroup(): TestResource {
    return { type: T.logGroup, name: "logs", props: { name: "/backline/worker", arn: logGroupArn } };
}

export const backlineNamespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": "backline" } };

/** The job admission policy as the program makes it, reduced to what the policies read. */
export function admissionPolicy(namespaceSelector: any = backlineNamespaceSelector): TestResource {
    return {
        type: T.admissionPolicy,
        name: "job-admission-policy",
        props: {
            metadata: { name: "backline-worker-jobs-backline" },
            spec: {
                failurePolicy: "Fail",
                matchConstraints: {
                    namespaceSelector,
                    resourceRules: [
                        { apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["jobs"] },
                    ],
                },
                validations: [{ expression: "true" }],
            },
        },
    };
}

export function admissionBinding(
    opts: { namespaceSelector?: any; validationActions?: string[]; policyName?: string } = {},
): TestResource {
    return {
        type: T.admissionBinding,
        name: "job-admission-binding",
        props: {
            metadata: { name: "backline-worker-jobs-backline" },
            spec: {
                policyName: opts.policyName ?? "backline-worker-jobs-backline",
                validationActions: opts.validationActions ?? ["Deny"],
                matchResources: { namespaceSelector: opts.namespaceSelector ?? backlineNamespaceSelector },
            },
        },
    };
}

export const workerJobsRule = {
    apiGroups: ["batch"],
    resources: ["jobs"],
    verbs: ["create", "get", "list", "watch", "delete"],
};
