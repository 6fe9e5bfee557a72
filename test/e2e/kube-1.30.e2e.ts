/**
 * The oldest Kubernetes minor Backline supports, 1.30 (the first with ValidatingAdmissionPolicy GA),
 * next to the newest that every other suite runs on: its own kube-apiserver, kube-controller-manager,
 * kube-scheduler and kubectl (scripts/build-kube.sh 1.30, module tools/kube-1.30) with simulated
 * nodes (kwok and etcd of the default build). The dev stack is deployed with `pulumi up` and the
 * real awaits, the job admission policy refuses a Job the worker's ServiceAccount creates to run as
 * `janitor` (and admits a proper one), RBAC answers as on 1.37, and `pulumi destroy` removes it.
 *
 * Needs the engine (scripts/build-engine.sh), the control plane (scripts/build-kube.sh) and the 1.30
 * binaries (scripts/build-kube.sh 1.30). Run alone with
 * `npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 900000 test/e2e/kube-1.30.e2e.ts`.
 */
import { strict as assert } from "assert";
import { jobAdmissionName } from "../../components/specs/admission";
import { job, properPod } from "../fixtures/job-admission-cases";
import { Any, condition, dryRunAs, ns, useClusterStack, waitFor } from "./support/cluster-stack";

const policyName = jobAdmissionName(ns);

describe("the dev stack on Kubernetes 1.30, the oldest supported minor", function () {
    this.timeout(900_000);

    const { kube, pulumi, kubectl, getJson, exists, canI } = useClusterStack({ minor: "1.30", devStack: true });
    const timings: string[] = [];
    const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        const t0 = Date.now();
        const result = await fn();
        timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return result;
    };
    const dryRunAsWorker = (object: Any) => dryRunAs(kube(), "worker", object);

    after(() => {
        if (timings.length > 0) console.log(`      timings: ${timings.join("; ")}`);
    });

    it("runs kube-apiserver, kube-controller-manager and kubectl of v1.30", () => {
        const v = JSON.parse(kubectl(["version", "-o", "json"]));
        assert.match(v.serverVersion.gitVersion, /^v1\.30\.\d+$/);
        assert.equal(v.clientVersion.gitVersion, v.serverVersion.gitVersion);
        assert.match(kube().logs(400), new RegExp(`"Starting" version="${v.serverVersion.gitVersion}"`));
        assert.deepEqual(kube().nodes, ["kwok-node-0"]);
        timings.push(`control plane ${(kube().timings.totalMs / 1000).toFixed(1)} s`);
        console.log(`      ${v.serverVersion.gitVersion}, control plane with kwok in ${kube().timings.totalMs} ms`);
    });

    it("deploys the dev stack with `pulumi up`: the install Job completes, then the worker is available", async () => {
        await pulumi(["stack", "init", "dev", "--non-interactive"]);
        await pulumi(["config", "set", "--path", "kubernetes.kubeconfig", kube().kubeconfig]);
        await timed("pulumi up", () => pulumi(["up", "--yes", "--skip-preview"]));

        const deployment = getJson("deployment", "worker");
        assert.equal(deployment.status.availableReplicas, 1, JSON.stringify(deployment.status));
        assert.equal(condition(deployment, "Available")?.status, "True");
        const [install] = JSON.parse(
            kubectl(["get", "jobs", "-n", ns, "-l", "backline.ai/run=install", "-o", "json"]),
        ).items;
        assert.equal(condition(install, "Complete")?.status, "True", JSON.stringify(install.status));
        assert.ok(Date.parse(deployment.metadata.creationTimestamp) >= Date.parse(install.status.completionTime));
        assert.ok(exists("pvc", "worker-storage") && exists("cronjob", "janitor"));
    });

    it("makes the admission policy, which 1.30's controller-manager type-checks without a warning", async () => {
        const policy = JSON.parse(kubectl(["get", "validatingadmissionpolicy", policyName, "-o", "json"]));
        const binding = JSON.parse(kubectl(["get", "validatingadmissionpolicybinding", policyName, "-o", "json"]));
        assert.deepEqual(binding.spec.validationActions, ["Deny"]);
        const status = () =>
            JSON.parse(kubectl(["get", "validatingadmissionpolicy", policyName, "-o", "json"])).status as Any;
        await waitFor("the policy's type check", () => {
            const s = status();
            return s?.observedGeneration === policy.metadata.generation && s.typeChecking !== undefined;
        });
        assert.deepEqual(status().typeChecking.expressionWarnings ?? [], [], JSON.stringify(status()));
    });

    it("refuses a Job the worker creates to run as `janitor`, and admits a proper one", async () => {
        const asJanitor = job({ ...properPod(), serviceAccountName: "janitor" });
        // The API server takes a moment to load a new policy into its admission cache.
        await waitFor("the policy to be in force", () => dryRunAsWorker(asJanitor).status !== 0);
        const refused = dryRunAsWorker(asJanitor);
        assert.notEqual(refused.status, 0);
        assert.match(
            refused.stderr,
            /denied request: service-account: the worker's Jobs run as ServiceAccount backline-jobs only; spec\.template\.spec\.serviceAccountName is janitor\. Set it to backline-jobs/,
        );
        assert.ok(refused.stderr.includes(`ValidatingAdmissionPolicy '${policyName}'`), refused.stderr);
        const proper = dryRunAsWorker(job(properPod()));
        assert.equal(proper.status, 0, `a proper Job was refused: ${proper.stderr}`);
    });

    it("gives the worker and the janitor the same rights as on the newest minor", () => {
        assert.equal(canI("worker", "create", "jobs"), true);
        assert.equal(canI("worker", "get", "pods", ["--subresource=log"]), true);
        assert.equal(canI("worker", "get", "secrets"), false);
        assert.equal(canI("janitor", "patch", "deployment/worker"), true);
        assert.equal(canI("janitor", "get", "secret/backline-access-key"), false);
    });

    it("removes the stack and the policy with `pulumi destroy`, keeping the namespace and the claim", async () => {
        await timed("pulumi destroy", () => pulumi(["destroy", "--yes", "--skip-preview"]));
        assert.ok(!exists("deployment", "worker") && !exists("cronjob", "janitor"), "the workloads survived destroy");
        assert.equal(kube().run(["get", "validatingadmissionpolicy", policyName]).status, 1, "the policy survived");
        assert.ok(exists("pvc", "worker-storage"), "the claim was deleted");
        assert.equal(kube().run(["get", "namespace", ns]).status, 0, "the namespace was deleted");
    });
});
