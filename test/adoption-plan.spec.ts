/**
 * The adoption's plan, without a cluster: what `planAdoption` takes over, keeps, hands
 * over and removes when it accepts a release, and what `describeAdoption` tells the user a preview
 * will change (values compared as Helm and Kubernetes compare them, secrets never shown). The real
 * thing runs in test/e2e/adopt.e2e.ts.
 */
import { strict as assert } from "assert";
import { LiveObject, planAdoption } from "../components/adoption/plan";
import { describeAdoption, valueDifferences } from "../components/adoption/changes";
import {
    Edit,
    kcm,
    minimalInstall,
    noRecord,
    pvc,
    selector,
    stackConfig,
    withObject,
    workerImage,
} from "./fixtures/adoption";

/** The chart's variant that keeps the access key in a Secret of its own, `backline-access`. */
const withAccessSecret: Edit = (live) => {
    const secret = live.objects["Secret/backline-access-key"];
    const objects: Record<string, LiveObject> = {
        ...live.objects,
        "Secret/backline-access": { ...secret, metadata: { ...secret.metadata, name: "backline-access" } },
    };
    delete objects["Secret/backline-access-key"];
    const newest = live.newest as NonNullable<typeof live.newest>;
    return {
        ...live,
        objects,
        newest: {
            ...newest,
            objects: newest.objects.map((o) =>
                o.kind === "Secret" && o.name === "backline-access-key" ? { ...o, name: "backline-access" } : o,
            ),
        },
    };
};

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
            name: "`adopt.remove` deletes an object of the release once the takeover is done (copied first)",
            values: { adopt: { helmRelease: "backline", remove: ["Secret/backline-access", "Role/backline-worker"] } },
            live: [withAccessSecret],
            check: (p) => {
                assert.deepEqual(
                    p.discard.map((r) => `${r.kind}/${r.name}`),
                    ["Role/backline-worker", "Secret/backline-access"],
                );
                assert.deepEqual(
                    p.remove.map((r) => `${r.kind}/${r.name}`),
                    ["Role/backline-janitor", "RoleBinding/backline-janitor", "RoleBinding/backline-worker"],
                );
                assert.deepEqual(p.keep, []);
            },
        },
        {
            name: "`adopt.remove` of an object already gone: nothing to delete",
            values: { adopt: { helmRelease: "backline", remove: ["Secret/backline-access"] } },
            live: [withAccessSecret, withObject("Secret/backline-access", () => undefined)],
            check: (p) => assert.deepEqual(p.discard, []),
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
        assert.doesNotMatch(text, /adopt\.remove/);
    });
    it("names what `adopt.remove` deletes at the end, and where its copy goes", () => {
        const c = stackConfig({ adopt: { helmRelease: "backline", remove: ["Secret/backline-access"] } });
        const live = withAccessSecret(minimalInstall());
        const plan = planAdoption(c, live);
        assert.equal(plan.kind, "plan", JSON.stringify(plan));
        if (plan.kind !== "plan") return;
        const text = describeAdoption(c, plan, live, {}).join("\n");
        assert.match(
            text,
            /deleted at the end \(`adopt\.remove`\): Secret\/backline-access \(copied to Secret backline-helm-backup\.backline\.secret\.backline-access\)\./,
        );
        assert.match(text, /created: Secret\/backline-access-key/);
    });
});
