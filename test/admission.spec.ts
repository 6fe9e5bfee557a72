/**
 * The job admission policy: its builders, the intent of its CEL rules (evaluated with a
 * CEL interpreter, table-driven: each pod spec and the rules it must trip), and what the program
 * makes with `security.jobAdmissionPolicy` on and off (under mocks). The API server is the real
 * proof: test/e2e/admission.e2e.ts.
 */
import { strict as assert } from "assert";
import {
    buildJobAdmissionBindingSpec,
    buildJobAdmissionPolicySpec,
    jobAdmissionName,
    jobVolumeSources,
    volumeAllowedExpression,
    workerUsername,
} from "../components/specs/admission";
import type { JobAdmissionInputs } from "../components/model";
import { buildWorkerRoleRules } from "../components/specs/worker";
import { decide } from "./support/cel";
import { caseInputs, cronJob, job, jobAdmissionCases, withPod } from "./fixtures/job-admission-cases";
import * as examples from "./fixtures/examples";
import { runProgram } from "./support/mocks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const inputs: JobAdmissionInputs = caseInputs;
const worker = workerUsername("backline");

const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

describe("job admission policy: builders", () => {
    it("derives both names from the namespace, so two stacks in one cluster do not collide", () => {
        assert.equal(jobAdmissionName("backline"), "backline-worker-jobs-backline");
        assert.notEqual(jobAdmissionName("a"), jobAdmissionName("b"));
        assert.equal(buildJobAdmissionBindingSpec(inputs).policyName, jobAdmissionName("backline"));
    });

    it("looks only at the namespace, at the worker's requests, at Jobs, CronJobs and Pods", () => {
        const spec = buildJobAdmissionPolicySpec(inputs) as Any;
        assert.equal(spec.failurePolicy, "Fail");
        assert.deepEqual(spec.matchConstraints.namespaceSelector, {
            matchLabels: { "kubernetes.io/metadata.name": "backline" },
        });
        assert.deepEqual(
            spec.matchConstraints.resourceRules.map((r: Any) => [r.apiGroups, r.resources, r.operations]),
            [
                [["batch"], ["jobs", "cronjobs"], ["CREATE", "UPDATE"]],
                [[""], ["pods", "pods/ephemeralcontainers"], ["CREATE", "UPDATE"]],
            ],
        );
        assert.deepEqual(spec.matchConditions, [
            {
                name: "worker-service-account",
                expression: "request.userInfo.username == 'system:serviceaccount:backline:worker'",
            },
        ]);
        for (const v of spec.validations) assert.ok(v.message && v.messageExpression, JSON.stringify(v));
        const binding = buildJobAdmissionBindingSpec(inputs) as Any;
        assert.deepEqual(binding.validationActions, ["Deny"]);
        assert.deepEqual(binding.matchResources.namespaceSelector, spec.matchConstraints.namespaceSelector);
    });

    it("builds the volume rule from its table: one clause per allowed source", () => {
        const expression = volumeAllowedExpression(inputs);
        const sources = [...expression.matchAll(/has\(v\.(\w+)\)/g)].map((m) => m[1]);
        assert.deepEqual(
            sources,
            jobVolumeSources.map((r) => r.source),
        );
        assert.ok(expression.includes("v.persistentVolumeClaim.claimName == 'worker-storage'"));
    });

    it("carries the allowlist into the policy, quoted as CEL strings", () => {
        const spec = buildJobAdmissionPolicySpec({ ...inputs, allowedSecrets: ["a", "b.c"] }) as Any;
        const allowed = spec.variables.find((v: Any) => v.name === "allowedSecrets");
        assert.equal(allowed.expression, "['a', 'b.c']");
        const none = buildJobAdmissionPolicySpec({ ...inputs, allowedSecrets: [] }) as Any;
        assert.equal(none.variables.find((v: Any) => v.name === "allowedSecrets").expression, "[]");
    });
});

