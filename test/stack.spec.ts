/**
 * The program (`index.ts`) under Pulumi mocks, for each of the chart's example configurations and
 * the no-AWS storage variant: which resources it makes and their fields.
 */
import { strict as assert } from "assert";
import { ProgramRun, RecordingMocks, runProgram, testAccessKey } from "./support/mocks";
import { podSpecsOf, validateKubernetesObject } from "./support/k8s-schema";
import * as examples from "./fixtures/examples";
import { containersOf, restrictedViolations } from "../policy/src/podSecurity";

const T = {
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
type Any = any;

function deployment(m: RecordingMocks): Any {
    return m.one(T.deployment, "worker").inputs;
}
function container(pod: Any, name: string): Any {
    const c = pod.containers.find((x: Any) => x.name === name);
    assert.ok(c, `container ${name} missing; have ${pod.containers.map((x: Any) => x.name).join(", ")}`);
    return c;
}
function envOf(c: Any): Record<string, Any> {
    return Object.fromEntries(c.env.map((e: Any) => [e.name, e.value ?? e.valueFrom]));
}

/** Checks shared by every configuration: names the chart's troubleshooting commands rely on, security, schema. */
function assertCommonShape(run: ProgramRun, ns: string): void {
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

describe("BacklineStack program", function () {
    this.timeout(30_000);

    describe("Minimal example", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.minimal);
        });

        it("exports only the outputs of the features in use, none undefined", () => {
            assert.deepEqual(Object.keys(run.outputs).sort(), [
                "claimName",
                "collectorRoleArn",
                "janitorCronJob",
                "jobAdmissionPolicy",
                "logGroupName",
                "namespace",
                "workerDeployment",
                "workerImageUpdates",
                "workerService",
            ]);
            for (const [k, v] of Object.entries(run.outputs)) assert.ok(v !== undefined, k);
        });

        it("deploys into `backline` with the chart's names", () => {
            assertCommonShape(run, "backline");
            assert.deepEqual(
                {
                    namespace: run.outputs.namespace,
                    workerDeployment: run.outputs.workerDeployment,
                    janitorCronJob: run.outputs.janitorCronJob,
                    claimName: run.outputs.claimName,
                },
                {
                    namespace: "backline",
                    workerDeployment: "worker",
                    janitorCronJob: "janitor",
                    claimName: "worker-storage",
                },
            );
        });

        it("runs the worker with the chart's defaults", () => {
            const d = deployment(run.mocks);
            assert.equal(d.spec.replicas, 1);
            const w = container(d.spec.template.spec, "worker");
            assert.equal(w.image, "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:2faf8c5-1757332651");
            assert.equal(w.imagePullPolicy, "IfNotPresent");
            assert.deepEqual(w.resources, {
                requests: { cpu: "500m", memory: "1Gi" },
                limits: { cpu: "2000m", memory: "2Gi" },
            });
            assert.deepEqual(w.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
            assert.equal(w.livenessProbe.httpGet.port, 8080);
            assert.equal(w.readinessProbe.httpGet.port, 8080);
            assert.equal(w.livenessProbe.httpGet.path, "/health");
        });

        it("gives the worker what its Jobs need, the access key only by reference", () => {
            const env = envOf(container(deployment(run.mocks).spec.template.spec, "worker"));
            assert.equal(env.BACKLINE_BASE_URL, "https://staging-app.backline.ai");
            assert.deepEqual(env.BACKLINE_ACCESS_KEY, {
                secretKeyRef: { name: "backline-access-key", key: "accessKey" },
            });
            assert.deepEqual(env.BACKLINE_NAMESPACE, { fieldRef: { fieldPath: "metadata.namespace" } });
            assert.equal(env.BACKLINE_PVC_NAME, "worker-storage");
            assert.equal(env.BACKLINE_IMAGE_PULL_SECRET, "dockerconfig");
            assert.equal(env.BACKLINE_JOB_SERVICE_ACCOUNT, "backline-jobs");
            assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://127.0.0.1:4317");
        });

        it("mounts the shared claim and a scratch /tmp on a read-only root", () => {
            const pod = deployment(run.mocks).spec.template.spec;
            assert.deepEqual(
                pod.volumes.find((v: Any) => v.name === "storage"),
                {
                    name: "storage",
                    persistentVolumeClaim: { claimName: "worker-storage" },
                },
            );
            const w = container(pod, "worker");
            assert.deepEqual(
                w.volumeMounts.map((v: Any) => v.mountPath),
                ["/data", "/tmp"],
            );
            assert.equal(w.securityContext.readOnlyRootFilesystem, true);
        });

        it("claims ReadWriteMany storage on the cluster's default class", () => {
            const pvc = run.mocks.one(T.pvc, "worker-storage").inputs;
            assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
            assert.equal(pvc.spec.resources.requests.storage, "10Gi");
            assert.ok(!("storageClassName" in pvc.spec), "storageClassName must be left out for the default class");
            assert.equal(run.mocks.ofType(T.storageClass).length, 0);
            assert.equal(run.mocks.ofType(T.efs).length, 0);
        });

        it("adds the adot-collector sidecar with the given role and region, and creates no AWS resource", () => {
            const pod = deployment(run.mocks).spec.template.spec;
            const c = container(pod, "adot-collector");
            assert.equal(c.image, "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2");
            const env = envOf(c);
            assert.equal(env.AWS_REGION, "us-west-1");
            assert.equal(env.AWS_ROLE_ARN, "arn:aws:iam::123456789012:role/YourOtelRole");
            assert.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, "/var/run/secrets/backline/jwt/token");
            const tokenVolume = pod.volumes.find((v: Any) => v.name === "jwt-token");
            assert.deepEqual(tokenVolume.secret.secretName, "jwt-token");
            assert.equal(tokenVolume.secret.optional, true);
            assert.equal(run.mocks.resources.filter((r) => r.type.startsWith("aws:")).length, 0);
            const annotations = deployment(run.mocks).spec.template.metadata.annotations;
            assert.match(annotations["backline.ai/collector-config-sha256"], /^[0-9a-f]{64}$/);
        });

        it("configures the collector: OTLP on loopback, logs to CloudWatch, traces to X-Ray", () => {
            const cm = run.mocks.one(T.configMap, "adot-collector-config").inputs;
            const config = JSON.parse(cm.data["config.json"]);
            assert.deepEqual(config.receivers.otlp.protocols, {
                grpc: { endpoint: "127.0.0.1:4317" },
                http: { endpoint: "127.0.0.1:4318" },
            });
            assert.equal(config.exporters.awscloudwatchlogs.region, "us-west-1");
            assert.equal(config.exporters.awscloudwatchlogs.log_group_name, "/backline/backline/worker");
            assert.equal(config.exporters.awscloudwatchlogs.log_retention, 30);
            assert.equal(config.exporters.awsxray.region, "us-west-1");
            assert.deepEqual(config.service.pipelines.logs.exporters, ["awscloudwatchlogs"]);
            assert.deepEqual(config.service.pipelines.traces.exporters, ["awsxray"]);
        });

        it("schedules the janitor every minute with the chart's image and resources", () => {
            const cron = run.mocks.one(T.cronJob, "janitor").inputs;
            assert.equal(cron.spec.schedule, "* * * * *");
            assert.equal(cron.spec.startingDeadlineSeconds, 60);
            assert.equal(cron.spec.successfulJobsHistoryLimit, 3);
            assert.equal(cron.spec.failedJobsHistoryLimit, 3);
            const job = cron.spec.jobTemplate.spec;
            assert.equal(job.backoffLimit, 1);
            assert.equal(job.activeDeadlineSeconds, 300);
            const c = container(job.template.spec, "janitor");
            assert.equal(c.image, "docker.io/dtzar/helm-kubectl:3.16.1");
            assert.equal(c.imagePullPolicy, "IfNotPresent");
            assert.deepEqual(c.resources, {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "200m", memory: "256Mi" },
            });
            assert.deepEqual(c.command, ["bash", "/opt/janitor/janitor.sh"]);
        });

        it("passes the janitor its inputs, the access key by reference", () => {
            const c = container(
                run.mocks.one(T.cronJob, "janitor").inputs.spec.jobTemplate.spec.template.spec,
                "janitor",
            );
            const env = envOf(c);
            assert.deepEqual(env.BACKLINE_ACCESS_KEY, {
                secretKeyRef: { name: "backline-access-key", key: "accessKey" },
            });
            assert.equal(env.BACKLINE_BASE_URL, "https://staging-app.backline.ai");
            assert.deepEqual(env.JANITOR_NAMESPACE, { fieldRef: { fieldPath: "metadata.namespace" } });
            assert.equal(env.JANITOR_REFRESH_WINDOW_SECONDS, "900");
            assert.equal(env.JANITOR_HTTP_TIMEOUT_SECONDS, "10");
            assert.equal(env.JANITOR_UPDATE_WORKER_IMAGE, "true");
            assert.equal(env.JANITOR_JWT_SECRET, "jwt-token");
            assert.equal(env.JANITOR_DOCKERCONFIG_SECRET, "dockerconfig");
            assert.equal(env.JANITOR_WORKER_DEPLOYMENT, "worker");
            assert.equal(env.JANITOR_WORKER_CONTAINER, "worker");
        });

        it("mounts the script from a ConfigMap and annotates its hash", () => {
            const cm = run.mocks.one(T.configMap, "janitor-script").inputs;
            assert.match(cm.data["janitor.sh"], /^#!\/usr\/bin\/env bash/);
            const tpl = run.mocks.one(T.cronJob, "janitor").inputs.spec.jobTemplate.spec.template;
            assert.match(tpl.metadata.annotations["backline.ai/janitor-script-sha256"], /^[0-9a-f]{64}$/);
            assert.deepEqual(tpl.spec.volumes.find((v: Any) => v.name === "script").configMap, {
                name: "janitor-script",
                defaultMode: 0o555,
            });
        });

        it("runs the janitor once at install, from the same template", () => {
            const job = run.mocks.one(T.job).inputs;
            assert.match(job.metadata.name, /^janitor-install-[0-9a-f]{10}$/);
            const cron = run.mocks.one(T.cronJob, "janitor").inputs;
            assert.deepEqual(job.spec, cron.spec.jobTemplate.spec);
        });

        it("limits the janitor's Role by name to its two secrets and the worker Deployment", () => {
            assert.deepEqual(run.mocks.one(T.role, "janitor").inputs.rules, [
                {
                    apiGroups: [""],
                    resources: ["secrets"],
                    resourceNames: ["jwt-token", "dockerconfig"],
                    verbs: ["get", "create", "patch"],
                },
                { apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["worker"], verbs: ["get", "patch"] },
            ]);
        });

        it("lets the janitor own the image: no patchForce, image updates on", () => {
            const d = deployment(run.mocks);
            assert.equal(d.metadata.annotations["backline.ai/image-updates"], "janitor");
            assert.equal(d.metadata.annotations["pulumi.com/patchForce"], undefined);
            assert.equal(run.outputs.workerImageUpdates, "janitor");
        });

        it("exposes the worker on its HTTP port", () => {
            const svc = run.mocks.one(T.service, "worker").inputs;
            assert.deepEqual(svc.spec.ports, [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
            assert.deepEqual(svc.spec.selector, deployment(run.mocks).spec.selector.matchLabels);
        });

        it("gives the worker's Jobs a service account without API access", () => {
            const sa = run.mocks.one(T.serviceAccount, "backline-jobs").inputs;
            assert.equal(sa.automountServiceAccountToken, false);
        });
    });

    describe("Production example", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.production, { stack: "prod" });
        });

        it("deploys into `backline-prod`", () => {
            assertCommonShape(run, "backline-prod");
        });

        it("scales and sizes the worker", () => {
            const d = deployment(run.mocks);
            assert.equal(d.spec.replicas, 2);
            const w = container(d.spec.template.spec, "worker");
            assert.deepEqual(w.resources, {
                requests: { cpu: "1000m", memory: "2Gi" },
                limits: { cpu: "4000m", memory: "4Gi" },
            });
            assert.equal(envOf(w).MODEL_NAME, "anthropic/claude-sonnet-4-20250514");
            assert.equal(envOf(w).BACKLINE_BASE_URL, "https://app.backline.ai");
        });

        it("runs the janitor every 3 minutes with larger resources", () => {
            const cron = run.mocks.one(T.cronJob, "janitor").inputs;
            assert.equal(cron.spec.schedule, "*/3 * * * *");
            const c = container(cron.spec.jobTemplate.spec.template.spec, "janitor");
            assert.deepEqual(c.resources, {
                requests: { cpu: "200m", memory: "256Mi" },
                limits: { cpu: "500m", memory: "512Mi" },
            });
        });

        it("claims 50Gi and logs to the prod region with the prod role", () => {
            assert.equal(run.mocks.one(T.pvc, "worker-storage").inputs.spec.resources.requests.storage, "50Gi");
            const env = envOf(container(deployment(run.mocks).spec.template.spec, "adot-collector"));
            assert.equal(env.AWS_REGION, "us-east-1");
            assert.equal(env.AWS_ROLE_ARN, "arn:aws:iam::123456789012:role/BacklineProdOtelRole");
            const config = JSON.parse(run.mocks.one(T.configMap, "adot-collector-config").inputs.data["config.json"]);
            assert.equal(config.exporters.awscloudwatchlogs.log_group_name, "/backline/backline-prod/worker");
        });
    });

    describe("Custom Worker Image example", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.customWorkerImage);
        });

        it("runs the pinned image with its pull policy", () => {
            assertCommonShape(run, "backline");
            const w = container(deployment(run.mocks).spec.template.spec, "worker");
            assert.equal(w.image, "my-registry.example.com/backline-worker:test-feature-123");
            assert.equal(w.imagePullPolicy, "Always");
        });

        it("keeps the janitor off the image: updates off, no Deployment permission, Pulumi forces its value", () => {
            const env = envOf(
                container(run.mocks.one(T.cronJob, "janitor").inputs.spec.jobTemplate.spec.template.spec, "janitor"),
            );
            assert.equal(env.JANITOR_UPDATE_WORKER_IMAGE, "false");
            const rules = run.mocks.one(T.role, "janitor").inputs.rules;
            assert.ok(
                !rules.some((r: Any) => r.resources.includes("deployments")),
                "pinned: the janitor may not touch the Deployment",
            );
            const d = deployment(run.mocks);
            assert.equal(d.metadata.annotations["pulumi.com/patchForce"], "true");
            assert.equal(d.metadata.annotations["backline.ai/image-updates"], "pinned");
            assert.equal(run.outputs.workerImageUpdates, "pinned");
        });
    });

    describe("Disable Observability example", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.disableObservability);
        });

        it("has no sidecar, no collector config, no role, no log group", () => {
            assertCommonShape(run, "backline");
            const pod = deployment(run.mocks).spec.template.spec;
            assert.deepEqual(
                pod.containers.map((c: Any) => c.name),
                ["worker"],
            );
            assert.ok(!pod.volumes.some((v: Any) => v.name === "jwt-token"));
            assert.equal(
                run.mocks.ofType(T.configMap).filter((c) => c.inputs.metadata.name === "adot-collector-config").length,
                0,
            );
            assert.equal(run.mocks.resources.filter((r) => r.type.startsWith("aws:")).length, 0);
            const env = envOf(container(pod, "worker"));
            assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
            assert.ok(!("collectorRoleArn" in run.outputs) && !("logGroupName" in run.outputs));
        });
    });

    describe("No-AWS storage: an existing RWX storage class", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.noAwsStorage);
        });

        it("claims on the named class and creates nothing in AWS", () => {
            assertCommonShape(run, "backline");
            const pvc = run.mocks.one(T.pvc, "worker-storage").inputs;
            assert.equal(pvc.spec.storageClassName, "nfs-client");
            assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
            assert.equal(
                run.mocks.resources.filter((r) => r.type.startsWith("aws:") || r.type.startsWith("random:")).length,
                0,
            );
            assert.equal(run.outputs.storageClassName, "nfs-client");
        });

        it("uses an existing claim by name when `worker.storage.pvc.create` is false", async () => {
            const existing = await runProgram({
                ...examples.noAwsStorage,
                worker: { storage: { pvc: { create: false, name: "team-share" } }, otel: { enabled: false } },
            });
            assert.equal(existing.mocks.ofType(T.pvc).length, 0);
            const pod = deployment(existing.mocks).spec.template.spec;
            assert.equal(
                pod.volumes.find((v: Any) => v.name === "storage").persistentVolumeClaim.claimName,
                "team-share",
            );
            assert.equal(envOf(container(pod, "worker")).BACKLINE_PVC_NAME, "team-share");
        });
    });

    describe("Everything on AWS: EFS and a collector role made by the stack", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.fullAws);
        });

        it("creates an encrypted EFS filesystem with a mount target per subnet", () => {
            assertCommonShape(run, "backline");
            const fs = run.mocks.one(T.efs).inputs;
            assert.equal(fs.encrypted, true);
            assert.equal(fs.throughputMode, "elastic");
            const targets = run.mocks.ofType(T.mountTarget).map((t) => t.inputs);
            assert.deepEqual(
                targets.map((t) => t.subnetId),
                ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            );
            assert.ok(targets.every((t) => t.fileSystemId === "fs-0123456789abcdef0"));
            assert.equal(run.outputs.efsFileSystemId, "fs-0123456789abcdef0");
            assert.equal(run.outputs.storageClassName, "backline-efs-backline");
        });

        it("admits NFS only from the allowed CIDRs and security groups", () => {
            const sg = run.mocks.one(T.securityGroup).inputs;
            assert.equal(sg.vpcId, "vpc-0123456789abcdef0");
            assert.deepEqual(sg.egress, []);
            assert.deepEqual(
                sg.ingress.map((r: Any) => [r.protocol, r.fromPort, r.toPort, r.cidrBlocks ?? r.securityGroups]),
                [
                    ["tcp", 2049, 2049, ["10.0.0.0/16"]],
                    ["tcp", 2049, 2049, ["sg-0123456789abcdef0"]],
                ],
            );
        });

        it("binds the claim to an EFS CSI class with TLS and the worker's uid/gid", () => {
            const sc = run.mocks.one(T.storageClass).inputs;
            assert.equal(sc.metadata.name, "backline-efs-backline");
            assert.equal(sc.provisioner, "efs.csi.aws.com");
            assert.deepEqual(sc.mountOptions, ["tls"]);
            assert.equal(sc.reclaimPolicy, "Retain");
            assert.equal(sc.parameters.fileSystemId, "fs-0123456789abcdef0");
            assert.equal(sc.parameters.provisioningMode, "efs-ap");
            assert.equal(sc.parameters.uid, "1000");
            assert.equal(sc.parameters.gid, "1000");
            const pvc = run.mocks.one(T.pvc, "worker-storage").inputs;
            assert.equal(pvc.spec.storageClassName, "backline-efs-backline");
            const pod = deployment(run.mocks).spec.template.spec;
            assert.equal(pod.securityContext.runAsUser, 1000);
            assert.equal(pod.securityContext.fsGroup, 1000);
        });

        it("creates a log group with the retention and a role only Backline's tokens can assume", () => {
            const lg = run.mocks.one(T.logGroup).inputs;
            assert.deepEqual(
                { name: lg.name, retentionInDays: lg.retentionInDays },
                { name: "/backline/backline/worker", retentionInDays: 90 },
            );
            const trust = JSON.parse(run.mocks.one(T.iamRole).inputs.assumeRolePolicy);
            assert.deepEqual(trust.Statement, [
                {
                    Sid: "BacklineCollectorWebIdentity",
                    Effect: "Allow",
                    Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/app.backline.ai" },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "app.backline.ai:aud": "sts.amazonaws.com",
                            "app.backline.ai:sub": "tenant:acme",
                        },
                    },
                },
            ]);
        });

        it("allows the role to write to its log group and to X-Ray, nothing else", () => {
            const policy = JSON.parse(run.mocks.one(T.iamRolePolicy).inputs.policy);
            const group = "arn:aws:logs:us-east-1:123456789012:log-group:/backline/backline/worker";
            assert.deepEqual(policy.Statement[0].Resource, [group, `${group}:log-stream:*`]);
            assert.deepEqual(policy.Statement[0].Action, [
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ]);
            assert.ok(policy.Statement[1].Action.every((a: string) => a.startsWith("xray:")));
            assert.equal(policy.Statement.length, 2);
            const env = envOf(container(deployment(run.mocks).spec.template.spec, "adot-collector"));
            assert.match(env.AWS_ROLE_ARN, /^arn:aws:iam::123456789012:/);
            const config = JSON.parse(run.mocks.one(T.configMap, "adot-collector-config").inputs.data["config.json"]);
            assert.equal(
                config.exporters.awscloudwatchlogs.log_retention,
                undefined,
                "the stack created the group with its retention",
            );
        });
    });

    describe("the access key", () => {
        /** Every place the plaintext key appears in recorded inputs, and whether it is wrapped as a secret. */
        function findKey(
            value: unknown,
            where: string,
            secret: boolean,
            out: { where: string; secret: boolean }[],
        ): void {
            if (typeof value === "string") {
                if (value.includes(testAccessKey)) out.push({ where, secret });
                return;
            }
            if (Array.isArray(value)) {
                value.forEach((v, i) => findKey(v, `${where}[${i}]`, secret, out));
                return;
            }
            if (value && typeof value === "object") {
                const o = value as Record<string, unknown>;
                const isSecret = o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270";
                for (const [k, v] of Object.entries(o)) findKey(v, `${where}.${k}`, secret || isSecret, out);
            }
        }

        for (const [name, config] of Object.entries(examples)) {
            it(`is a secret wherever it flows, and in no object but the Secret (${name})`, async () => {
                const run = await runProgram(config);
                const hits: { where: string; secret: boolean }[] = [];
                for (const r of run.mocks.resources) findKey(r.inputs, `${r.type}::${r.name}`, false, hits);
                // Components record their args (encrypted in state); every copy must be a secret.
                assert.deepEqual(
                    hits.filter((h) => !h.secret),
                    [],
                    "plaintext copies of the access key",
                );
                const inObjects = hits.filter((h) => !h.where.startsWith("backline:"));
                assert.deepEqual(inObjects, [
                    {
                        where: "kubernetes:core/v1:Secret::backline-namespace-access-key.stringData.value.accessKey",
                        secret: true,
                    },
                ]);
                for (const [k, v] of Object.entries(run.outputs)) {
                    assert.ok(!JSON.stringify(v ?? null).includes(testAccessKey), `stack output ${k} leaks the key`);
                }
            });
        }
    });
});
