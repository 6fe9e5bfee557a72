/**
 * The job admission policy (issue 18) on a real kube-apiserver, deployed by the real engine: what
 * the worker's ServiceAccount may create (server-side dry runs go through admission), that the
 * janitor's Jobs — made by Pulumi's identity and the CronJob controller — pass untouched, the
 * `kubectl auth can-i` matrix of the three ServiceAccounts, the preflight refusing a preview for an
 * identity without rights and a cluster without the API, and that with
 * `security.jobAdmissionPolicy` off the worker can run a Job as `janitor` again.
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
import { jobAdmissionName } from "../../components/specs/admission";
import { canIAnswer, startApiServer, useApiServer } from "../support/apiserver";
import { caseInputs, jobAdmissionCases, job, properPod } from "../fixtures/job-admission-cases";
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
    const dryRunAsWorker = (object: Any) => dryRunAs(kube(), "worker", object);
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
            assert.notEqual(r.status, 0, `${name}: admitted`);
            const refusal = /denied request: ([a-z-]+): (.*)$/m.exec(r.stderr);
            assert.ok(refusal, `${name}: not refused by the policy: ${r.stderr}`);
            assert.ok(rules.includes(refusal[1]), `${name}: refused by ${refusal[1]}, expected ${rules.join(", ")}`);
            assert.ok(r.stderr.includes(`ValidatingAdmissionPolicy '${policyName}'`), r.stderr);
        }
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
        const proper = { ...job(properPod()), metadata: { name, namespace: ns } };
        const created = kube().run(["create", "-f", "-", `--as=${sa("worker")}`], { input: JSON.stringify(proper) });
        assert.equal(created.status, 0, created.stderr);
        const pods = () => json(["get", "pods", "-n", ns, "-l", `job-name=${name}`]).items as Any[];
        await waitFor("the Job's pod", () => pods().length > 0);
        assert.equal(pods()[0].spec.serviceAccountName, "backline-jobs");
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

    it("leaves the janitor's Jobs alone: the install Job, the CronJob's own Job and `create job --from=cronjob/janitor`", async () => {
        const owned = (kind: string) =>
            (json(["get", "jobs", "-n", ns]).items as Any[]).filter(
                (j) => j.metadata.ownerReferences?.[0]?.kind === kind,
            );
        assert.equal(json(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install"]).items.length, 1);
        kubectl(["create", "job", "-n", ns, "--from=cronjob/janitor", "janitor-manual"]);
        // The CronJob runs every minute: its controller creates a Job within a minute of `up`.
        const started = Date.now();
        await waitFor("a Job of the CronJob controller", () => owned("CronJob").length > 0, 90_000);
        timings.push(`waited ${((Date.now() - started) / 1000).toFixed(1)} s for the CronJob's Job`);
        assert.equal(owned("CronJob")[0].spec.template.spec.serviceAccountName, "janitor");
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
