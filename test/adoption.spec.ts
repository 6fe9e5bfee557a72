/**
 * The adoption of a Helm release (issue 13), without a cluster: the planner's refusals and facts
 * (tables), the handover of field ownership, the release record, the values that differ, the
 * `adopt.*` keys. The real thing runs in test/e2e/adopt.e2e.ts.
 */
import { testCaPem } from "./fixtures/enterprise-examples";
import { strict as assert } from "assert";
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { BacklineStack } from "../components";
import { parseBacklineConfig } from "../components/config";
import { adoptionStackConfig } from "../components/adoption/prepare";
import { coalesceValues, decodeReleaseRecord, manifestObjects, releaseRecordOf } from "../components/adoption/release";
import {
    AdoptionStackConfig,
    declaredObjects,
    LiveObject,
    LiveRelease,
    planAdoption,
    ReleaseRecord,
} from "../components/specs/adoption";
import { describeAdoption, valueDifferences } from "../components/specs/adoptionChanges";
import { FieldSet, foreignManagers, handOver, ManagedFieldsEntry } from "../components/specs/managedFields";
import { minimal } from "./fixtures/examples";
import { RecordingMocks, runProgram, settle } from "./support/mocks";

const helm = (fields: FieldSet = { "f:metadata": { "f:labels": {} } }): ManagedFieldsEntry => ({
    manager: "helm",
    operation: "Update",
    apiVersion: "v1",
    time: "2026-01-01T00:00:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: fields,
});
const kcm: ManagedFieldsEntry = {
    manager: "kube-controller-manager",
    operation: "Update",
    apiVersion: "v1",
    subresource: "status",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:status": {} },
};

/** A live object of the chart: Helm's labels and annotations, `helm` as its manager. */
function chartObject(kind: string, name: string, extra: Partial<LiveObject> = {}): LiveObject {
    const apiVersion =
        { Deployment: "apps/v1", CronJob: "batch/v1", Role: "rbac.authorization.k8s.io/v1" }[kind] ??
        (kind === "RoleBinding" ? "rbac.authorization.k8s.io/v1" : "v1");
    return {
        apiVersion,
        kind,
        ...extra,
        metadata: {
            name,
            namespace: "backline",
            uid: `uid-${kind}-${name}`,
            resourceVersion: "1",
            labels: { "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "backline-0.1.0" },
            annotations: { "meta.helm.sh/release-name": "backline", "meta.helm.sh/release-namespace": "backline" },
            managedFields: [helm(), kcm],
            ...extra.metadata,
        },
    };
}

const selector = { "app.kubernetes.io/name": "backline-worker", "app.kubernetes.io/instance": "backline" };
const workerImage = "registry.example/prod-worker:live";

/** The Minimal install as `live.ts` reads it. */
function minimalInstall(): LiveRelease {
    const objects: LiveObject[] = [
        chartObject("Secret", "backline-access-key", { type: "Opaque" }),
        chartObject("ServiceAccount", "worker"),
        chartObject("ServiceAccount", "janitor"),
        chartObject("ConfigMap", "janitor-script"),
        chartObject("ConfigMap", "adot-collector-config"),
        chartObject("PersistentVolumeClaim", "worker-storage", {
            spec: {
                storageClassName: "standard-rwx",
                accessModes: ["ReadWriteMany"],
                resources: { requests: { storage: "10Gi" } },
            },
            status: { phase: "Bound", capacity: { storage: "10Gi" } },
        }),
        chartObject("Role", "backline-worker"),
        chartObject("Role", "backline-janitor"),
        chartObject("RoleBinding", "backline-worker"),
        chartObject("RoleBinding", "backline-janitor"),
        chartObject("Service", "worker"),
        chartObject("Deployment", "worker", {
            spec: {
                selector: { matchLabels: selector },
                template: { spec: { containers: [{ name: "worker", image: workerImage }] } },
            },
        }),
        chartObject("CronJob", "janitor"),
    ];
    const newest: ReleaseRecord = {
        version: 1,
        status: "deployed",
        chart: { name: "backline", version: "0.1.0" },
        values: { worker: { replicaCount: 1 } },
        objects: objects.map((o) => ({
            apiVersion: o.apiVersion,
            kind: o.kind,
            name: o.metadata.name,
            namespace: "backline",
        })),
    };
    return {
        revisions: [{ secret: "sh.helm.release.v1.backline.v1", version: 1, status: "deployed" }],
        newest,
        objects: Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o])),
        storageClass: { name: "standard-rwx", allowVolumeExpansion: false },
        podSecurityWarnings: [],
    };
}

