/**
 * The finding that decided the janitor's Role, on the real API server: what RBAC does
 * `kubectl apply --server-side` need to CREATE a Secret (docs/kube-apiserver.md, "Finding: what
 * RBAC does `kubectl apply --server-side` need to CREATE a Secret?"). Apart from the smoke test
 * (apiserver-smoke.e2e.ts) because it answers a question rather than checking the tools; it needs
 * only the namespace, so it starts its own control plane (a few seconds) and makes it first.
 * Skips when the binaries are not built (scripts/build-kube.sh). Run:
 *   npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 test/e2e/apiserver-ssa-rbac.e2e.ts
 */
import * as assert from "assert";
import { KubectlResult, useApiServer } from "../support/apiserver";
import { NS, SA_PREFIX, SMOKE_NAMESPACE, manifest, smokeKubectl } from "./support/apiserver-smoke";

describe("kube-apiserver smoke (e2e)", function () {
    const kube = useApiServer();
    const { kubectl, ok, apply } = smokeKubectl(kube);

    before(function () {
        // The namespace the smoke test makes in its first tests; the Roles and Secrets below live in it.
        apply([SMOKE_NAMESPACE]);
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
            const r = kubectl([
                "create",
                "secret",
                "generic",
                "s8",
                "-n",
                NS,
                "--from-literal=t=x",
                `--as=${SA_PREFIX}named-post`,
            ]);
            results.push(
                `${"POST create, [create] names=s8".padEnd(40)} -> ${r.status === 0 ? "allowed" : "forbidden"}`,
            );
            assert.notStrictEqual(r.status, 0, r.stdout);
            assert.match(r.stderr, /forbidden/i);
        });
    });
});
