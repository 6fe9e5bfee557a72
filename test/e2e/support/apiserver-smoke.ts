/**
 * What the kube-apiserver smoke suites (apiserver-smoke.e2e.ts and apiserver-ssa-rbac.e2e.ts) share:
 * the namespace they work in, the ServiceAccount identity prefix they impersonate, and kubectl as
 * they call it (asserting success, server-side apply as field manager `smoke`). Each suite starts
 * its own control plane; this keeps the way they talk to it the same.
 */
import * as assert from "assert";
import type { ApiServer, KubectlResult } from "../../support/apiserver";

export const NS = "smoke";
export const SA_PREFIX = `system:serviceaccount:${NS}:`;

/** NS, enforcing the restricted Pod Security level. */
export const SMOKE_NAMESPACE = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
};

export function manifest(...objs: object[]): string {
    // JSON is YAML; one object per document.
    return objs.map((o) => JSON.stringify(o)).join("\n---\n");
}

/** kubectl against `kube()`: as is, asserting success (`ok`), and server-side apply of objects. */
export function smokeKubectl(kube: () => ApiServer) {
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
    return { kubectl, ok, apply };
}