/** The stack side, from the Minimal example plus `adopt.helmRelease` and these values. */
function stackConfig(values: Record<string, unknown> = {}): AdoptionStackConfig {
    const r = parseBacklineConfig({ ...minimal, adopt: { helmRelease: "backline" }, ...values });
    assert.ok(r.ok, JSON.stringify(r.problems));
    const c = adoptionStackConfig(r.config);
    assert.ok(c);
    return c;
}

type Edit = (live: LiveRelease) => LiveRelease;
const withObject =
    (name: string, edit: (o: LiveObject) => LiveObject | undefined): Edit =>
    (live) => {
        const objects = { ...live.objects };
        const next = edit(objects[name]);
        if (next) objects[name] = next;
        else delete objects[name];
        return { ...live, objects };
    };
const withRecord =
    (edit: (r: ReleaseRecord) => ReleaseRecord): Edit =>
    (live) => ({ ...live, newest: edit(live.newest as ReleaseRecord) });
const pvc = (spec: object, status: object = { phase: "Bound", capacity: { storage: "10Gi" } }) =>
    withObject("PersistentVolumeClaim/worker-storage", (o) => ({ ...o, spec: { ...o.spec, ...spec }, status }));
const noRecord: Edit = (live) => ({ ...live, revisions: [], newest: undefined });

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

