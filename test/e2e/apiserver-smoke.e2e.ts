/**
 * Smoke test of the real test control plane (etcd + kube-apiserver, see
 * test/support/apiserver.ts). Skips when the binaries are not built
 * (scripts/build-kube.sh). Run:
 *   npx mocha -r ts-node/register/transpile-only --timeout 600000 test/e2e/apiserver-smoke.e2e.ts
 */
import * as assert from "assert";
import { KubectlResult, useApiServer } from "../support/apiserver";

const NS = "smoke";
const SA_PREFIX = `system:serviceaccount:${NS}:`;

/** Restricted-compliant container/pod security settings. */
const RESTRICTED_POD_SC = { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } };
const RESTRICTED_CONTAINER_SC = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

function manifest(...objs: object[]): string {
    // JSON is YAML; one object per document.
    return objs.map((o) => JSON.stringify(o)).join("\n---\n");
}

describe("kube-apiserver smoke (e2e)", function () {
    const kube = useApiServer();

    function kubectl(args: string[], input?: string): KubectlResult {
        return kube().run(args, { input });
    }
    function ok(args: string[], input?: string): string {
        const r = kubectl(args, input);
        assert.strictEqual(r.status, 0, `kubectl ${args.join(" ")} failed (${r.status}):\n${r.stderr}${r.stdout}`);
        return r.stdout;
    }
    function apply(objs: object[], extra: string[] = []): string {
        return ok(["apply", "--server-side", "--field-manager=smoke", ...extra, "-f", "-"], manifest(...objs));
    }

    before(function () {
        const t = kube().timings;
        console.log(`      API server ready in ${t.totalMs} ms (${t.readyzMs} ms after spawn) at ${kube().server}`);
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

    it("creates a namespace enforcing the restricted Pod Security level", function () {
        apply([
            {
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
            },
            // No kube-controller-manager: nothing creates the "default" ServiceAccount,
            // which ServiceAccount admission requires for Pods.
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: NS } },
        ]);
        const label = ok(["get", "ns", NS, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"]);
        assert.strictEqual(label, "restricted");
    });

    it("applies a ConfigMap and a Deployment with server-side apply", function () {
        apply([
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: NS }, data: { a: "1" } },
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "web", namespace: NS },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: { app: "web" } },
                    template: {
                        metadata: { labels: { app: "web" } },
                        spec: {
                            securityContext: RESTRICTED_POD_SC,
                            containers: [{ name: "web", image: "nginx:1", securityContext: RESTRICTED_CONTAINER_SC }],
                        },
                    },
                },
            },
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
        const canI = (verb: string, resource: string, ns = NS): KubectlResult =>
            kubectl(["auth", "can-i", verb, resource, "-n", ns, `--as=${SA_PREFIX}reader`]);
        const allowed = canI("list", "configmaps");
        assert.strictEqual(allowed.status, 0, allowed.stderr);
        assert.strictEqual(allowed.stdout.trim(), "yes");
        for (const [verb, resource, ns] of [
            ["delete", "configmaps", NS],
            ["get", "secrets", NS],
            ["list", "configmaps", "default"],
        ]) {
            const denied = canI(verb, resource, ns);
            assert.strictEqual(denied.status, 1, `${verb} ${resource} -n ${ns}: ${denied.stdout}${denied.stderr}`);
            assert.strictEqual(denied.stdout.trim(), "no");
        }
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

    /**
     * Decides the janitor's Role: what does `kubectl apply --server-side` need to
     * CREATE a Secret? (SSA is a PATCH; creating through it is authorized again as
     * verb "create" WITH the object's name, unlike a POST create.)
     */
    describe("RBAC needed by server-side apply that creates a Secret", function () {
        type Rule = { verbs: string[]; resourceNames?: string[] };
        const cases: { sa: string; rules: Rule[]; secret: string; expect: "allowed" | "forbidden" }[] = [
            { sa: "patch-only", rules: [{ verbs: ["patch"] }], secret: "s1", expect: "forbidden" },
            { sa: "create-only", rules: [{ verbs: ["create"] }], secret: "s2", expect: "forbidden" },
            { sa: "patch-create", rules: [{ verbs: ["patch", "create"] }], secret: "s3", expect: "allowed" },
            {
                sa: "named-patch-create",
                rules: [{ verbs: ["patch", "create"], resourceNames: ["s4"] }],
                secret: "s4",
                expect: "allowed",
            },
            {
                sa: "patch-plus-named-create",
                rules: [{ verbs: ["patch"] }, { verbs: ["create"], resourceNames: ["s5"] }],
                secret: "s5",
                expect: "allowed",
            },
            {
                sa: "named-other",
                rules: [{ verbs: ["patch", "create"], resourceNames: ["not-s6"] }],
                secret: "s6",
                expect: "forbidden",
            },
        ];
        const results: string[] = [];

        const grant = (sa: string, rules: Rule[]): object[] => [
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: NS } },
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "Role",
                metadata: { name: sa, namespace: NS },
                rules: rules.map((r) => ({ apiGroups: [""], resources: ["secrets"], ...r })),
            },
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata: { name: sa, namespace: NS },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: sa },
                subjects: [{ kind: "ServiceAccount", name: sa, namespace: NS }],
            },
        ];

        before(function () {
            apply(cases.flatMap((c) => grant(c.sa, c.rules)));
        });

        after(function () {
            console.log("      SSA-create Secret results:\n" + results.map((l) => `        ${l}`).join("\n"));
        });

        const secret = (name: string, value: string): object => ({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name, namespace: NS },
            stringData: { token: value },
        });
        const ssaAs = (sa: string, obj: object): KubectlResult =>
            kubectl(
                ["apply", "--server-side", "--field-manager=janitor", `--as=${SA_PREFIX}${sa}`, "-f", "-"],
                manifest(obj),
            );

        for (const c of cases) {
            const desc = c.rules
                .map((r) => `[${r.verbs.join(",")}]${r.resourceNames ? ` names=${r.resourceNames.join(",")}` : ""}`)
                .join(" + ");
            it(`${desc}: SSA create of secret ${c.secret} is ${c.expect}`, function () {
                const r = ssaAs(c.sa, secret(c.secret, "v1"));
                const got = r.status === 0 ? "allowed" : "forbidden";
                results.push(`${desc.padEnd(40)} -> ${got}${r.status === 0 ? "" : `: ${r.stderr.trim()}`}`);
                if (got === "forbidden") {
                    assert.match(r.stderr, /forbidden/i, r.stderr);
                }
                assert.strictEqual(got, c.expect, `${r.stdout}${r.stderr}`);
                const exists = kubectl(["get", "secret", c.secret, "-n", NS]).status === 0;
                assert.strictEqual(exists, c.expect === "allowed");
            });
        }

        it("once it exists, [patch] names=<it> alone is enough to re-apply it", function () {
            ok(["create", "secret", "generic", "s7", "-n", NS, "--from-literal=token=v0"]);
            apply(grant("named-patch-only", [{ verbs: ["patch"], resourceNames: ["s7"] }]));
            const r = ssaAs("named-patch-only", secret("s7", "v2"));
            results.push(`${"[patch] names=s7, s7 exists".padEnd(40)} -> ${r.status === 0 ? "allowed" : "forbidden"}`);
            assert.strictEqual(r.status, 0, r.stderr);
        });

        it("a POST create (kubectl create) is NOT allowed by a resourceNames create rule", function () {
            apply(grant("named-post", [{ verbs: ["create"], resourceNames: ["s8"] }]));
            const r = kubectl(["create", "secret", "generic", "s8", "-n", NS, "--from-literal=t=x", `--as=${SA_PREFIX}named-post`]);
            results.push(`${"POST create, [create] names=s8".padEnd(40)} -> ${r.status === 0 ? "allowed" : "forbidden"}`);
            assert.notStrictEqual(r.status, 0, r.stdout);
            assert.match(r.stderr, /forbidden/i);
        });
    });
});
