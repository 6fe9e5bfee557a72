/**
 * What Helm leaves behind and an adoption must read or rewrite: the objects' field
 * ownership (`managedFields`, handed from `helm` and `kubectl` to the stack's manager so that
 * server-side apply neither conflicts nor drops fields) and the release record Secret (decoded and
 * its values coalesced as Helm does).
 */
import { strict as assert } from "assert";
import * as zlib from "zlib";
import { coalesceValues, decodeReleaseRecord, manifestObjects, releaseRecordOf } from "../components/adoption/release";
import { foreignManagers, handOver, ManagedFieldsEntry } from "../components/adoption/managed-fields";
import { helm, kcm } from "./fixtures/adoption";

describe("handing Helm's field ownership over (managedFields)", () => {
    const deployFields = (leaf: string) => ({ "f:spec": { [leaf]: {} } });
    it("turns helm's and kubectl's updates into one Apply entry of the stack's manager, other entries unchanged", () => {
        const entries: ManagedFieldsEntry[] = [
            { ...helm(deployFields("f:replicas")), apiVersion: "apps/v1" },
            { ...helm(deployFields("f:template")), manager: "kubectl-set", apiVersion: "apps/v1" },
            { ...kcm, apiVersion: "apps/v1" },
            {
                ...helm({ "f:metadata": { "f:annotations": { "f:deployment.kubernetes.io/revision": {} } } }),
                manager: "kube-controller-manager",
                apiVersion: "apps/v1",
            },
        ];
        const out = handOver(entries, "pulumi-backline", "2026-02-02T00:00:00Z");
        assert.deepEqual(out, [
            entries[2],
            entries[3],
            {
                manager: "pulumi-backline",
                operation: "Apply",
                apiVersion: "apps/v1",
                time: "2026-02-02T00:00:00Z",
                fieldsType: "FieldsV1",
                fieldsV1: { "f:spec": { "f:replicas": {}, "f:template": {} } },
            },
        ]);
    });
    it("merges with the manager's own Apply entry, and keeps API versions apart", () => {
        const ours: ManagedFieldsEntry = {
            ...helm({ "f:data": { "f:a": {} } }),
            manager: "pulumi-backline",
            operation: "Apply",
        };
        const out = handOver(
            [ours, helm({ "f:data": { "f:b": {} } }), { ...helm({ "f:x": {} }), apiVersion: "v2" }],
            "pulumi-backline",
            "t",
        );
        assert.deepEqual(
            out?.map((e) => [e.manager, e.operation, e.apiVersion, e.fieldsV1]),
            [
                ["pulumi-backline", "Apply", "v1", { "f:data": { "f:a": {}, "f:b": {} } }],
                ["pulumi-backline", "Apply", "v2", { "f:x": {} }],
            ],
        );
    });
    it("has nothing to do when no entry is Helm's or kubectl's (status writes never move)", () => {
        assert.equal(handOver([kcm, { ...helm(), subresource: "status" }], "pulumi-backline", "t"), undefined);
    });
    it("names other managers of the object itself, not controllers, Helm's storage or the janitor", () => {
        assert.deepEqual(
            foreignManagers([
                kcm,
                helm(),
                { ...helm(), manager: "argocd-controller", operation: "Apply" },
                { ...helm(), manager: "kube-controller-manager" },
                { ...helm(), manager: "backline-janitor", operation: "Apply" },
                { ...helm(), manager: "vpa", subresource: "status" },
            ]),
            ["argocd-controller (Apply)"],
        );
    });
});

describe("Helm's release record", () => {
    const doc = {
        name: "backline",
        namespace: "backline",
        version: 3,
        info: { status: "deployed" },
        chart: { metadata: { name: "backline", version: "0.1.0" }, values: { a: { b: 1, c: 2 }, d: "x" } },
        config: { a: { c: null, e: 5 }, d: "y" },
        manifest: [
            "---\n# Source: a\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: worker\n",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\n",
            "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: other\n",
        ].join(""),
    };
    it("decodes a record Secret's data (base64 of base64 of gzip of JSON)", () => {
        const helmEncoded = zlib.gzipSync(Buffer.from(JSON.stringify(doc))).toString("base64");
        const release = Buffer.from(helmEncoded).toString("base64");
        assert.deepEqual(decodeReleaseRecord({ release }), doc);
    });
    it("reads the manifest's objects; namespaced ones default to the release's namespace", () => {
        assert.deepEqual(manifestObjects(doc.manifest, "backline"), [
            { apiVersion: "v1", kind: "ServiceAccount", name: "worker", namespace: "backline" },
            { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: "x" },
            { apiVersion: "v1", kind: "Secret", name: "s", namespace: "other" },
        ]);
    });
    it("coalesces values as Helm does: maps merge, null removes, the user's win", () => {
        assert.deepEqual(coalesceValues(doc.chart.values, doc.config), { a: { b: 1, e: 5 }, d: "y" });
        assert.deepEqual(releaseRecordOf(doc, "backline").values, { a: { b: 1, e: 5 }, d: "y" });
    });
});
