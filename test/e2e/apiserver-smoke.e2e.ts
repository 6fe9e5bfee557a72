/**
 * Smoke test of the real test control plane (etcd + kube-apiserver + kube-controller-manager, see
 * test/support/apiserver.ts); the SSA/RBAC finding is apiserver-ssa-rbac.e2e.ts. Skips when the
 * binaries are not built (scripts/build-kube.sh). Run:
 *   npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 test/e2e/apiserver-smoke.e2e.ts
 */
import * as assert from "assert";
import { canIAnswer, useApiServer } from "../support/apiserver";
import { NS, SA_PREFIX, SMOKE_NAMESPACE, manifest, smokeKubectl } from "./support/apiserver-smoke";

/** Restricted-compliant container/pod security settings. */
const RESTRICTED_POD_SC = { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } };
const RESTRICTED_CONTAINER_SC = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

function sleepMs(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A Deployment in NS; `compliant` decides whether its pods meet the restricted level. */
function deployment(name: string, compliant: boolean): object {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: NS },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name } },
                spec: {
                    ...(compliant ? { securityContext: RESTRICTED_POD_SC } : {}),
                    containers: [
                        {
                            name: "web",
                            image: "nginx:1",
                            ...(compliant ? { securityContext: RESTRICTED_CONTAINER_SC } : {}),
                        },
                    ],
                },
            },
        },
    };
}

interface Meta {
    name: string;
    namespace?: string;
    uid: string;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    deletionTimestamp?: string;
    finalizers?: string[];
}
interface ListOf<T> {
    items: T[];
}
interface PodJson {
    metadata: Meta;
    spec: { nodeName?: string; serviceAccountName?: string };
    status: { phase?: string };
}
interface ReplicaSetJson {
    metadata: Meta;
    status: { conditions?: { type: string; reason?: string; message?: string }[] };
}
interface EventJson {
    reason: string;
    message: string;
    involvedObject: { kind: string; name: string };
}

