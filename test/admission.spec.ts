/**
 * The job admission policy: its builders, the intent of its CEL rules (evaluated with a
 * CEL interpreter, table-driven: each object and the rules it must trip, on CREATE and on DELETE),
 * and what the program makes with `security.jobAdmissionPolicy` on and off, and with an adopted
 * release's worker selector (under mocks). The API server is the real proof:
 * test/e2e/admission.e2e.ts.
 */
import { strict as assert } from "assert";
import { reservedSelectors } from "../components/specs/admission-workloads";
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
import {
    adoptedInputs,
    adoptedSelector,
    adoptedSelectorCases,
    caseInputs,
    cronJob,
    janitorLabels,
    job,
    jobAdmissionCases,
    jobDeleteCases,
    noSiteCases,
    podsLabelled,
    properPod,
    siteCases,
    siteInputs,
    withPod,
    workerSelectorLabels,
} from "./fixtures/job-admission-cases";
import * as examples from "./fixtures/examples";
import { airGapped } from "./fixtures/enterprise-examples";
import { adoptedStackUnderMocks } from "./fixtures/adoption";
import { runProgram } from "./support/mocks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const inputs: JobAdmissionInputs = caseInputs;
const worker = workerUsername("backline");

const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("job admission policy: builders", () => {
    it("derives both names from the namespace, so two stacks in one cluster do not collide", () => {
        assert.equal(jobAdmissionName("backline"), "backline-worker-jobs-backline");
        assert.notEqual(jobAdmissionName("a"), jobAdmissionName("b"));
        assert.equal(buildJobAdmissionBindingSpec(inputs).policyName, jobAdmissionName("backline"));
    });

    it("looks only at the namespace, at the worker's requests, at Jobs, CronJobs and Pods, and at the deletion of Jobs", () => {
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
                [["batch"], ["jobs"], ["DELETE"]],
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

    it("reserves the live worker selector, the stack's own and the janitor's, each once", () => {
        assert.deepEqual(
            reservedSelectors(inputs).map((s) => s.labels),
            [workerSelectorLabels, { "app.kubernetes.io/name": "backline", "app.kubernetes.io/component": "janitor" }],
        );
        assert.deepEqual(
            reservedSelectors(adoptedInputs).map((s) => s.labels),
            [
                adoptedSelector,
                workerSelectorLabels,
                { "app.kubernetes.io/name": "backline", "app.kubernetes.io/component": "janitor" },
            ],
        );
        // An empty selector would match every pod: never reserved.
        assert.equal(reservedSelectors({ ...inputs, workerSelectorOverride: {} }).length, 2);
    });
});

/** The first word of each refusal: the rule's name. */
const rulesOf = (refusals: readonly string[]) => refusals.map((m) => m.split(":")[0]);

describe("job admission policy: what its CEL admits (interpreted; the API server is the proof)", () => {
    const spec = buildJobAdmissionPolicySpec(inputs);
    /** One test per row: `object` created, or with `operation: "DELETE"` the Job deleted. */
    const table = (policy: typeof spec, cases: [string, Any, string[]][], operation?: "DELETE") => {
        for (const [name, object, rules] of cases) {
            it(`${rules.length === 0 ? "admits" : `refuses (${rules.join(", ")})`} ${name}`, () => {
                const d = operation
                    ? decide(policy, null, worker, { operation, oldObject: object })
                    : decide(policy, object, worker);
                assert.ok(d.matched);
                assert.deepEqual(rulesOf(d.refusals), rules, d.refusals.join("\n"));
            });
        }
    };
    table(spec, jobAdmissionCases);

    describe("with a proxy and the site's pull secrets, which the worker hands its Jobs", () => {
        table(buildJobAdmissionPolicySpec(siteInputs), siteCases);
    });

    describe("without them, the same hand-overs are refused", () => {
        table(spec, noSiteCases);
    });

    describe("with the selector an adopted release kept", () => {
        table(buildJobAdmissionPolicySpec(adoptedInputs), adoptedSelectorCases);
    });

    describe("deleting a Job (DELETE: only `oldObject`)", () => {
        table(spec, jobDeleteCases, "DELETE");
        it("judges only what is deleted: a Job that breaks every rule of CREATE may be deleted if it is not the janitor's", () => {
            const bad = job(
                withPod((p) => (p.serviceAccountName = "other")),
                { name: "janitorial", labels: workerSelectorLabels },
            );
            const d = decide(spec, null, worker, { operation: "DELETE", oldObject: bad });
            assert.deepEqual(d, { matched: true, refusals: [] });
        });
        it("leaves the garbage collector, the CronJob controller and Pulumi alone", () => {
            const run = jobDeleteCases[0][1];
            for (const user of [
                "system:serviceaccount:kube-system:generic-garbage-collector",
                "system:kube-controller-manager",
                "admin",
            ]) {
                assert.deepEqual(
                    decide(spec, null, user, { operation: "DELETE", oldObject: run }),
                    { matched: false },
                    user,
                );
            }
        });
    });

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
        const labels = refusals(podsLabelled(job(properPod()), workerSelectorLabels));
        assert.equal(
            labels,
            "labels: the worker's Jobs may not carry the labels that select the stack's workloads; spec.template.metadata.labels " +
                "has app.kubernetes.io/name=backline, app.kubernetes.io/component=worker (the selector of Deployment worker, its Service " +
                "and its PodDisruptionBudget). Label them with a key of their own instead (e.g. backline.ai/job: <run>); a part of such " +
                "a selector alone is fine.",
        );
        const cronLabels = refusals(
            podsLabelled(cronJob(properPod(), { labels: janitorLabels }), workerSelectorLabels),
        );
        assert.match(
            cronLabels,
            /CronJobs may not .*; metadata\.labels has app\.kubernetes\.io\/name=backline, app\.kubernetes\.io\/component=janitor \(the labels of the janitor's Jobs and pods\); spec\.jobTemplate\.spec\.template\.metadata\.labels has app\.kubernetes\.io\/name=backline, app\.kubernetes\.io\/component=worker/,
        );
        const adoptedSpec = buildJobAdmissionPolicySpec(adoptedInputs);
        const adopted = decide(adoptedSpec, podsLabelled(job(properPod()), adoptedSelector), worker);
        assert.ok(adopted.matched);
        assert.match(
            adopted.refusals.join("\n"),
            /spec\.template\.metadata\.labels has app\.kubernetes\.io\/name=backline-worker, app\.kubernetes\.io\/instance=backline \(the selector of Deployment worker/,
        );
        const run = refusals(job(properPod(), { name: "janitor-29000000" }));
        assert.match(
            run,
            /^janitor-run: the worker's Jobs may not pose as runs of CronJob janitor; metadata\.name is janitor-29000000, how CronJob janitor names its runs \(janitor-<minutes>\)\. A Job of such a name keeps the CronJob's run of that minute from starting\. Name them otherwise/,
        );
    });

    it("says in the refusal of a delete which Job it is, why it is the janitor's and what the worker may delete", () => {
        const d = decide(spec, null, worker, { operation: "DELETE", oldObject: jobDeleteCases[0][1] });
        assert.ok(d.matched);
        assert.equal(
            d.refusals.join("\n"),
            "janitor-delete: the worker may not delete the janitor's Jobs; Job janitor-29000000 is a run of CronJob janitor " +
                "(metadata.ownerReferences), labelled app.kubernetes.io/name=backline, app.kubernetes.io/component=janitor, run as " +
                "ServiceAccount janitor. They refresh jwt-token and dockerconfig: CronJob janitor removes its finished runs itself " +
                "(janitor.successfulJobsHistoryLimit, janitor.failedJobsHistoryLimit) and pulumi the install Job. The worker may " +
                "delete the Jobs it ran (ServiceAccount backline-jobs).",
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

    it("lets the worker's Jobs use what it hands them for the site: the proxy Secret, the pull secrets", async () => {
        const run = await runProgram(airGapped, { secretKeys: ["proxy"] });
        const policy = run.mocks.one(VAP).inputs;
        const variable = (name: string) => policy.spec.variables.find((v: Any) => v.name === name).expression;
        assert.match(variable("allowedSecrets"), /'backline-proxy'/);
        assert.match(variable("pullSecrets"), /^\['dockerconfig', 'corp-registry'\]/);
        const plain = await runProgram(examples.minimal);
        const plainPolicy = plain.mocks.one(VAP).inputs;
        assert.equal(plainPolicy.spec.variables.find((v: Any) => v.name === "allowedSecrets").expression, "[]");
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

    it("is built from the selector Deployment worker really uses, also when an adopted release kept its own", async () => {
        // The selector read back from the Deployment the program declares, not from the configuration.
        const refusesItsPods = (policy: Any, deployment: Any) => {
            const selector = deployment.spec.selector.matchLabels;
            const d = decide(policy.spec, podsLabelled(job(properPod()), selector), workerUsername(policy.namespace));
            assert.ok(d.matched);
            return rulesOf(d.refusals);
        };
        const plain = await runProgram(examples.minimal);
        const plainPolicy = { ...plain.mocks.one(VAP).inputs, namespace: "backline" };
        assert.deepEqual(refusesItsPods(plainPolicy, plain.mocks.one(DEPLOYMENT).inputs), ["labels"]);

        const mocks = await adoptedStackUnderMocks();
        const deployment = mocks.one(DEPLOYMENT).inputs;
        assert.deepEqual(deployment.spec.selector.matchLabels, adoptedSelector);
        assert.deepEqual(refusesItsPods({ ...mocks.one(VAP).inputs, namespace: "backline" }, deployment), ["labels"]);
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
