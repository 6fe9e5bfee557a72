/**
 * The program (`index.ts`) under Pulumi mocks for the chart's other examples (Production, Custom
 * Worker Image, Disable Observability): what each changes from the Minimal one
 * (test/stack-minimal.spec.ts), and that every one keeps the shape of test/support/stack-shape.ts.
 */
import { strict as assert } from "assert";
import { ProgramRun, runProgram } from "./support/mocks";
import * as examples from "./fixtures/examples";
import { Any, assertCommonShape, container, deployment, envOf, T } from "./support/stack-shape";

describe("BacklineStack program", function () {
    this.timeout(30_000);

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
});
