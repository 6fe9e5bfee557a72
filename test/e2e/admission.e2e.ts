/**
 * The job admission policy on a real kube-apiserver, deployed by the real engine: what
 * the worker's ServiceAccount may create (server-side dry runs go through admission) — also with the
 * worker selector an adopted Helm release kept —, that it may delete its own Jobs (the garbage
 * collector then removes their pods) but not the janitor's (a CronJob run, a manual run, the
 * install Job; one by one or as a collection), that the janitor's Jobs — made by Pulumi's identity
 * and the CronJob controller — pass untouched, the `kubectl auth can-i` matrix of the three
 * ServiceAccounts, the preflight refusing a preview for an identity without rights and a cluster
 * without the API, and that with `security.jobAdmissionPolicy` off the worker can run a Job as
 * `janitor` again.
 *
 * Needs the engine (scripts/build-engine.sh) and the API server with its controller-manager
 * (scripts/build-kube.sh); skips with the reason otherwise. Run alone with
 * `npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 900000 test/e2e/admission.e2e.ts`.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { ClusterPreflightError, preflightCluster } from "../../components/preflight";
import { connectionFor } from "../../components/cluster";
import {
    buildJobAdmissionBindingSpec,
    buildJobAdmissionPolicySpec,
    jobAdmissionName,
} from "../../components/specs/admission";
import { canIAnswer, startApiServer, useApiServer } from "../support/apiserver";
import {
    adoptedInputs,
    adoptedSelector,
    adoptedSelectorCases,
    caseInputs,
    janitorLabels,
    jobAdmissionCases,
    job,
    podsLabelled,
    properPod,
} from "../fixtures/job-admission-cases";
import { Engine, EngineEnv, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { dryRunAs, waitFor } from "./support/cluster-stack";
import { ProjectCopy, copyProject } from "./support/project";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ns = "backline";
const policyName = jobAdmissionName(ns);
const accessKey = "bk_admission_0123456789abcdefSECRET";
const sa = (name: string) => `system:serviceaccount:${ns}:${name}`;

describe("the job admission policy on a real API server", function () {
    this.timeout(900_000);

    const kube = useApiServer();
    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let kubeconfig: string;
    const timings: string[] = [];

    const pulumi = async (args: string[], opts: { expectFailure?: boolean } = {}) => {
        const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 600_000 });
        if (!opts.expectFailure) assert.equal(r.code, 0, describeRun(args, r));
        timings.push(`${args.slice(0, 2).join(" ")} ${(r.durationMs / 1000).toFixed(1)} s`);
        return r;
    };
    const kubectl = (args: string[], input?: string) => {
        const r = kube().run(args, { input });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    const json = (args: string[]): Any => JSON.parse(kubectl([...args, "-o", "json"]));
    /** A server-side dry run of `object` as the worker (of `namespace`): admission runs, nothing is stored. */
    const dryRunAsWorker = (object: Any, namespace = ns) => dryRunAs(kube(), "worker", object, namespace);
    /** Refused by the policy, by one of `rules` (the first word of the refusal); returns the refusal. */
    const assertRefused = (what: string, r: { status: number | null; stderr: string }, rules: string[]) => {
        assert.notEqual(r.status, 0, `${what}: admitted`);
        const refusal = /denied request: ([a-z-]+): (.*)$/m.exec(r.stderr);
        assert.ok(refusal, `${what}: not refused by the policy: ${r.stderr}`);
        assert.ok(rules.includes(refusal[1]), `${what}: refused by ${refusal[1]}, expected ${rules.join(", ")}`);
        return refusal[0];
    };
    const asWorker = (args: string[]) => kube().run([...args, "-n", ns, `--as=${sa("worker")}`]);
    const janitorJob = () => {
        const template = json(["get", "cronjob", "janitor", "-n", ns]).spec.jobTemplate;
        return { apiVersion: "batch/v1", kind: "Job", spec: template.spec };
    };

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject();
        // `npm run typecheck` type-checks the program; here ts-node only transpiles (faster).
        env = engineEnv(engine, { passphrase: "admission-e2e", extra: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } });
        // One kubeconfig, two contexts: the admin (system:masters) and `deployer`, who may do nothing.
        kubectl(["create", "serviceaccount", "deployer", "-n", "default"]);
        const token = kubectl(["create", "token", "deployer", "-n", "default"]).trim();
        const config = parse(fs.readFileSync(kube().kubeconfig, "utf8"));
        config.users.push({ name: "deployer", user: { token } });
        config.contexts.push({ name: "deployer", context: { cluster: config.clusters[0].name, user: "deployer" } });
        kubeconfig = path.join(env.pulumiHome, "kubeconfig");
        fs.writeFileSync(kubeconfig, stringify(config), { mode: 0o600 });

        await pulumi(["stack", "init", "admission", "--secrets-provider", "passphrase"]);
        await pulumi([
            "config",
            "set-all",
            "--path",
            "--secret",
            `accessKey=${accessKey}`,
            "--plaintext",
            "baseUrl=https://app.backline.ai",
            "--plaintext",
            "worker.otel.enabled=false",
            "--plaintext",
            "worker.storage.pvc.storageClassName=nfs-client",
            "--plaintext",
            `kubernetes.kubeconfig=${kubeconfig}`,
            "--plaintext",
            "kubernetes.skipAwait=true",
            // The table's Secret of the user's own (test/fixtures/job-admission-cases.ts).
            "--plaintext",
            `worker.jobs.allowedSecrets[0]=${caseInputs.allowedSecrets[0]}`,
        ]);
    });

    after(() => {
        if (timings.length > 0) console.log(`      timings: ${timings.join("; ")}`);
        project?.cleanup();
        env?.cleanup();
    });

    it("refuses `pulumi preview` for an identity that may not manage the policy, naming the key and what to do", async () => {
        await pulumi(["config", "set", "--path", "kubernetes.context", "deployer"]);
        const r = await pulumi(["preview"], { expectFailure: true });
        await pulumi(["config", "rm", "--path", "kubernetes.context"]);
        const out = `${r.stdout}\n${r.stderr}`;
        assert.notEqual(r.code, 0, out);
        assert.match(
            out,
            /`security\.jobAdmissionPolicy` is on \(the default\), but `system:serviceaccount:default:deployer`/,
        );
        assert.match(out, /no get validatingadmissionpolicies, create validatingadmissionpolicies, patch/);
        assert.match(out, /pulumi config set --path security\.jobAdmissionPolicy false/);
        assert.doesNotMatch(out, /at preflightCluster|\.ts:\d+/, "a stack trace was printed");
        assert.equal(kube().run(["get", "namespace", ns]).status, 1, "something was created");
    });

    it("refuses a cluster that does not serve the API (Kubernetes < 1.30), before anything changes", async () => {
        // A 1.37 API server with the two resources switched off stands in for a 1.29 one.
        const old = await startApiServer({
            controllerManager: false,
            apiServerArgs: [
                "--runtime-config=admissionregistration.k8s.io/v1/validatingadmissionpolicies=false,admissionregistration.k8s.io/v1/validatingadmissionpolicybindings=false",
                "--disable-admission-plugins=ValidatingAdmissionPolicy",
            ],
        });
        try {
            const config = {
                kubernetes: { kubeconfig: old.kubeconfig, skipAwait: true },
                jobAdmission: { allowedSecrets: [] },
            };
            // The default `connect`, spelled out: the resolver reads this second API server's kubeconfig.
            assert.throws(
                () => preflightCluster(config, { connect: (k) => connectionFor(k) }),
                (err: Error) => {
                    assert.ok(err instanceof ClusterPreflightError);
                    assert.match(
                        err.message,
                        /this cluster does not serve ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding/,
                    );
                    assert.match(
                        err.message,
                        /\(the API server is v1\.\d+\.\d+\)\. Upgrade the cluster to 1\.30 or newer, or turn the policy off/,
                    );
                    return true;
                },
            );
        } finally {
            await old.stop();
        }
    });

    it("makes the policy and its binding with `pulumi up`, before the namespace and everything in it", async () => {
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        assert.ok(!up.stdout.includes(accessKey) && !up.stderr.includes(accessKey));
        const policy = json(["get", "validatingadmissionpolicy", policyName]);
        const binding = json(["get", "validatingadmissionpolicybinding", policyName]);
        assert.equal(binding.spec.policyName, policyName);
        assert.deepEqual(binding.spec.validationActions, ["Deny"]);
        assert.equal(policy.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
        // The controller-manager type-checks the CEL against the schemas of Job, CronJob and Pod.
        await waitFor("the policy's type check", () => {
            const status = json(["get", "validatingadmissionpolicy", policyName]).status;
            return status?.observedGeneration === policy.metadata.generation && status.typeChecking !== undefined;
        });
        const status = json(["get", "validatingadmissionpolicy", policyName]).status;
        assert.deepEqual(status.typeChecking.expressionWarnings ?? [], [], JSON.stringify(status));

        const state = JSON.parse((await pulumi(["stack", "export"])).stdout).deployment.resources as Any[];
        const urn = (type: string) => state.find((r) => r.type === type)?.urn;
        const namespace = state.find((r) => r.type === "kubernetes:core/v1:Namespace");
        assert.ok(
            namespace.dependencies.includes(
                urn("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"),
            ),
            JSON.stringify(namespace.dependencies),
        );
    });

    it("refuses, as the worker, every Job of the table that breaks a rule, and admits the others", async () => {
        // The API server takes a moment to load a new policy into its admission cache.
        const asJanitor = job({ ...properPod(), serviceAccountName: "janitor" });
        const started = Date.now();
        await waitFor("the policy to be in force", () => dryRunAsWorker(asJanitor).status !== 0);
        timings.push(`policy in force ${((Date.now() - started) / 1000).toFixed(1)} s after \`up\``);
        const jobs = jobAdmissionCases.filter(([, object]) => object.kind === "Job");
        assert.ok(jobs.length >= 15, `only ${jobs.length} Job cases`);
        for (const [name, object, rules] of jobs) {
            const r = dryRunAsWorker(object);
            if (rules.length === 0) {
                assert.equal(r.status, 0, `${name}: refused: ${r.stderr}`);
                continue;
            }
            assertRefused(name, r, rules);
            assert.ok(r.stderr.includes(`ValidatingAdmissionPolicy '${policyName}'`), r.stderr);
        }
        const labelled = jobs.find(([, , rules]) => rules[0] === "labels");
        assert.ok(labelled);
        console.log(
            `      refusal as printed by kubectl: ${assertRefused(labelled[0], dryRunAsWorker(labelled[1]), ["labels"])}`,
        );
        const janitor = dryRunAsWorker(asJanitor).stderr;
        console.log(`      refusal as printed by kubectl: ${janitor.trim()}`);
        assert.match(
            janitor,
            /service-account: the worker's Jobs run as ServiceAccount backline-jobs only; spec\.template\.spec\.serviceAccountName is janitor\. Set it to backline-jobs/,
        );
    });

    it("refuses the janitor's own Job template as the worker: it would be the janitor", () => {
        const r = dryRunAsWorker(janitorJob());
        assert.notEqual(r.status, 0, "the worker could run the janitor's Job");
        assert.match(r.stderr, /denied request: service-account: /);
    });

    it("runs a proper Job as the worker: the Job controller makes its pod, the worker deletes it, the garbage collector its pod", async () => {
        const name = "coder-e2e";
        // Labels of its own, and a part of the worker's selector and of the janitor's: admitted.
        const proper = podsLabelled(
            job(properPod(), {
                name,
                namespace: ns,
                labels: { "backline.ai/job": name, "app.kubernetes.io/component": "janitor" },
            }),
            { "backline.ai/job": name, "app.kubernetes.io/name": "backline" },
        );
        const created = kube().run(["create", "-f", "-", `--as=${sa("worker")}`], { input: JSON.stringify(proper) });
        assert.equal(created.status, 0, created.stderr);
        const pods = () => json(["get", "pods", "-n", ns, "-l", `job-name=${name}`]).items as Any[];
        await waitFor("the Job's pod", () => pods().length > 0);
        assert.equal(pods()[0].spec.serviceAccountName, "backline-jobs");
        assert.equal(pods()[0].metadata.labels["backline.ai/job"], name);
        // The worker has `delete` on Jobs only; Background propagation lets the garbage collector
        // remove the pod (the API's default for Jobs would orphan it).
        const deleted = kube().run([
            "delete",
            "job",
            name,
            "-n",
            ns,
            "--cascade=background",
            "--wait=false",
            `--as=${sa("worker")}`,
        ]);
        assert.equal(deleted.status, 0, deleted.stderr);
        await waitFor("the garbage collector to remove the pod", () => pods().length === 0);
    });

    it("refuses, as the worker of a stack whose worker kept an adopted release's selector, Jobs whose pods carry it", async () => {
        // The policy for that selector built and applied directly, in a namespace of its own.
        const started = Date.now();
        const other = "adopted";
        const inputs = { ...adoptedInputs, namespace: other };
        const name = jobAdmissionName(other);
        kubectl(["create", "namespace", other]);
        kubectl(["create", "serviceaccount", "worker", "-n", other]);
        kubectl(["create", "role", "worker", "-n", other, "--verb=create", "--resource=jobs.batch"]);
        kubectl(["create", "rolebinding", "worker", "-n", other, "--role=worker", `--serviceaccount=${other}:worker`]);
        const objects = [
            {
                apiVersion: "admissionregistration.k8s.io/v1",
                kind: "ValidatingAdmissionPolicy",
                metadata: { name },
                spec: buildJobAdmissionPolicySpec(inputs),
            },
            {
                apiVersion: "admissionregistration.k8s.io/v1",
                kind: "ValidatingAdmissionPolicyBinding",
                metadata: { name },
                spec: buildJobAdmissionBindingSpec(inputs),
            },
        ];
        kubectl(["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
        try {
            const carrying = podsLabelled(job(properPod()), adoptedSelector);
            await waitFor("the policy to be in force", () =>
                /denied request/.test(dryRunAsWorker(carrying, other).stderr),
            );
            for (const [what, object, rules] of adoptedSelectorCases) {
                const r = dryRunAsWorker(object, other);
                if (rules.length === 0) assert.equal(r.status, 0, `${what}: refused: ${r.stderr}`);
                else assertRefused(what, r, rules);
            }
            const refusal = dryRunAsWorker(carrying, other).stderr;
            assert.match(
                refusal,
                /spec\.template\.metadata\.labels has app\.kubernetes\.io\/name=backline-worker, app\.kubernetes\.io\/instance=backline \(the selector of Deployment worker/,
            );
        } finally {
            kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", name]);
            kubectl(["delete", "namespace", other, "--wait=false"]);
        }
        timings.push(`adopted selector ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    it("prints the `kubectl auth can-i` matrix of the three ServiceAccounts, and it is the expected one", async () => {
        // [what to ask `kubectl auth can-i`, worker, janitor, backline-jobs]
        const checks: [string, boolean, boolean, boolean][] = [
            ["create jobs", true, false, false],
            ["get jobs", true, false, false],
            ["watch jobs", true, false, false],
            ["delete jobs", true, false, false],
            ["patch jobs", false, false, false],
            ["list pods", true, false, false],
            ["get pods --subresource=log", true, false, false],
            ["create pods", false, false, false],
            ["delete pods", false, false, false],
            ["create pods --subresource=exec", false, false, false],
            ["create cronjobs", false, false, false],
            ["get cronjob/janitor", false, false, false],
            ["list secrets", false, false, false],
            ["get secret/backline-access-key", false, false, false],
            ["get secret/jwt-token", false, true, false],
            ["patch secret/dockerconfig", false, true, false],
            ["patch deployment/worker", false, true, false],
            ["create serviceaccounts --subresource=token", false, false, false],
            ["create validatingadmissionpolicies", false, false, false],
            ["delete validatingadmissionpolicybindings", false, false, false],
        ];
        const accounts = ["worker", "janitor", "backline-jobs"];
        const canI = (account: string, question: string) =>
            new Promise<boolean>((resolve, reject) => {
                const args = [...question.split(" "), "-n", ns, `--as=${sa(account)}`];
                execFile(kube().kubectl, ["auth", "can-i", ...args], { env: kube().env() }, (e, stdout, stderr) => {
                    // execFile's error carries the exit status; canIAnswer fails on anything but yes/0 and no/1
                    const status = e === null ? 0 : typeof e.code === "number" ? e.code : null;
                    try {
                        resolve(canIAnswer({ status, stdout, stderr }, args.join(" ")));
                    } catch (err) {
                        reject(err);
                    }
                });
            });
        const answers = await Promise.all(
            checks.map(([question]) => Promise.all(accounts.map((a) => canI(a, question)))),
        );
        const width = Math.max(...checks.map(([q]) => q.length));
        const lines = [`${"".padEnd(width)}  ${accounts.map((a) => a.padEnd(13)).join("")}`];
        checks.forEach(([question], i) =>
            lines.push(`${question.padEnd(width)}  ${answers[i].map((y) => (y ? "yes" : "no").padEnd(13)).join("")}`),
        );
        console.log(
            `      kubectl auth can-i -n ${ns} (create jobs: the policy decides what may be created)\n${lines.map((l) => `        ${l}`).join("\n")}`,
        );
        checks.forEach(([question, ...expected], i) =>
            assert.deepEqual(
                answers[i],
                expected,
                `${question}: ${accounts.map((a, j) => `${a}=${answers[i][j]}`).join(", ")}`,
            ),
        );
    });

    it("leaves the janitor's Jobs alone: the install Job, the CronJob's own Job and `create job --from=cronjob/janitor`", async () => {
        // `create job --from` also names the CronJob as controller; it marks its Job as manual.
        const runs = () =>
            (json(["get", "jobs", "-n", ns]).items as Any[]).filter(
                (j) =>
                    j.metadata.ownerReferences?.[0]?.kind === "CronJob" &&
                    j.metadata.annotations?.["cronjob.kubernetes.io/instantiate"] !== "manual",
            );
        assert.equal(json(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install"]).items.length, 1);
        kubectl(["create", "job", "-n", ns, "--from=cronjob/janitor", "janitor-manual"]);
        // The CronJob runs every minute: its controller creates a Job within a minute of `up` (this
        // test comes late so that the tests before it take part of that minute).
        const started = Date.now();
        await waitFor("a Job of the CronJob controller", () => runs().length > 0, 90_000);
        timings.push(`waited ${((Date.now() - started) / 1000).toFixed(1)} s for the CronJob's Job`);
        assert.equal(runs()[0].spec.template.spec.serviceAccountName, "janitor");
        assert.match(runs()[0].metadata.name, /^janitor-\d+$/);
    });

    it("refuses, as the worker, deleting the janitor's Jobs: a CronJob run, a manual run, the install Job, also as a collection", async () => {
        const started = Date.now();
        const jobs = json(["get", "jobs", "-n", ns]).items as Any[];
        const named = (pick: (j: Any) => boolean, what: string) => {
            const found = jobs.find(pick);
            assert.ok(found, `no ${what} among ${jobs.map((j) => j.metadata.name).join(", ")}`);
            return found.metadata.name as string;
        };
        const manual = (j: Any) => j.metadata.annotations?.["cronjob.kubernetes.io/instantiate"] === "manual";
        const janitors = [
            named((j) => j.metadata.ownerReferences?.[0]?.kind === "CronJob" && !manual(j), "run of CronJob janitor"),
            named(manual, "manual run"),
            named((j) => j.metadata.labels?.["backline.ai/run"] === "install", "install Job"),
        ];
        for (const name of janitors) {
            const refusal = assertRefused(name, asWorker(["delete", "job", name, "--wait=false"]), ["janitor-delete"]);
            if (name === janitors[0]) console.log(`      refusal as printed by kubectl: ${refusal}`);
            assert.match(
                refusal,
                new RegExp(
                    `Job ${name} is .*labelled app\\.kubernetes\\.io/name=backline, app\\.kubernetes\\.io/component=janitor`,
                ),
            );
            kubectl(["get", "job", name, "-n", ns]);
        }

        // The Role grants no deletecollection; granted here for a moment, each Job of the collection
        // reaches the policy as a DELETE of its own: the janitor's are refused, the worker's deleted.
        const question = ["deletecollection", "jobs", "-n", ns, `--as=${sa("worker")}`];
        assert.equal(canIAnswer(kube().run(["auth", "can-i", ...question]), question.join(" ")), false);
        const ownJob = job(properPod(), {
            name: "coder-collection",
            namespace: ns,
            labels: { "backline.ai/job": "collection" },
        });
        const created = kube().run(["create", "-f", "-", `--as=${sa("worker")}`], { input: JSON.stringify(ownJob) });
        assert.equal(created.status, 0, created.stderr);
        kubectl([
            "create",
            "role",
            "e2e-deletecollection",
            "-n",
            ns,
            "--verb=deletecollection",
            "--resource=jobs.batch",
        ]);
        kubectl([
            "create",
            "rolebinding",
            "e2e-deletecollection",
            "-n",
            ns,
            "--role=e2e-deletecollection",
            `--serviceaccount=${ns}:worker`,
        ]);
        try {
            const collection = (selector: string) =>
                asWorker([
                    "delete",
                    "--raw",
                    `/apis/batch/v1/namespaces/${ns}/jobs?propagationPolicy=Background&labelSelector=${encodeURIComponent(selector)}`,
                ]);
            const janitorSelector = Object.entries(janitorLabels)
                .slice(0, 2)
                .map(([k, v]) => `${k}=${v}`)
                .join(",");
            // RBAC reads bindings from a cache: until it has this one the answer is "cannot deletecollection".
            let r = collection(janitorSelector);
            await waitFor(
                "the deletecollection grant",
                () => !/cannot deletecollection/.test((r = collection(janitorSelector)).stderr),
            );
            const refusal = assertRefused("deletecollection of the janitor's Jobs", r, ["janitor-delete"]);
            console.log(`      deletecollection refused: ${refusal}`);
            for (const name of janitors) kubectl(["get", "job", name, "-n", ns]);
            const own = collection("backline.ai/job=collection");
            assert.equal(own.status, 0, own.stderr);
            assert.equal(
                kube().run(["get", "job", "coder-collection", "-n", ns]).status,
                1,
                "the worker's Job is still there",
            );
        } finally {
            kubectl(["delete", "rolebinding,role", "e2e-deletecollection", "-n", ns]);
        }
        timings.push(`janitor deletes refused ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    it("with `security.jobAdmissionPolicy` off: removes the policy, and the worker can run a Job as janitor again", async () => {
        await pulumi(["config", "set", "--path", "security.jobAdmissionPolicy", "false"]);
        await pulumi(["up", "--yes", "--skip-preview"]);
        assert.equal(
            kube().run(["get", "validatingadmissionpolicy", policyName]).status,
            1,
            "the policy is still there",
        );
        assert.equal(kube().run(["get", "validatingadmissionpolicybinding", policyName]).status, 1);
        const asJanitor = job({ ...properPod(), serviceAccountName: "janitor" });
        await waitFor("the API server to drop the policy", () => dryRunAsWorker(asJanitor).status === 0);
        assert.equal(dryRunAsWorker(janitorJob()).status, 0, "the janitor's own template is still refused");
    });
});
