/**
 * What the upgrade suite judges (test/e2e/support/upgrade-checks.ts), on made-up previews, states
 * and watches: a delete or a replace fails naming the URN and the operation, the install Job's
 * replacement (and only its replacement) is expected, and the objects of a state are the ones
 * kubectl is asked for.
 */
import { strict as assert } from "assert";
import {
    EXPECTED_REPLACEMENTS,
    PreviewStep,
    belowReplicas,
    changesReport,
    forbiddenReport,
    forbiddenSteps,
    stateObjects,
    uidChanges,
    unexpectedDeletions,
    urnParts,
} from "./e2e/support/upgrade-checks";
import type { WatchEvent } from "./support/watch";

const urn = (types: string, name: string) => `urn:pulumi:dev::backline::backline:index:BacklineStack$${types}::${name}`;
const service = urn("backline:worker:Worker$kubernetes:core/v1:Service", "backline-worker-service");
const renamed = urn("backline:worker:Worker$kubernetes:core/v1:Service", "backline-worker-svc");
const claim = urn("backline:storage:WorkerStorage$kubernetes:core/v1:PersistentVolumeClaim", "backline-storage-pvc");
const installJob = urn("backline:janitor:Janitor$kubernetes:batch/v1:Job", "backline-janitor-install");
const deployment = urn("backline:worker:Worker$kubernetes:apps/v1:Deployment", "backline-worker-deployment");
const replaced = (u: string): PreviewStep[] => [
    { op: "create-replacement", urn: u },
    { op: "replace", urn: u },
    { op: "delete-replaced", urn: u },
];

