/**
 * The program (`index.ts`) under Pulumi mocks for the chart's Minimal example: the chart's
 * defaults, object by object, since every other configuration starts from them. The other examples
 * are in test/stack-examples.spec.ts, the storage variants in test/stack-storage.spec.ts, the access
 * key across all of them in test/stack-access-key.spec.ts.
 */
import { strict as assert } from "assert";
import { ProgramRun, runProgram } from "./support/mocks";
import * as examples from "./fixtures/examples";
import { Any, assertCommonShape, container, deployment, envOf, T } from "./support/stack-shape";

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
});
