/**
 * The no-AWS stack deployed by the real engine onto a real kube-apiserver with simulated nodes
 * (kube-scheduler + kwok, test/support/kwok.ts), with pulumi-kubernetes' real awaits (no
 * `kubernetes.skipAwait`): the install Job completes before the worker Deployment is created,
 * `pulumi up` returns once the worker is available, a pod-template change rolls out with zero
 * unavailable replicas, and a failing install Job fails `pulumi up` with a pointer to its log and
 * leaves the Deployment alone. Also: objects and their owner, RBAC as the API server decides it,
 * `kubectl create job --from=cronjob/janitor`, Pod Security admission, Pulumi and the janitor side
 * by side, and what `pulumi destroy` leaves.
 *
 * No container runs: kwok reports Pods Running/Ready (after 1.5 s) and Job Pods Succeeded, or
 * Failed for the janitor image `failingJanitorImage`. Needs the engine (scripts/build-engine.sh)
 * and the control plane (scripts/build-kube.sh); skips with the reason otherwise. The setup and the
 * helpers the tests look through are in ./support/cluster-stack.ts.
 * Run: npx mocha --no-config -r ts-node/register/transpile-only --timeout 1200000 test/e2e/cluster.e2e.ts
 */
import { strict as assert } from "assert";
import {
    Any,
    WorkerState,
    accessKey,
    condition,
    defaultImage,
    failingJanitorImage,
    failingTag,
    janitorImage,
    ns,
    useClusterStack,
} from "./support/cluster-stack";