describe("the upgrade suite's checks", () => {
    it("splits a URN into its type and name", () => {
        assert.deepEqual(urnParts(service), { type: "kubernetes:core/v1:Service", name: "backline-worker-service" });
        assert.deepEqual(urnParts("urn:pulumi:dev::backline::pulumi:pulumi:Stack::backline-dev"), {
            type: "pulumi:pulumi:Stack",
            name: "backline-dev",
        });
    });

    it("a renamed resource fails the preview, naming the URN deleted and the operation", () => {
        const steps: PreviewStep[] = [
            { op: "same", urn: deployment },
            { op: "create", urn: renamed },
            { op: "create", urn: claim },
            { op: "delete", urn: service },
        ];
        assert.deepEqual(forbiddenSteps(steps), [{ op: "delete", urn: service }]);
        const report = forbiddenReport("upgrading dev from 0.2.0 to the working tree", steps) ?? "";
        assert.match(
            report,
            /^upgrading dev from 0\.2\.0 to the working tree: pulumi preview would delete or replace 1 resource/,
        );
        assert.ok(report.includes(`\n  delete ${service}\n`), report);
        assert.ok(
            report.includes(`\nand create, of the same type and parents (a renamed resource?):\n  create ${renamed}\n`),
            report,
        );
        assert.ok(!report.includes(claim), "a create of another type is not named");
        assert.match(report, /aliases/);
    });

    it("a replaced claim fails with every step of its replacement", () => {
        const report = forbiddenReport("upgrading prod from 0.1.0", replaced(claim)) ?? "";
        assert.ok(report.includes(`  create-replacement, replace, delete-replaced ${claim}`), report);
    });

    it("the install Job may be replaced, as EXPECTED_REPLACEMENTS says why, but not deleted", () => {
        assert.deepEqual(
            EXPECTED_REPLACEMENTS.map((e) => `${e.type}::${e.name}`),
            ["kubernetes:batch/v1:Job::backline-janitor-install"],
        );
        assert.ok(EXPECTED_REPLACEMENTS.every((e) => e.why.length > 40));
        assert.deepEqual(forbiddenSteps(replaced(installJob)), []);
        assert.equal(forbiddenReport("x", replaced(installJob)), undefined);
        assert.deepEqual(forbiddenSteps([{ op: "delete", urn: installJob }]), [{ op: "delete", urn: installJob }]);
    });

    it("a second preview with only same, read and refresh steps has no changes", () => {
        const same: PreviewStep[] = [
            { op: "same", urn: deployment },
            { op: "refresh", urn: service },
            { op: "read", urn: claim },
        ];
        assert.equal(changesReport("after upgrading dev from 0.2.0", same), undefined);
        assert.equal(
            changesReport("after", [...same, { op: "update", urn: deployment }]),
            `after: a second pulumi preview after the upgrade still has changes:\n  update ${deployment}`,
        );
    });

    it("reads the Kubernetes objects of an exported state as kubectl names them", () => {
        const resource = (type: string, name: string, namespace?: string) => ({
            urn: urn(type, name),
            type,
            outputs: { metadata: { name, namespace, uid: "u" } },
        });
        const exported = {
            deployment: {
                resources: [
                    { urn: "urn:pulumi:dev::backline::pulumi:pulumi:Stack::backline-dev", type: "pulumi:pulumi:Stack" },
                    { urn: "p", type: "pulumi:providers:kubernetes", outputs: { metadata: { name: "x" } } },
                    resource("kubernetes:core/v1:Secret", "backline-access-key", "backline"),
                    resource("kubernetes:apps/v1:Deployment", "worker", "backline"),
                    resource("kubernetes:core/v1:Namespace", "backline"),
                    resource(
                        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
                        "backline-worker-jobs-backline",
                    ),
                ],
            },
        };
        assert.deepEqual(
            stateObjects(exported).map((o) => [o.key, o.kubectl]),
            [
                ["Secret backline/backline-access-key", "secret/backline-access-key"],
                ["Deployment backline/worker", "deployment.v1.apps/worker"],
                ["Namespace backline", "namespace/backline"],
                [
                    "ValidatingAdmissionPolicy backline-worker-jobs-backline",
                    "validatingadmissionpolicy.v1.admissionregistration.k8s.io/backline-worker-jobs-backline",
                ],
            ],
        );
    });

    it("names objects that lost their UID or are gone", () => {
        const before = new Map([
            ["Deployment backline/worker", "a"],
            ["Service backline/worker", "b"],
            ["Secret backline/jwt-token", "c"],
        ]);
        const after = new Map([
            ["Deployment backline/worker", "a"],
            ["Service backline/worker", "z"],
        ]);
        assert.deepEqual(uidChanges(before, after), [
            "  Service backline/worker: UID b became z (deleted and created again)",
            "  Secret backline/jwt-token: gone",
        ]);
    });

    it("finds the moments the worker was below its replicas and the deletions a watch saw", () => {
        const event = (type: WatchEvent["type"], object: object, at: number): WatchEvent => ({
            type,
            path: "/x",
            object,
            at,
        });
        const worker = (available: number) => ({
            kind: "Deployment",
            metadata: { name: "worker", namespace: "ns", generation: 2 },
            status: { availableReplicas: available, updatedReplicas: 1 },
        });
        const job = (name: string) => ({ kind: "Job", metadata: { name, namespace: "ns" } });
        const events = [
            event("ADDED", worker(2), 0),
            event("MODIFIED", worker(1), 10),
            event("DELETED", job("janitor-install-0123abcdef"), 20),
            event("DELETED", job("janitor-29123456"), 30),
            event("DELETED", { kind: "Service", metadata: { name: "worker", namespace: "ns" } }, 40),
            event("DELETED", { kind: "Service", metadata: { name: "worker", namespace: "other" } }, 50),
        ];
        assert.deepEqual(belowReplicas(events, "ns", "worker", 2), [
            "  10 ms: 1/2 available (generation 2, 1 updated)",
        ]);
        const owns = (o: { metadata?: { namespace?: string } }) => o.metadata?.namespace === "ns";
        assert.deepEqual(unexpectedDeletions(events, owns), ["  40 ms: Service ns/worker deleted"]);
    });
});