describe("the adoption's plan (planAdoption)", () => {
    it("takes the Minimal install over: live selector, image and claim kept; Helm's objects handed over; RBAC removed", () => {
        const plan = planAdoption(stackConfig(), minimalInstall());
        assert.equal(plan.kind, "plan");
        if (plan.kind !== "plan") return;
        assert.equal(plan.phase, "takeover");
        assert.deepEqual(plan.facts, {
            fieldManager: "pulumi-backline",
            workerSelector: selector,
            workerImage,
            claim: { storageClassName: "standard-rwx", accessModes: ["ReadWriteMany"] },
        });
        assert.deepEqual(
            plan.handover.map((r) => `${r.kind}/${r.name}`),
            [
                "ConfigMap/adot-collector-config",
                "ConfigMap/janitor-script",
                "CronJob/janitor",
                "Deployment/worker",
                "PersistentVolumeClaim/worker-storage",
                "Secret/backline-access-key",
                "Service/worker",
                "ServiceAccount/janitor",
                "ServiceAccount/worker",
            ],
        );
        assert.deepEqual(
            plan.remove.map((r) => `${r.kind}/${r.name}`),
            [
                "Role/backline-janitor",
                "Role/backline-worker",
                "RoleBinding/backline-janitor",
                "RoleBinding/backline-worker",
            ],
        );
        assert.deepEqual(plan.keep, []);
        assert.deepEqual(
            plan.revisions.map((r) => r.version),
            [1],
        );
    });

    const cases: {
        name: string;
        values?: Record<string, unknown>;
        live: Edit[];
        check: (p: Extract<ReturnType<typeof planAdoption>, { kind: "plan" }>) => void;
    }[] = [
        {
            name: "a pinned image is the stack's, not the live one",
            values: { worker: { image: { tag: "pinned" } } },
            live: [],
            check: (p) => assert.equal(p.facts.workerImage, undefined),
        },
        {
            name: "`adopt.keep` leaves an object in place instead of removing it",
            values: { adopt: { helmRelease: "backline", keep: ["Role/backline-worker"] } },
            live: [],
            check: (p) => {
                assert.deepEqual(
                    p.keep.map((r) => r.name),
                    ["backline-worker"],
                );
                assert.ok(!p.remove.some((r) => r.kind === "Role" && r.name === "backline-worker"));
            },
        },
        {
            name: "a larger claim on a class that expands",
            values: { worker: { storage: { pvc: { size: "20Gi" } } } },
            live: [(l) => ({ ...l, storageClass: { name: "standard-rwx", allowVolumeExpansion: true } })],
            check: (p) => assert.equal(p.facts.claim?.storageClassName, "standard-rwx"),
        },
        {
            name: "the same size written otherwise (10240Mi) is no resize",
            values: { worker: { storage: { pvc: { size: "10240Mi" } } } },
            live: [pvc({}, { phase: "Pending" })],
            check: (p) => assert.ok(p.facts.claim),
        },
        {
            name: "objects without Helm's ownership are not handed over; other managers' stay",
            live: [
                withObject("Service/worker", (o) => ({
                    ...o,
                    metadata: { ...o.metadata, managedFields: [{ ...kcm, subresource: undefined, manager: "argocd" }] },
                })),
            ],
            check: (p) => assert.ok(!p.handover.some((r) => r.kind === "Service")),
        },
        {
            name: "a finished adoption run again: phase adopted, facts from live, nothing to hand over",
            live: [
                noRecord,
                (l) => ({
                    ...l,
                    objects: Object.fromEntries(
                        Object.entries(l.objects).map(([k, o]) => [
                            k,
                            {
                                ...o,
                                metadata: {
                                    ...o.metadata,
                                    labels: { "app.kubernetes.io/managed-by": "pulumi" },
                                    managedFields: [kcm],
                                },
                            },
                        ]),
                    ),
                }),
            ],
            check: (p) => {
                assert.equal(p.phase, "adopted");
                assert.deepEqual(p.handover, []);
                assert.deepEqual(p.remove, []);
                assert.deepEqual(p.facts.workerSelector, selector);
                assert.equal(p.facts.claim?.storageClassName, "standard-rwx");
            },
        },
    ];
    for (const t of cases) {
        it(t.name, () => {
            const live = t.live.reduce((l, edit) => edit(l), minimalInstall());
            const plan = planAdoption(stackConfig(t.values), live);
            assert.equal(plan.kind, "plan", JSON.stringify(plan));
            if (plan.kind === "plan") t.check(plan);
        });
    }
});

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

describe("what the preview says will change", () => {
    it("lists values that differ, quantities compared as quantities, secrets not shown", () => {
        const release = {
            accessKey: "release-key",
            baseUrl: "https://staging-app.backline.ai",
            worker: {
                replicaCount: 2,
                resources: { limits: { cpu: "2" } },
                storage: { pvc: { storageClassName: "" } },
            },
        };
        const stack = {
            accessKey: "stack-key",
            baseUrl: "https://app.backline.ai",
            worker: { replicaCount: 2, resources: { limits: { cpu: "2000m" } }, storage: { pvc: {} }, newKey: 1 },
        };
        const diffs = valueDifferences(release, stack);
        assert.deepEqual(diffs, [
            "`accessKey`: differs (values not shown)",
            '`baseUrl`: release "https://staging-app.backline.ai", stack "https://app.backline.ai"',
        ]);
        assert.ok(!diffs.join("").includes('key"'));
    });
    it("describes the takeover: objects, Helm's metadata, selector, claim, record", () => {
        const c = stackConfig({ worker: { replicaCount: 3 } });
        const live = minimalInstall();
        const plan = planAdoption(c, live);
        assert.equal(plan.kind, "plan");
        if (plan.kind !== "plan") return;
        const text = describeAdoption(c, plan, live, { worker: { replicaCount: 3 } }).join("\n");
        assert.match(text, /taken over in place \(same UIDs\): Secret\/backline-access-key, .*CronJob\/janitor/);
        assert.match(text, /created: Role\/worker, RoleBinding\/worker, ServiceAccount\/backline-jobs/);
        assert.match(text, /deleted at the end .*Role\/backline-janitor/);
        assert.match(
            text,
            /labels helm\.sh\/chart, annotations meta\.helm\.sh\/release-name, meta\.helm\.sh\/release-namespace/,
        );
        assert.match(
            text,
            /keeps its selector \(immutable\) app\.kubernetes\.io\/name=backline-worker, app\.kubernetes\.io\/instance=backline/,
        );
        assert.match(text, /PersistentVolumeClaim\/worker-storage keeps its class standard-rwx/);
        assert.match(text, /`worker\.replicaCount`: release 1, stack 3/);
        assert.match(
            text,
            /sh\.helm\.release\.v1\.backline\.v1\) is copied to backline-helm-backup\.backline\.v1 and removed/,
        );
    });
});

