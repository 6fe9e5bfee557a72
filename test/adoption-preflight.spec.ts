/**
 * The adoption's preflight, without a cluster: every reason `planAdoption` refuses a
 * release for, one table row each, so that a user learns all of them from one preview. The plans it
 * accepts are in test/adoption-plan.spec.ts; the real thing runs in test/e2e/adopt.e2e.ts.
 */
import { strict as assert } from "assert";
import { planAdoption } from "../components/adoption/plan";
import { Edit, minimalInstall, noRecord, pvc, stackConfig, withObject, withRecord } from "./fixtures/adoption";

describe("the adoption's preflight refuses, with every reason (planAdoption)", () => {
    const cases: { name: string; values?: Record<string, unknown>; live: Edit[]; problems: [string, RegExp][] }[] = [
        {
            name: "no record and no objects of the stack",
            live: [noRecord, withObject("Deployment/worker", () => undefined)],
            problems: [
                ["adopt.helmRelease", /namespace `backline` holds no record .*`helm list -A`.*adopt\.releaseNamespace/],
            ],
        },
        {
            name: "no record, but the objects are still Helm's (the record was deleted by hand)",
            live: [noRecord],
            problems: [["adopt.helmRelease", /holds no record/]],
        },
        {
            name: "a failed release",
            live: [withRecord((r) => ({ ...r, version: 2, status: "failed" }))],
            problems: [
                ["adopt.helmRelease", /is `failed` \(revision 2\).*helm history backline -n backline.*helm rollback/],
            ],
        },
        {
            name: "a pending upgrade",
            live: [withRecord((r) => ({ ...r, status: "pending-upgrade" }))],
            problems: [["adopt.helmRelease", /is `pending-upgrade`/]],
        },
        {
            name: "another chart",
            live: [withRecord((r) => ({ ...r, chart: { name: "nginx", version: "1.0.0" } }))],
            problems: [["adopt.helmRelease", /chart `nginx` 1\.0\.0/]],
        },
        {
            name: "objects in another namespace than namespaceOverride",
            values: { namespaceOverride: "backline-prod" },
            live: [],
            problems: [
                ["namespaceOverride", /got `backline-prod`, but the objects of release `backline` are in `backline`/],
            ],
        },
        {
            name: "an object the stack does not declare, of a kind it does not replace",
            live: [
                withRecord((r) => ({
                    ...r,
                    objects: [
                        ...r.objects,
                        { apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "worker", namespace: "backline" },
                    ],
                })),
            ],
            problems: [
                [
                    "adopt.keep",
                    /has `Ingress\/worker`, which the stack does not declare\. Add `Ingress\/worker` to `adopt\.keep`/,
                ],
            ],
        },
        {
            name: "an object the stack does not declare: `adopt.keep` and `adopt.remove` both offered",
            live: [
                withRecord((r) => ({
                    ...r,
                    objects: [
                        ...r.objects,
                        { apiVersion: "v1", kind: "Secret", name: "backline-access", namespace: "backline" },
                    ],
                })),
            ],
            problems: [
                [
                    "adopt.keep",
                    /`Secret\/backline-access`.*to `adopt\.keep` to leave it in place.*or to `adopt\.remove` to delete it once the take-over has succeeded \(a copy is kept in Secret `backline-helm-backup\.backline\.secret\.backline-access`\)/,
                ],
            ],
        },
        {
            name: "`adopt.remove` naming an object outside the release, one the stack declares, and a claim",
            values: {
                adopt: {
                    helmRelease: "backline",
                    remove: ["Secret/nope", "Deployment/worker", "PersistentVolumeClaim/old-data"],
                },
            },
            live: [
                withRecord((r) => ({
                    ...r,
                    objects: [
                        ...r.objects,
                        { apiVersion: "v1", kind: "PersistentVolumeClaim", name: "old-data", namespace: "backline" },
                    ],
                })),
            ],
            problems: [
                ["adopt.remove", /lists `Secret\/nope`, which is not an object of release `backline`/],
                ["adopt.remove", /lists `Deployment\/worker`, which the stack declares/],
                ["adopt.remove", /lists `PersistentVolumeClaim\/old-data`: the adoption never deletes a claim/],
                ["worker.storage.pvc.name", /the release's claim is `old-data`/],
            ],
        },
        {
            name: "the release's claim, with the stack on an existing claim",
            values: { worker: { storage: { pvc: { create: false } } } },
            live: [],
            problems: [["worker.storage.pvc.create", /is false, but the release created claim `worker-storage`/]],
        },
        {
            name: "another claim name",
            values: { worker: { storage: { pvc: { name: "data" } } } },
            live: [],
            problems: [["worker.storage.pvc.name", /got "data", but the release's claim is `worker-storage`/]],
        },
        {
            name: "the claim on an incompatible class (both named)",
            values: { worker: { storage: { pvc: { storageClassName: "standard-rwx" } } } },
            live: [pvc({ storageClassName: "other-rwx" })],
            problems: [
                [
                    "worker.storage.pvc.storageClassName",
                    /got "standard-rwx", but claim `worker-storage` is on class `other-rwx`/,
                ],
            ],
        },
        {
            name: "a smaller claim",
            values: { worker: { storage: { pvc: { size: "5Gi" } } } },
            live: [],
            problems: [["worker.storage.pvc.size", /got "5Gi", smaller than claim `worker-storage` \(10Gi\)/]],
        },
        {
            name: "a larger claim on a class without expansion",
            values: { worker: { storage: { pvc: { size: "20Gi" } } } },
            live: [],
            problems: [["worker.storage.pvc.size", /does not allow volume expansion/]],
        },
        {
            name: "another size for an unbound claim",
            values: { worker: { storage: { pvc: { size: "20Gi" } } } },
            live: [pvc({}, { phase: "Pending" })],
            problems: [["worker.storage.pvc.size", /is not bound, and an unbound claim cannot be resized/]],
        },
        {
            name: "a claim outside the release where the stack would create one",
            live: [withRecord((r) => ({ ...r, objects: r.objects.filter((o) => o.kind !== "PersistentVolumeClaim") }))],
            problems: [["worker.storage.pvc.create", /exists and is not part of the release/]],
        },
        {
            name: "`adopt.keep` naming an object outside the release, and one the stack declares",
            values: { adopt: { helmRelease: "backline", keep: ["Role/nope", "Deployment/worker"] } },
            live: [],
            problems: [
                ["adopt.keep", /lists `Role\/nope`, which is not an object of release `backline`/],
                ["adopt.keep", /lists `Deployment\/worker`, which the stack declares/],
            ],
        },
        {
            name: "a Secret of another type, an immutable ConfigMap",
            live: [
                withObject("Secret/backline-access-key", (o) => ({ ...o, type: "kubernetes.io/basic-auth" })),
                withObject("ConfigMap/janitor-script", (o) => ({ ...o, immutable: true })),
            ],
            problems: [
                ["adopt.helmRelease", /of type `kubernetes\.io\/basic-auth`.*cannot change/],
                ["adopt.helmRelease", /ConfigMap `janitor-script` is immutable/],
            ],
        },
        {
            name: "everything wrong at once is said at once",
            values: { worker: { storage: { pvc: { storageClassName: "standard-rwx", size: "1Gi" } } } },
            live: [withRecord((r) => ({ ...r, status: "failed" })), pvc({ storageClassName: "other-rwx" })],
            problems: [
                ["adopt.helmRelease", /is `failed`/],
                ["worker.storage.pvc.storageClassName", /other-rwx/],
                ["worker.storage.pvc.size", /smaller/],
            ],
        },
    ];
    for (const t of cases) {
        it(t.name, () => {
            const live = (t.live ?? []).reduce((l, edit) => edit(l), minimalInstall());
            const plan = planAdoption(stackConfig(t.values), live);
            assert.equal(plan.kind, "refused", JSON.stringify(plan));
            if (plan.kind !== "refused") return;
            assert.equal(plan.problems.length, t.problems.length, JSON.stringify(plan.problems, null, 2));
            t.problems.forEach(([key, message], i) => {
                assert.equal(plan.problems[i].key, key);
                assert.match(plan.problems[i].message, message);
            });
        });
    }
});