describe("the stack on a real Kubernetes API server", function () {
    this.timeout(1_200_000);

    const { kube, pulumi, kubectl, getJson, exists, canI, runJanitor, watchWorker } = useClusterStack();

    it("deploys the no-AWS stack with `pulumi up`, waiting for the install Job, then the worker", async () => {
        await pulumi(["stack", "init", "cluster", "--secrets-provider", "passphrase"]);
        await pulumi(["config", "set", "--secret", "accessKey", accessKey]);
        await pulumi(["config", "set", "baseUrl", "https://app.backline.ai"]);
        await pulumi(["config", "set", "--path", "logging.region", "us-west-1"]);
        await pulumi(["config", "set", "--path", "logging.roleArn", "arn:aws:iam::123456789012:role/YourOtelRole"]);
        await pulumi(["config", "set", "--path", "worker.storage.pvc.storageClassName", "nfs-client"]);
        await pulumi(["config", "set", "--path", "kubernetes.kubeconfig", kube().kubeconfig]);
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        assert.ok(!up.stdout.includes(accessKey) && !up.stderr.includes(accessKey));

        // `pulumi up` returned only once the worker was available (kwok makes it Ready 1.5 s
        // after it is scheduled, so without the await it would not be yet).
        const deployment = getJson("deployment", "worker");
        assert.equal(deployment.status.availableReplicas, 1, JSON.stringify(deployment.status));
        assert.equal(condition(deployment, "Available")?.status, "True");
        const pods = JSON.parse(
            kubectl(["get", "pods", "-n", ns, "-l", "app.kubernetes.io/component=worker", "-o", "json"]),
        ).items;
        assert.deepEqual(
            pods.map((p: Any) => [p.status.phase, condition(p, "Ready")?.status, /^kwok-node-/.test(p.spec.nodeName)]),
            [["Running", "True", true]],
        );

        // The install Job completed before the Deployment was created.
        const [job] = JSON.parse(
            kubectl(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install", "-o", "json"]),
        ).items;
        assert.equal(condition(job, "Complete")?.status, "True", JSON.stringify(job.status));
        const completed = Date.parse(job.status.completionTime);
        const created = Date.parse(deployment.metadata.creationTimestamp);
        assert.ok(
            created >= completed,
            `Deployment created at ${deployment.metadata.creationTimestamp}, before the install Job completed at ${job.status.completionTime}`,
        );
        assert.ok(
            completed - Date.parse(job.metadata.creationTimestamp) >= 1000,
            "the install Job completed implausibly fast",
        );
    });

    it("made every object with the expected fields, owned by Pulumi's field manager", () => {
        const namespace = JSON.parse(kubectl(["get", "namespace", ns, "-o", "json"]));
        assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");

        const deployment = getJson("deployment", "worker");
        assert.deepEqual(
            deployment.spec.template.spec.containers.map((c: Any) => [c.name, c.image]),
            [
                ["worker", defaultImage],
                ["adot-collector", "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2"],
            ],
        );
        const managers = (o: Any) => o.metadata.managedFields.map((f: Any) => f.manager);
        assert.ok(
            managers(deployment).some((m: string) => m.startsWith("pulumi-kubernetes")),
            managers(deployment).join(","),
        );
        assert.equal(deployment.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");

        const cron = getJson("cronjob", "janitor");
        assert.equal(cron.spec.schedule, "* * * * *");
        assert.equal(cron.spec.concurrencyPolicy, "Forbid");
        const pvc = getJson("pvc", "worker-storage");
        assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
        assert.equal(pvc.spec.storageClassName, "nfs-client");
        const secret = getJson("secret", "backline-access-key");
        assert.equal(Buffer.from(secret.data.accessKey, "base64").toString(), accessKey);
        assert.ok(exists("configmap", "janitor-script") && exists("configmap", "adot-collector-config"));
        assert.ok(exists("service", "worker") && exists("serviceaccount", "backline-jobs"));
        const installJobs = JSON.parse(
            kubectl(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install", "-o", "json"]),
        ).items;
        assert.equal(installJobs.length, 1);
        // The janitor's Secrets are not the program's.
        assert.ok(!exists("secret", "jwt-token") && !exists("secret", "dockerconfig"));
    });

    it("lets the janitor do exactly its job, and no more", () => {
        for (const [verb, resource] of [
            ["get", "secret/jwt-token"],
            ["patch", "secret/jwt-token"],
            ["create", "secret/dockerconfig"],
            ["get", "deployment/worker"],
            ["patch", "deployment/worker"],
        ]) {
            assert.ok(canI("janitor", verb, resource), `janitor cannot ${verb} ${resource}`);
        }
        for (const [verb, resource] of [
            ["get", "secret/backline-access-key"],
            ["list", "secrets"],
            ["delete", "secret/jwt-token"],
            ["update", "secret/jwt-token"],
            ["patch", "deployment/other"],
            ["delete", "deployment/worker"],
            ["create", "jobs"],
            ["get", "pods"],
            ["patch", "cronjob/janitor"],
        ]) {
            assert.ok(!canI("janitor", verb, resource), `janitor may ${verb} ${resource}`);
        }
    });

    it("lets the worker run its Jobs in its namespace, and no more", () => {
        for (const [verb, resource, ...extra] of [
            ["create", "jobs"],
            ["delete", "jobs"],
            ["watch", "jobs"],
            ["list", "pods"],
            ["get", "pods", "--subresource=log"],
        ]) {
            assert.ok(canI("worker", verb, resource, extra), `worker cannot ${verb} ${resource} ${extra.join(" ")}`);
        }
        for (const [verb, resource] of [
            ["get", "secrets"],
            ["create", "deployments"],
            ["create", "pods"],
            ["delete", "pods"],
            ["patch", "deployment/worker"],
        ]) {
            assert.ok(!canI("worker", verb, resource), `worker may ${verb} ${resource}`);
        }
        const other = kube().run([
            "auth",
            "can-i",
            "create",
            "jobs",
            "-n",
            "default",
            `--as=system:serviceaccount:${ns}:worker`,
        ]);
        assert.equal(other.stdout.trim(), "no", "the worker may create Jobs in another namespace");
        const nodes = kube().run(["auth", "can-i", "list", "nodes", `--as=system:serviceaccount:${ns}:worker`]);
        assert.equal(nodes.stdout.trim(), "no");
        assert.ok(!canI("backline-jobs", "get", "pods"), "the Jobs' service account has API access");
    });

    it("creates a Job from the CronJob, as the chart's troubleshooting says", () => {
        kubectl(["create", "job", "-n", ns, "--from=cronjob/janitor", "janitor-manual"]);
        const job = getJson("job", "janitor-manual");
        const cron = getJson("cronjob", "janitor");
        assert.deepEqual(
            job.spec.template.spec.containers[0].env,
            cron.spec.jobTemplate.spec.template.spec.containers[0].env,
        );
        kubectl(["delete", "job", "janitor-manual", "-n", ns, "--wait=false"]);
    });

    it("admits every pod template under the restricted profile, and rejects a non-compliant pod", () => {
        const asPod = (name: string, spec: Any) =>
            JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec });
        const templates: [string, Any][] = [
            ["worker", getJson("deployment", "worker").spec.template.spec],
            ["janitor", getJson("cronjob", "janitor").spec.jobTemplate.spec.template.spec],
            ...JSON.parse(kubectl(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install", "-o", "json"])).items.map(
                (j: Any) => ["janitor-install", j.spec.template.spec] as [string, Any],
            ),
        ];
        for (const [name, spec] of templates) {
            const r = kube().run(["create", "--dry-run=server", "-f", "-"], { input: asPod(`${name}-dry-run`, spec) });
            assert.equal(r.status, 0, `${name} pod refused: ${r.stderr}`);
            assert.ok(!/violate/.test(r.stderr), `${name}: ${r.stderr}`);
        }
        const bad = JSON.parse(JSON.stringify(templates[0][1]));
        bad.containers[0].securityContext = {
            ...bad.containers[0].securityContext,
            privileged: true,
            allowPrivilegeEscalation: true,
        };
        const r = kube().run(["create", "--dry-run=server", "-f", "-"], { input: asPod("privileged", bad) });
        assert.notEqual(r.status, 0, "a privileged pod was admitted");
        assert.match(r.stderr, /violates PodSecurity "restricted/);
    });

    it("keeps what the janitor wrote through a later `pulumi up`", async () => {
        const run = await runJanitor();
        assert.equal(run.code, 0, run.out);
        assert.ok(!run.out.includes(accessKey) && !run.out.includes("ecr-password"), run.out);
        const worker = () => getJson("deployment", "worker");
        assert.equal(worker().spec.template.spec.containers[0].image, janitorImage);
        const secretsBefore = ["jwt-token", "dockerconfig"].map((n) => getJson("secret", n).metadata.resourceVersion);

        await pulumi(["config", "set", "--path", "worker.replicaCount", "2"]);
        const preview = JSON.parse((await pulumi(["preview", "--json"])).stdout);
        const step = preview.steps.find(
            (s: Any) =>
                s.op !== "refresh" && s.urn.endsWith("kubernetes:apps/v1:Deployment::backline-worker-deployment"),
        );
        assert.equal(step.op, "update");
        const changedPaths = Object.keys(step.detailedDiff ?? {}).concat(step.diffReasons ?? []);
        assert.ok(
            changedPaths.some((p: string) => p.includes("replicas") || p === "spec"),
            changedPaths.join(", "),
        );
        assert.ok(
            !changedPaths.some((p: string) => p.includes("image")),
            `preview shows an image change: ${changedPaths.join(", ")}`,
        );
        await pulumi(["up", "--yes", "--skip-preview"]);

        const after = worker();
        assert.equal(after.spec.replicas, 2, "the unrelated change was applied");
        assert.equal(
            after.spec.template.spec.containers[0].image,
            janitorImage,
            "pulumi up rolled the worker image back",
        );
        const secretsAfter = ["jwt-token", "dockerconfig"].map((n) => getJson("secret", n).metadata.resourceVersion);
        assert.deepEqual(secretsAfter, secretsBefore, "pulumi up touched the janitor's secrets");
    });

    /** The Deployment's states while `pulumi up` rolled out the pinned image (a pod-template change). */
    let rollout: { before: Any; states: WorkerState[]; after: Any } | undefined;

    it("leaves a pinned image alone: Pulumi sets it, the janitor no longer touches the Deployment", async () => {
        const previous = getJson("deployment", "worker");
        await pulumi(["config", "set", "--path", "worker.image.tag", "pinned-123"]);
        const { states } = await watchWorker(() => pulumi(["up", "--yes", "--skip-preview"]));
        rollout = { before: previous, states, after: getJson("deployment", "worker") };
        const pinned = "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:pinned-123";
        const before = getJson("deployment", "worker");
        assert.equal(before.spec.template.spec.containers[0].image, pinned, "Pulumi did not apply the pinned image");
        assert.ok(!canI("janitor", "patch", "deployment/worker"), "pinned: the janitor may still patch the Deployment");

        const run = await runJanitor();
        assert.equal(run.code, 0, run.out);
        assert.match(run.out, /image: .*pinned.*skipped/);
        const after = getJson("deployment", "worker");
        // generation, not resourceVersion: the deployment controller writes status; only spec changes count
        assert.equal(after.metadata.generation, before.metadata.generation);
        assert.equal(after.spec.template.spec.containers[0].image, pinned);
    });

    it("rolled that pod-template change out with zero unavailable replicas, and `pulumi up` waited for it", () => {
        assert.ok(rollout, "the pinned-image `pulumi up` did not run");
        const { before, states, after } = rollout;
        assert.equal(before.spec.replicas, 2);
        assert.ok(after.metadata.generation > before.metadata.generation, "the template did not change");
        assert.notEqual(after.spec.template.spec.containers[0].image, before.spec.template.spec.containers[0].image);
        assert.deepEqual(
            [after.status.replicas, after.status.updatedReplicas, after.status.availableReplicas],
            [2, 2, 2],
            // The whole record, so that a failure tells an early return (pulumi-kubernetes' awaiter reads a
            // stale status) from a second rollout started by someone else after `up`.
            `pulumi up returned before the rollout finished: ${JSON.stringify({
                before: { generation: before.metadata.generation, annotations: before.metadata.annotations },
                after: { generation: after.metadata.generation, annotations: after.metadata.annotations },
                status: after.status,
                states,
            })}`,
        );
        const rolling = states.filter((s) => s.generation === after.metadata.generation);
        assert.ok(
            rolling.some((s) => s.replicas > s.specReplicas || s.updated < s.specReplicas),
            `no rollout was observed: ${JSON.stringify(states)}`,
        );
        const dips = states.filter((s) => s.available < s.specReplicas);
        assert.deepEqual(
            dips,
            [],
            `available replicas dropped below spec.replicas during the rollout: ${JSON.stringify(states)}`,
        );
    });

    it("fails `pulumi up` when the install Job fails, points to its log, and leaves the worker alone", async () => {
        const before = getJson("deployment", "worker");
        await pulumi(["config", "set", "--path", "janitor.image.tag", failingTag]);
        await pulumi(["config", "set", "--path", "worker.replicaCount", "3"]); // what the failed run must not apply
        const up = await pulumi(["up", "--yes", "--skip-preview"], { expectFailure: true });
        const output = up.stdout + up.stderr;
        assert.notEqual(up.code, 0, output);

        const failed = JSON.parse(
            kubectl(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install", "-o", "json"]),
        ).items.find((j: Any) => j.spec.template.spec.containers[0].image === failingJanitorImage);
        assert.ok(failed, "no install Job with the failing image was created");
        assert.equal(condition(failed, "Failed")?.status, "True", JSON.stringify(failed.status));
        assert.ok(output.includes(`kubectl logs -n ${ns} job/${failed.metadata.name}`), output);
        assert.match(output, /BackoffLimitExceeded/); // what pulumi-kubernetes itself reports

        const after = getJson("deployment", "worker");
        assert.equal(after.metadata.generation, before.metadata.generation, "the worker Deployment was changed");
        assert.equal(after.spec.replicas, 2);
    });

    it("removes the stack on `pulumi destroy` but keeps the namespace and the claim", async () => {
        await pulumi(["config", "rm", "--path", "janitor.image.tag"]);
        await pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.ok(exists("pvc", "worker-storage"), "the claim was deleted");
        assert.ok(kube().run(["get", "namespace", ns]).status === 0, "the namespace was deleted");
        for (const [kind, name] of [
            ["deployment", "worker"],
            ["cronjob", "janitor"],
            ["service", "worker"],
            ["configmap", "janitor-script"],
            ["secret", "backline-access-key"],
            ["role", "janitor"],
            ["serviceaccount", "worker"],
        ]) {
            assert.ok(!exists(kind, name), `${kind}/${name} survived destroy`);
        }
        // The janitor's Secrets live on with the namespace (docs/operate/removal.md).
        assert.ok(exists("secret", "jwt-token") && exists("secret", "dockerconfig"));
    });
});