describe("the `adopt` keys", () => {
    const problems = (values: Record<string, unknown>) => {
        const r = parseBacklineConfig({ ...minimal, ...values });
        return r.ok ? [] : r.problems.map((p) => `${p.key}: ${p.message}`);
    };
    const table: [string, Record<string, unknown>, RegExp | undefined][] = [
        ["a release name Helm accepts", { adopt: { helmRelease: "backline-2" } }, undefined],
        [
            "a release name Helm refuses",
            { adopt: { helmRelease: "Backline_2" } },
            /^adopt\.helmRelease: got "Backline_2"; expected a Helm release name/,
        ],
        [
            "a keep entry that is not Kind/name",
            { adopt: { helmRelease: "b", keep: ["role/x"] } },
            /^adopt\.keep\[0\]: got "role\/x"; expected `Kind\/name`/,
        ],
        [
            "releaseNamespace without helmRelease",
            { adopt: { releaseNamespace: "x" } },
            /^adopt\.releaseNamespace: got "x" without `adopt\.helmRelease`/,
        ],
        [
            "adoption with render mode",
            { adopt: { helmRelease: "b" }, kubernetes: { renderYamlToDirectory: "/tmp/x" } },
            /^adopt\.helmRelease: set together with `kubernetes\.renderYamlToDirectory`/,
        ],
        [
            "adoption with EFS",
            {
                adopt: { helmRelease: "b" },
                efs: {
                    vpcId: "vpc-0123456789abcdef0",
                    subnetIds: ["subnet-0123456789abcdef0"],
                    allowedCidrBlocks: ["10.0.0.0/16"],
                },
            },
            /^adopt\.helmRelease: set together with `efs`/,
        ],
    ];
    for (const [name, values, expected] of table) {
        it(name, () => {
            const got = problems(values);
            if (expected) {
                assert.equal(got.length, 1, got.join("\n"));
                assert.match(got[0], expected);
            } else {
                assert.deepEqual(got, []);
            }
        });
    }
    it("resolves to the release, its record's namespace (namespaceOverride by default) and the kept objects", () => {
        const r = parseBacklineConfig({ ...minimal, namespaceOverride: "prod", adopt: { helmRelease: "b" } });
        assert.ok(r.ok);
        assert.deepEqual(r.config.adoption, { release: "b", releaseNamespace: "prod", keep: [] });
        const none = parseBacklineConfig(minimal);
        assert.ok(none.ok);
        assert.equal(none.config.adoption, undefined);
    });
});

