/**
 * What every configuration of the program must keep, whichever keys it sets: the chart's object
 * names (its troubleshooting commands rely on them), the "restricted" profile and read-only roots,
 * the Kubernetes schema, no declared Secret the janitor writes, namespaced RBAC. Shared by the stack specs,
 * with small readers for the recorded worker Deployment, its containers and their env.
 */
import { strict as assert } from "assert";
import { ProgramRun, RecordingMocks } from "./mocks";
import { podSpecsOf, validateKubernetesObject } from "./k8s-schema";
import { containersOf, restrictedViolations } from "../../policy/src/pod-security";

export const T = {
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    service: "kubernetes:core/v1:Service",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    deployment: "kubernetes:apps/v1:Deployment",
    cronJob: "kubernetes:batch/v1:CronJob",
    job: "kubernetes:batch/v1:Job",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    admissionPolicy: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    admissionBinding: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    iamRole: "aws:iam/role:Role",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    efs: "aws:efs/fileSystem:FileSystem",
    mountTarget: "aws:efs/mountTarget:MountTarget",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

export function deployment(m: RecordingMocks): Any {
    return m.one(T.deployment, "worker").inputs;
}
export function container(pod: Any, name: string): Any {
    const c = pod.containers.find((x: Any) => x.name === name);
    assert.ok(c, `container ${name} missing; have ${pod.containers.map((x: Any) => x.name).join(", ")}`);
    return c;
}
export function envOf(c: Any): Record<string, Any> {
    return Object.fromEntries(c.env.map((e: Any) => [e.name, e.value ?? e.valueFrom]));
}

/** Checks shared by every configuration: names the chart's troubleshooting commands rely on, security, schema. */
export function assertCommonShape(run: ProgramRun, ns: string): void {
    const m = run.mocks;
    assert.equal(m.one(T.namespace).inputs.metadata.name, ns);
    assert.equal(m.one(T.namespace).inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");

    for (const r of m.kubernetesObjects()) {
        // Cluster-scoped: the namespace, the EFS class and the job admission policy (test/admission.spec.ts).
        if (![T.namespace, T.storageClass, T.admissionPolicy, T.admissionBinding].includes(r.type)) {
            assert.equal(r.inputs.metadata.namespace, ns, `${r.type} ${r.inputs.metadata.name} is not in ${ns}`);
        }
        validateKubernetesObject(r);
        for (const pod of podSpecsOf(r)) {
            assert.deepEqual(restrictedViolations(pod), [], `${r.type} ${r.inputs.metadata.name}`);
            // Beyond the profile: nothing writes to a container's image.
            for (const { container } of containersOf(pod)) {
                assert.equal(
                    container.securityContext.readOnlyRootFilesystem,
                    true,
                    `${r.inputs.metadata.name}/${container.name}`,
                );
            }
        }
    }

    const d = deployment(m);
    const pod = d.spec.template.spec;
    assert.equal(container(pod, "worker").name, "worker");
    assert.deepEqual(pod.imagePullSecrets, [{ name: "dockerconfig" }]);
    assert.equal(pod.serviceAccountName, "worker");

    const cron = m.one(T.cronJob, "janitor").inputs;
    const jpod = cron.spec.jobTemplate.spec.template.spec;
    assert.equal(cron.spec.concurrencyPolicy, "Forbid");
    assert.equal(container(jpod, "janitor").command[0], "bash");
    assert.equal(jpod.serviceAccountName, "janitor");
    assert.equal(jpod.restartPolicy, "Never");
    // dtzar/helm-kubectl runs as root by default: a numeric non-root user and a writable HOME.
    assert.ok(jpod.securityContext.runAsUser > 0);
    const jenv = envOf(container(jpod, "janitor"));
    const home = jenv.HOME;
    assert.ok(
        container(jpod, "janitor").volumeMounts.some((v: Any) => v.mountPath === home),
        "HOME is not a writable volume",
    );

    // The secrets the janitor writes are never declared by the program (it would overwrite them).
    const secretNames = m.ofType(T.secret).map((s) => s.inputs.metadata.name);
    assert.deepEqual(secretNames, ["backline-access-key"]);

    // Worker RBAC: exactly the Job-running verbs, namespaced.
    assert.deepEqual(m.one(T.role, "worker").inputs.rules, [
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    assert.equal(m.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
    assert.equal(m.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
    for (const rb of m.ofType(T.roleBinding)) {
        assert.equal(rb.inputs.roleRef.kind, "Role");
        assert.deepEqual(rb.inputs.subjects, [
            { kind: "ServiceAccount", name: rb.inputs.metadata.name, namespace: ns },
        ]);
    }
}