describe("job admission policy: what its CEL admits (interpreted; the API server is the proof)", () => {
    const spec = buildJobAdmissionPolicySpec(inputs);
    for (const [name, object, rules] of jobAdmissionCases) {
        it(`${rules.length === 0 ? "admits" : `refuses (${rules.join(", ")})`} ${name}`, () => {
            const d = decide(spec, object, worker);
            assert.ok(d.matched);
            assert.deepEqual(
                d.refusals.map((m) => m.split(":")[0]),
                rules,
                d.refusals.join("\n"),
            );
        });
    }

    it("says in each refusal what was found and what to change", () => {
        const refusals = (object: Any) => {
            const d = decide(spec, object, worker);
            return d.matched ? d.refusals.join("\n") : "";
        };
        const janitor = refusals(job(withPod((p) => (p.serviceAccountName = "janitor"))));
        assert.match(janitor, /spec\.template\.spec\.serviceAccountName is janitor\. Set it to backline-jobs/);
        const cron = refusals(cronJob(withPod((p) => (p.serviceAccountName = "janitor"))));
        assert.match(
            cron,
            /CronJobs run as ServiceAccount backline-jobs only; spec\.jobTemplate\.spec\.template\.spec\.serviceAccountName/,
        );
        const env = refusals(
            job(
                withPod(
                    (p) =>
                        (p.containers[0].env = [
                            { name: "K", valueFrom: { secretKeyRef: { name: "backline-access-key", key: "k" } } },
                        ]),
                ),
            ),
        );
        assert.match(env, /\(now: extra\); found container coder env K: Secret backline-access-key\./);
        assert.match(env, /pulumi config set --path "worker\.jobs\.allowedSecrets\[0\]" <name>/);
        const volume = refusals(
            job(withPod((p) => p.volumes.push({ name: "jwt", secret: { secretName: "jwt-token" } }))),
        );
        assert.match(
            volume,
            /may not mount volume jwt\. Allowed: the claim worker-storage, emptyDir, configMap, projected/,
        );
    });

    it("leaves everyone but the worker's ServiceAccount alone (Pulumi, the CronJob controller, the janitor)", () => {
        const bad = job(withPod((p) => (p.serviceAccountName = "janitor")));
        for (const user of [
            "admin",
            "system:serviceaccount:backline:janitor",
            "system:serviceaccount:other:worker",
            "system:kube-controller-manager",
        ]) {
            assert.deepEqual(decide(spec, bad, user), { matched: false }, user);
        }
    });
});

describe("job admission policy: in the program (under mocks)", function () {
    this.timeout(30_000);

    it("is on by default: a policy and a binding named after the namespace, and the stack output", async () => {
        const run = await runProgram(examples.production, { stack: "prod" });
        const policy = run.mocks.one(VAP).inputs;
        const binding = run.mocks.one(BINDING).inputs;
        assert.equal(policy.metadata.name, "backline-worker-jobs-backline-prod");
        assert.equal(policy.metadata.namespace, undefined);
        assert.equal(binding.spec.policyName, policy.metadata.name);
        assert.match(policy.spec.matchConditions[0].expression, /system:serviceaccount:backline-prod:worker/);
        assert.equal(run.outputs.jobAdmissionPolicy, "backline-worker-jobs-backline-prod");
        const claim = run.mocks.one("kubernetes:core/v1:PersistentVolumeClaim").inputs.metadata.name;
        assert.ok(JSON.stringify(policy.spec.variables).includes(`claimName == '${claim}'`));
    });

    it("allows the configured Secrets, and with the switch off makes nothing cluster-scoped", async () => {
        const on = await runProgram({ ...examples.minimal, worker: { jobs: { allowedSecrets: ["git-credentials"] } } });
        const allowed = on.mocks.one(VAP).inputs.spec.variables.find((v: Any) => v.name === "allowedSecrets");
        assert.equal(allowed.expression, "['git-credentials']");

        const off = await runProgram({ ...examples.minimal, security: { jobAdmissionPolicy: false } });
        assert.equal(off.mocks.ofType(VAP).length + off.mocks.ofType(BINDING).length, 0);
        const clusterScoped = off.mocks
            .kubernetesObjects()
            .filter((r) => r.inputs.metadata?.namespace === undefined)
            .map((r) => r.type);
        assert.deepEqual(clusterScoped, ["kubernetes:core/v1:Namespace"]);
        assert.ok(!("jobAdmissionPolicy" in off.outputs));
    });

    it("leaves the worker's Role as it was: the policy narrows what `create jobs` can make", () => {
        assert.deepEqual(
            buildWorkerRoleRules().map((r) => [r.resources, r.verbs]),
            [
                [["jobs"], ["create", "get", "list", "watch", "delete"]],
                [["pods"], ["get", "list", "watch"]],
                [["pods/log"], ["get"]],
            ],
        );
    });
});