describe("kube-apiserver smoke (e2e)", function () {
    const kube = useApiServer();

    const { kubectl, ok, apply } = smokeKubectl(kube);
    function getJson<T>(args: string[]): T {
        return JSON.parse(ok(["get", ...args, "-o", "json"])) as T;
    }
    /** Polls `probe` (every 100 ms) until it returns a value; fails with `what` and the last state. */
    function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): { value: T; ms: number } {
        const t0 = Date.now();
        for (;;) {
            const v = probe();
            if (v !== undefined) {
                return { value: v, ms: Date.now() - t0 };
            }
            if (Date.now() - t0 > timeoutMs) {
                assert.fail(`${what}: not within ${timeoutMs} ms\n${kube().logs(30)}`);
            }
            sleepMs(100);
        }
    }
    const ownedBy = (m: Meta, kind: string, name: string): boolean =>
        (m.ownerReferences ?? []).some((o) => o.kind === kind && o.name === name);
    function replicaSetOf(deploy: string): ReplicaSetJson {
        return waitFor(`a ReplicaSet of Deployment ${deploy}`, 20_000, () =>
            getJson<ListOf<ReplicaSetJson>>(["rs", "-n", NS]).items.find((rs) =>
                ownedBy(rs.metadata, "Deployment", deploy),
            ),
        ).value;
    }
    const podsOf = (app: string, ns = NS): PodJson[] =>
        getJson<ListOf<PodJson>>(["pods", "-n", ns, "-l", `app=${app}`]).items;

    before(function () {
        const t = kube().timings;
        console.log(
            `      control plane ready in ${t.totalMs} ms (API server ${t.readyzMs} ms after spawn, ` +
                `controller-manager ${t.controllerManagerMs ?? "-"} ms after its spawn) at ${kube().server}`,
        );
    });

    it("serves the built release and kubectl matches it", function () {
        const v = JSON.parse(ok(["version", "-o", "json"])) as {
            clientVersion: { gitVersion: string };
            serverVersion: { gitVersion: string };
        };
        assert.match(v.serverVersion.gitVersion, /^v1\.\d+\.\d+$/);
        assert.strictEqual(v.clientVersion.gitVersion, v.serverVersion.gitVersion);
        console.log(`      kubectl ${v.clientVersion.gitVersion}, kube-apiserver ${v.serverVersion.gitVersion}`);
    });

    it("runs a kube-controller-manager of the same release", function () {
        assert.strictEqual(kube().controllerManager, true);
        const serverVersion = (JSON.parse(ok(["version", "-o", "json"])) as { serverVersion: { gitVersion: string } })
            .serverVersion.gitVersion;
        assert.match(kube().logs(400), new RegExp(`"Starting" version="${serverVersion.replace(/\./g, "\\.")}`));
    });

    it("creates a namespace enforcing the restricted Pod Security level; it gets its default ServiceAccount", function () {
        apply([SMOKE_NAMESPACE]);
        const label = ok(["get", "ns", NS, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"]);
        assert.strictEqual(label, "restricted");
        // The serviceaccount controller creates it (ServiceAccount admission needs it
        // for every Pod); the root CA publisher adds kube-root-ca.crt.
        const sa = waitFor("ServiceAccount default", 10_000, () =>
            kubectl(["get", "sa", "default", "-n", NS]).status === 0 ? true : undefined,
        );
        const ca = waitFor("ConfigMap kube-root-ca.crt", 10_000, () => {
            const r = kubectl(["get", "cm", "kube-root-ca.crt", "-n", NS, "-o", "jsonpath={.data.ca\\.crt}"]);
            return r.status === 0 && r.stdout.includes("BEGIN CERTIFICATE") ? r.stdout : undefined;
        });
        assert.ok(kube().caPem.includes(ca.value.trim()), "kube-root-ca.crt is the CA of the serving certificate");
        console.log(`      default ServiceAccount after ${sa.ms} ms, kube-root-ca.crt after ${sa.ms + ca.ms} ms`);
    });

    it("applies a ConfigMap and a Deployment with server-side apply", function () {
        apply([
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: NS }, data: { a: "1" } },
            deployment("web", true),
        ]);
        assert.strictEqual(ok(["get", "cm", "cfg", "-n", NS, "-o", "jsonpath={.data.a}"]), "1");
        const mf = JSON.parse(ok(["get", "deploy", "web", "-n", NS, "-o", "json", "--show-managed-fields"])) as {
            metadata: { managedFields: { manager: string; operation: string }[] };
        };
        assert.ok(
            mf.metadata.managedFields.some((f) => f.manager === "smoke" && f.operation === "Apply"),
            JSON.stringify(mf.metadata.managedFields),
        );
        // Re-applying a changed value is a server-side update of the same manager.
        apply([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: NS }, data: { a: "2" } }]);
        assert.strictEqual(ok(["get", "cm", "cfg", "-n", NS, "-o", "jsonpath={.data.a}"]), "2");
    });

    describe("controllers (kube-controller-manager)", function () {
        it("a Deployment gets a ReplicaSet, and its compliant template a Pod (Pending: no scheduler)", function () {
            const rs = replicaSetOf("web");
            const pod = waitFor("a Pod of ReplicaSet " + rs.metadata.name, 20_000, () =>
                podsOf("web").find((p) => ownedBy(p.metadata, "ReplicaSet", rs.metadata.name)),
            );
            assert.strictEqual(pod.value.status.phase, "Pending");
            assert.strictEqual(pod.value.spec.nodeName, undefined, "nothing schedules pods");
            assert.strictEqual(pod.value.spec.serviceAccountName, "default");
            console.log(`      ReplicaSet ${rs.metadata.name}, Pod ${pod.value.metadata.name} (Pending)`);
        });

        it("a non-compliant template yields no Pod but FailedCreate (PodSecurity) on the ReplicaSet", function () {
            apply([deployment("bad", false)]);
            const rs = replicaSetOf("bad");
            const ev = waitFor("a FailedCreate event of ReplicaSet " + rs.metadata.name, 20_000, () =>
                getJson<ListOf<EventJson>>(["events", "-n", NS]).items.find(
                    (e) =>
                        e.reason === "FailedCreate" &&
                        e.involvedObject.kind === "ReplicaSet" &&
                        e.involvedObject.name === rs.metadata.name,
                ),
            ).value;
            assert.match(ev.message, /violates PodSecurity "restricted:latest"/, ev.message);
            const cond = waitFor("condition ReplicaFailure on ReplicaSet " + rs.metadata.name, 20_000, () =>
                getJson<ReplicaSetJson>(["rs", rs.metadata.name, "-n", NS]).status.conditions?.find(
                    (c) => c.type === "ReplicaFailure",
                ),
            ).value;
            assert.strictEqual(cond.reason, "FailedCreate");
            assert.match(cond.message ?? "", /PodSecurity/);
            assert.deepStrictEqual(podsOf("bad"), []);
        });

        it("a Job gets a Pod", function () {
            const job = {
                apiVersion: "batch/v1",
                kind: "Job",
                metadata: { name: "ctl-job", namespace: NS },
                spec: {
                    template: {
                        metadata: { labels: { app: "ctl-job" } },
                        spec: {
                            restartPolicy: "Never",
                            securityContext: RESTRICTED_POD_SC,
                            containers: [
                                {
                                    name: "c",
                                    image: "busybox:1",
                                    command: ["true"],
                                    securityContext: RESTRICTED_CONTAINER_SC,
                                },
                            ],
                        },
                    },
                },
            };
            apply([job]);
            const pod = waitFor("a Pod of Job ctl-job", 20_000, () =>
                podsOf("ctl-job").find((p) => ownedBy(p.metadata, "Job", "ctl-job")),
            ).value;
            assert.strictEqual(pod.status.phase, "Pending");
        });

        it("kubectl delete deployment --cascade=foreground completes (garbage collector)", function () {
            const rs = replicaSetOf("web");
            assert.ok(podsOf("web").length > 0);
            const t0 = Date.now();
            // kubectl waits (--wait=true) until the object is gone, and fails after --timeout; without a
            // garbage collector it would keep its foregroundDeletion finalizer forever. The timeout
            // tells "never" from "slow on a loaded machine" (~0.3 s when idle).
            ok(["delete", "deployment", "web", "-n", NS, "--cascade=foreground", "--timeout=100s"]);
            const ms = Date.now() - t0;
            const r = kubectl(["get", "deployment", "web", "-n", NS]);
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, /NotFound/);
            // Foreground: the dependents went first.
            assert.notStrictEqual(kubectl(["get", "rs", rs.metadata.name, "-n", NS]).status, 0);
            assert.deepStrictEqual(podsOf("web"), []);
            console.log(`      foreground deletion of Deployment web took ${ms} ms`);
        });

        it("deleting a namespace completes (not stuck Terminating)", function () {
            const doomed = `${NS}-doomed`;
            apply([
                { apiVersion: "v1", kind: "Namespace", metadata: { name: doomed } },
                { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: doomed }, data: { a: "1" } },
            ]);
            waitFor(`ServiceAccount default in ${doomed}`, 10_000, () =>
                kubectl(["get", "sa", "default", "-n", doomed]).status === 0 ? true : undefined,
            );
            apply([
                { ...(deployment("web", true) as { metadata: object }), metadata: { name: "web", namespace: doomed } },
            ]);
            waitFor(`a Pod in ${doomed}`, 20_000, () => (podsOf("web", doomed).length > 0 ? true : undefined));
            const t0 = Date.now();
            // waits until it is gone (~5.5 s when idle), failing after --timeout: stuck Terminating
            ok(["delete", "namespace", doomed, "--timeout=100s"]);
            const ms = Date.now() - t0;
            const r = kubectl(["get", "namespace", doomed]);
            assert.notStrictEqual(r.status, 0, r.stdout);
            assert.match(r.stderr, /NotFound/);
            console.log(`      deleting namespace ${doomed} (Deployment, ReplicaSet, Pod, ConfigMap) took ${ms} ms`);
        });
    });

    it("authorizes a ServiceAccount through a Role and RoleBinding (auth can-i)", function () {
        apply([
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "reader", namespace: NS } },
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "Role",
                metadata: { name: "cm-reader", namespace: NS },
                rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
            },
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata: { name: "cm-reader", namespace: NS },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
                subjects: [{ kind: "ServiceAccount", name: "reader", namespace: NS }],
            },
        ]);
        const canI = (verb: string, resource: string, ns = NS): boolean => {
            const question = [verb, resource, "-n", ns, `--as=${SA_PREFIX}reader`];
            return canIAnswer(kubectl(["auth", "can-i", ...question]), question.join(" "));
        };
        assert.strictEqual(canI("list", "configmaps"), true);
        for (const [verb, resource, ns] of [
            ["delete", "configmaps", NS],
            ["get", "secrets", NS],
            ["list", "configmaps", "default"],
        ]) {
            assert.strictEqual(canI(verb, resource, ns), false, `${verb} ${resource} -n ${ns}`);
        }
        // an error is not a "no": a question kubectl could not ask fails
        const unreachable = kubectl(["auth", "can-i", "list", "configmaps", "-n", NS, "--server=https://127.0.0.1:1"]);
        assert.throws(() => canIAnswer(unreachable, "list configmaps (no server)"), /exit 1, answered ""/);
        // and the real API agrees
        ok(["get", "cm", "cfg", "-n", NS, `--as=${SA_PREFIX}reader`]);
        const r = kubectl(["get", "secrets", "-n", NS, `--as=${SA_PREFIX}reader`]);
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /forbidden/i);
    });

    describe("Pod Security admission (server-side dry-run)", function () {
        const pod = (name: string, compliant: boolean): object => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: NS },
            spec: {
                ...(compliant ? { securityContext: RESTRICTED_POD_SC } : {}),
                containers: [
                    {
                        name: "c",
                        image: "busybox:1",
                        ...(compliant ? { securityContext: RESTRICTED_CONTAINER_SC } : {}),
                    },
                ],
            },
        });

        it("rejects a non-compliant Pod", function () {
            const r = kubectl(["create", "--dry-run=server", "-f", "-"], manifest(pod("bad", false)));
            assert.notStrictEqual(r.status, 0, `expected rejection, got: ${r.stdout}`);
            assert.match(r.stderr, /violates PodSecurity "restricted:latest"/, r.stderr);
        });

        it("admits a compliant Pod (and dry-run persists nothing)", function () {
            const out = ok(["create", "--dry-run=server", "-f", "-"], manifest(pod("good", true)));
            assert.match(out, /pod\/good created \(server dry run\)/);
            const r = kubectl(["get", "pod", "good", "-n", NS]);
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, /NotFound/);
        });
    });

    it("creates a Job from a CronJob (kubectl create job --from=cronjob/x)", function () {
        apply([
            {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: "x", namespace: NS },
                spec: {
                    schedule: "0 3 * * *",
                    jobTemplate: {
                        spec: {
                            template: {
                                spec: {
                                    restartPolicy: "Never",
                                    securityContext: RESTRICTED_POD_SC,
                                    containers: [
                                        {
                                            name: "x",
                                            image: "busybox:1",
                                            command: ["true"],
                                            securityContext: RESTRICTED_CONTAINER_SC,
                                        },
                                    ],
                                },
                            },
                        },
                    },
                },
            },
        ]);
        ok(["create", "job", "x-manual-1", "--from=cronjob/x", "-n", NS]);
        const job = JSON.parse(ok(["get", "job", "x-manual-1", "-n", NS, "-o", "json"])) as {
            metadata: {
                annotations?: Record<string, string>;
                ownerReferences?: { kind: string; name: string }[];
            };
        };
        assert.strictEqual(job.metadata.annotations?.["cronjob.kubernetes.io/instantiate"], "manual");
        assert.deepStrictEqual(
            job.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`),
            ["CronJob/x"],
        );
    });
});
