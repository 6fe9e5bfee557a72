/**
 * Smoke test of the simulated nodes (test/support/kwok.ts): kube-scheduler and kwok next to the
 * control plane of test/support/apiserver.ts. Pods are scheduled onto fake Nodes, become Running and
 * Ready after the configured delay, Job Pods end Succeeded or Failed by image, Services get ready
 * endpoints, claims of any class bind, deleted Pods go, and stop() leaves no process behind.
 * Skips when the binaries are not built (scripts/build-kube.sh). Run:
 *   npx mocha --config .mocharc.e2e.json test/e2e/kwok-smoke.e2e.ts
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { findKubeBinaries, KubectlResult, pidsUsing, startApiServer, useApiServer } from "../support/apiserver";
import { KWOK_POD_CIDR } from "../support/kwok";

const NS = "sim";
const failing = "registry.example/tools/job:fails";
const restrictedPod = { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } };
const restrictedContainer = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function sleepMs(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function podTemplate(app: string, image: string, extra: Any = {}): Any {
    return {
        metadata: { labels: { app } },
        spec: {
            securityContext: restrictedPod,
            containers: [{ name: "c", image, securityContext: restrictedContainer, ports: [{ containerPort: 8080 }] }],
            ...extra,
        },
    };
}

function job(name: string, image: string): Any {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name, namespace: NS },
        spec: { backoffLimit: 0, template: podTemplate(name, image, { restartPolicy: "Never" }) },
    };
}

describe("simulated nodes: kube-scheduler + kwok (e2e)", function () {
    this.timeout(300_000);
    const kube = useApiServer({ kwok: { nodes: 2, podReadyDelayMs: 2000, failImages: [failing] } });

    const run = (args: string[], input?: string): KubectlResult => kube().run(args, { input });
    const ok = (args: string[], input?: string): string => {
        const r = run(args, input);
        assert.equal(r.status, 0, `kubectl ${args.join(" ")} failed (${r.status}):\n${r.stderr}${r.stdout}`);
        return r.stdout;
    };
    const apply = (...objs: Any[]): string =>
        ok(
            ["apply", "--server-side", "--field-manager=smoke", "-f", "-"],
            objs.map((o) => JSON.stringify(o)).join("\n---\n"),
        );
    const get = (args: string[]): Any => JSON.parse(ok(["get", ...args, "-n", NS, "-o", "json"]));
    function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): T {
        const t0 = Date.now();
        for (;;) {
            const v = probe();
            if (v !== undefined && v !== false) return v;
            if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms\n${kube().logs(30)}`);
            sleepMs(200);
        }
    }
    const condition = (o: Any, type: string): Any => (o.status?.conditions ?? []).find((c: Any) => c.type === type);

    before(function () {
        const t = kube().timings;
        console.log(
            `      ready in ${t.totalMs} ms (API server ${t.readyzMs}, controller-manager ${t.controllerManagerMs}, ` +
                `scheduler ${t.schedulerMs}, nodes Ready ${t.nodesReadyMs} ms)`,
        );
        ok(["create", "namespace", NS]);
        ok(["label", "namespace", NS, "pod-security.kubernetes.io/enforce=restricted"]);
        waitFor("the default ServiceAccount", 30_000, () => run(["get", "sa", "default", "-n", NS]).status === 0);
    });

    it("runs kube-scheduler of the control plane's release and kwok v0.8.0; the Nodes are Ready", function () {
        const bins = findKubeBinaries({ kwok: true }).binaries;
        assert.ok(bins?.kubeScheduler && bins.kwok);
        assert.match(execFileSync(bins.kubeScheduler, ["--version"], { encoding: "utf8" }), /Kubernetes v1\.37\.2/);
        assert.match(execFileSync(bins.kwok, ["--version"], { encoding: "utf8" }), /kwok version v0\.8\.0/);
        assert.deepEqual(kube().nodes, ["kwok-node-0", "kwok-node-1"]);
        const nodes = JSON.parse(ok(["get", "nodes", "-o", "json"])).items;
        assert.deepEqual(nodes.map((n: Any) => [n.metadata.name, condition(n, "Ready")?.status]).sort(), [
            ["kwok-node-0", "True"],
            ["kwok-node-1", "True"],
        ]);
        assert.ok(
            nodes.every((n: Any) => !(n.spec.taints ?? []).length),
            "a Node is tainted",
        );
    });

    it("schedules a Deployment's Pods onto the Nodes; Running and Ready after the delay; Available", function () {
        apply({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web", namespace: NS },
            spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: podTemplate("web", "nginx:1") },
        });
        const d = waitFor("Deployment web Available 2/2", 60_000, () => {
            const o = get(["deployment", "web"]);
            return o.status?.availableReplicas === 2 && o;
        });
        assert.equal(condition(d, "Available").status, "True");
        const pods = get(["pods", "-l", "app=web"]).items;
        assert.equal(pods.length, 2);
        for (const p of pods) {
            assert.match(p.spec.nodeName, /^kwok-node-[01]$/);
            assert.equal(p.status.phase, "Running");
            assert.ok(p.status.podIP.startsWith(KWOK_POD_CIDR.split(".").slice(0, 2).join(".")), p.status.podIP);
            assert.deepEqual(
                p.status.containerStatuses.map((c: Any) => [c.name, c.ready, !!c.state.running]),
                [["c", true, true]],
            );
            // second-resolution timestamps: a 2 s delay shows as at least 1 s
            const scheduled = Date.parse(condition(p, "PodScheduled").lastTransitionTime);
            const ready = Date.parse(condition(p, "Ready").lastTransitionTime);
            assert.ok(
                ready - scheduled >= 1000,
                `Ready ${ready - scheduled} ms after scheduling; podReadyDelayMs is 2000`,
            );
        }
    });

    it("gives a Service ready endpoints", function () {
        apply({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web", namespace: NS },
            spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
        });
        const slice = waitFor("an EndpointSlice with two ready endpoints", 30_000, () =>
            get(["endpointslices", "-l", "kubernetes.io/service-name=web"]).items.find(
                (s: Any) => (s.endpoints ?? []).filter((e: Any) => e.conditions?.ready).length === 2,
            ),
        );
        assert.equal(slice.ports[0].port, 8080);
    });

    it("ends a Job's Pod Succeeded, and Failed when it runs a listed image", function () {
        apply(job("good", "busybox:1"), job("bad", failing));
        const good = waitFor("Job good Complete", 60_000, () => {
            const o = get(["job", "good"]);
            return condition(o, "Complete")?.status === "True" && o;
        });
        assert.equal(good.status.succeeded, 1);
        const bad = waitFor("Job bad Failed", 60_000, () => {
            const o = get(["job", "bad"]);
            return condition(o, "Failed")?.status === "True" && o;
        });
        assert.equal(condition(bad, "Failed").reason, "BackoffLimitExceeded");
        assert.equal(condition(bad, "Complete"), undefined);
        const [pod] = get(["pods", "-l", "app=bad"]).items;
        assert.equal(pod.status.phase, "Failed");
        assert.deepEqual(pod.status.containerStatuses[0].state.terminated.exitCode, 1);
        const [goodPod] = get(["pods", "-l", "app=good"]).items;
        assert.equal(goodPod.status.containerStatuses[0].state.terminated.exitCode, 0);
    });

    it("binds a claim of a class no StorageClass names, schedules its Pod, and deletes the volume when released", function () {
        apply({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "shared", namespace: NS },
            spec: {
                accessModes: ["ReadWriteMany"],
                storageClassName: "nfs-client",
                resources: { requests: { storage: "10Gi" } },
            },
        });
        const pvc = waitFor("claim shared Bound", 60_000, () => {
            const o = get(["pvc", "shared"]);
            return o.status?.phase === "Bound" && o;
        });
        const pv = JSON.parse(ok(["get", "pv", pvc.spec.volumeName, "-o", "json"]));
        assert.equal(pv.spec.storageClassName, "nfs-client");
        assert.deepEqual(pv.spec.accessModes, ["ReadWriteMany"]);
        assert.equal(pv.spec.capacity.storage, "10Gi");
        apply({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "uses-claim", namespace: NS },
            spec: {
                ...podTemplate("uses-claim", "busybox:1").spec,
                volumes: [{ name: "d", persistentVolumeClaim: { claimName: "shared" } }],
            },
        });
        waitFor("Pod uses-claim Running", 60_000, () => get(["pod", "uses-claim"]).status.phase === "Running");
        ok(["delete", "pod", "uses-claim", "-n", NS, "--timeout=30s"]);
        ok(["delete", "pvc", "shared", "-n", NS, "--timeout=30s"]);
        waitFor(`volume ${pv.metadata.name} deleted`, 60_000, () => run(["get", "pv", pv.metadata.name]).status !== 0);
    });

    it("deletes Pods at once: a foreground delete of the Deployment completes", function () {
        const t0 = Date.now();
        ok(["delete", "deployment", "web", "-n", NS, "--cascade=foreground", "--timeout=30s"]);
        assert.deepEqual(get(["pods", "-l", "app=web"]).items, []);
        console.log(`      foreground deletion of 2 running Pods' Deployment took ${Date.now() - t0} ms`);
    });
});

describe("simulated nodes: teardown (e2e)", function () {
    this.timeout(300_000);

    it("stop() ends etcd, kube-apiserver, the controller-manager, the scheduler and kwok", async function () {
        if (!findKubeBinaries({ kwok: true }).binaries) this.skip();
        const s = await startApiServer({ kwok: {}, keepDir: true });
        try {
            assert.equal(pidsUsing(s.dir).length >= 5, true, `expected 5 servers, found ${pidsUsing(s.dir).length}`);
        } finally {
            await s.stop();
        }
        assert.deepEqual(pidsUsing(s.dir), []);
        fs.rmSync(s.dir, { recursive: true, force: true });
    });
});