describe("declaredObjects", () => {
    // What the program registers under mocks, for configurations that change the set of objects.
    const variants: [string, Record<string, unknown>][] = [
        ["Minimal", {}],
        ["no collector, no install Job", { worker: { otel: { enabled: false } }, janitor: { runOnInstall: false } }],
        ["an existing claim", { worker: { storage: { pvc: { create: false } } } }],
        [
            "the enterprise objects (issue 12)",
            {
                proxy: { httpsProxy: "http://proxy.example.com:3128" },
                caBundle: { pem: testCaPem },
                worker: { replicaCount: 2, podDisruptionBudget: { minAvailable: 1 } },
                networkPolicy: { enabled: true, egressCidrs: ["10.0.0.0/8"], apiServerCidrs: ["10.96.0.1/32"] },
            },
        ],
    ];
    for (const [name, values] of variants) {
        it(`is every namespaced object the program declares (${name})`, async function () {
            this.timeout(60_000);
            const run = await runProgram({ ...minimal, ...values });
            const registered = run.mocks
                .kubernetesObjects()
                // Namespaced objects only: the Namespace and the job admission policy (issue 18) are cluster-scoped.
                .filter((r) => r.type !== "kubernetes:core/v1:Namespace" && !r.type.includes("admissionregistration"))
                .map((r) =>
                    `${r.type.split(":").pop()}/${r.inputs.metadata.name}`.replace(
                        /janitor-install-\w+$/,
                        "janitor-install-…",
                    ),
                );
            assert.deepEqual(declaredObjects(stackConfig(values)).sort(), registered.sort());
        });
    }
});

describe("BacklineStack with an adoption (mocks)", () => {
    it("applies every Kubernetes object as the handed-over manager, keeps the live selector and claim, adds the two steps", async function () {
        this.timeout(60_000); // the dynamic providers are serialized with what they use
        const mocks = new RecordingMocks();
        await pulumi.runtime.setMocks(mocks, "backline", "adopt", false);
        const r = parseBacklineConfig({ ...minimal, adopt: { helmRelease: "backline" } });
        assert.ok(r.ok);
        const plan = planAdoption(stackConfig(), minimalInstall());
        assert.ok(plan.kind === "plan");
        new BacklineStack("backline", {
            config: r.config,
            adoption: { steps: plan, connection: { context: "prod" }, recordPresent: true, changes: [] },
        });
        await settle();

        const k8s = mocks.kubernetesObjects();
        assert.ok(k8s.length >= 15);
        for (const o of k8s) {
            // The cluster-scoped admission policy (issue 18) was never Helm's: it keeps the default manager.
            const expected = o.type.startsWith("kubernetes:admissionregistration") ? undefined : "pulumi-backline";
            assert.equal(o.inputs.metadata.annotations?.["pulumi.com/patchFieldManager"], expected, o.name);
        }
        const deploy = mocks.one("kubernetes:apps/v1:Deployment").inputs;
        assert.deepEqual(deploy.spec.selector.matchLabels, selector);
        assert.deepEqual(deploy.spec.template.metadata.labels, {
            "app.kubernetes.io/name": "backline-worker",
            "app.kubernetes.io/component": "worker",
            "app.kubernetes.io/part-of": "backline",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/instance": "backline",
        });
        assert.equal(deploy.spec.template.spec.containers[0].image, workerImage);
        assert.deepEqual(deploy.spec.strategy, {
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        });
        assert.deepEqual(mocks.one("kubernetes:core/v1:Service").inputs.spec.selector, selector);
        const claim = mocks.one("kubernetes:core/v1:PersistentVolumeClaim").inputs.spec;
        assert.equal(claim.storageClassName, "standard-rwx");
        assert.deepEqual(claim.accessModes, ["ReadWriteMany"]);

        const handover = mocks.one("pulumi-nodejs:dynamic/backline:HelmFieldOwnership").inputs;
        assert.equal(handover.fieldManager, "pulumi-backline");
        assert.equal(handover.objects.length, 9);
        assert.deepEqual(handover.connection, { context: "prod" });
        const removal = mocks.one("pulumi-nodejs:dynamic/backline:HelmReleaseRecord").inputs;
        assert.deepEqual(
            {
                release: removal.release,
                ns: removal.releaseNamespace,
                present: removal.recordPresent,
                remove: removal.remove.length,
            },
            { release: "backline", ns: "backline", present: true, remove: 4 },
        );
    });
});
