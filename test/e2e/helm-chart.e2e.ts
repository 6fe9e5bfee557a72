/**
 * The test chart (test/fixtures/backline-chart, a stand-in for the vendor's Backline chart) with the
 * real `helm` (scripts/build-helm.sh) on a real API server (scripts/build-kube.sh): lint, template,
 * install with the chart README's Minimal and Production examples, the README's upgrade command,
 * Helm's release records, labels and field manager, and what `helm uninstall` deletes. This is the
 * starting point of the adoption; docs/helm-adoption-research.md builds on it.
 *
 * Pods stay Pending (no kubelet). Skips with the reason when helm or the API server is not built.
 * Run: npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 test/e2e/helm-chart.e2e.ts
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { minimal, production } from "../fixtures/examples";
import { useApiServer } from "../support/apiserver";
import { decodeReleaseRecord, TEST_CHART, useHelm, writeValuesFile } from "../support/helm";
import { testAccessKey } from "../support/mocks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const release = "backline";
/** The chart's selector (its own choice, see the chart's README.md), not ours. */
const selectorOf = (component: string): Record<string, string> => ({
    "app.kubernetes.io/name": `backline-${component}`,
    "app.kubernetes.io/instance": release,
});
/** Kinds the chart renders; `kubectl get` lists them all at once. */
const KINDS =
    "serviceaccounts,secrets,configmaps,persistentvolumeclaims,roles,rolebindings,services,deployments,cronjobs";
/** What Kubernetes and Helm put into every namespace, not the chart. */
const notFromChart = (kind: string, name: string): boolean =>
    (kind === "ServiceAccount" && name === "default") ||
    (kind === "ConfigMap" && name === "kube-root-ca.crt") ||
    (kind === "Secret" && name.startsWith("sh.helm.release.v1."));

/** The objects the chart renders, as `Kind/name`, sorted. */
function expectedObjects(opts: { otel: boolean; pvc: boolean }): string[] {
    return [
        "ServiceAccount/worker",
        "ServiceAccount/janitor",
        "Secret/backline-access-key",
        "ConfigMap/janitor-script",
        ...(opts.otel ? ["ConfigMap/adot-collector-config"] : []),
        ...(opts.pvc ? ["PersistentVolumeClaim/worker-storage"] : []),
        "Role/backline-worker",
        "Role/backline-janitor",
        "RoleBinding/backline-worker",
        "RoleBinding/backline-janitor",
        "Service/worker",
        "Deployment/worker",
        "CronJob/janitor",
    ].sort();
}

describe("the Backline test chart with helm on a real API server (e2e)", function () {
    this.timeout(300_000);
    const kube = useApiServer();
    const helm = useHelm(kube);
    let dir: string;
    const values: Record<"minimal" | "production" | "existingClaim", string> = {
        minimal: "",
        production: "",
        existingClaim: "",
    };

    const kubectl = (args: string[], input?: string): string => {
        const r = kube().run(args, { input });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    const getJson = (kindName: string, ns: string): Any =>
        JSON.parse(kubectl(["get", kindName, "-n", ns, "-o", "json", "--show-managed-fields"]));
    const exists = (kindName: string, ns: string): boolean =>
        kube().run(["get", kindName, "-n", ns, "-o", "name"]).status === 0;
    /** Every object of the chart's kinds in `ns`, minus what Kubernetes and Helm add. */
    const liveObjects = (ns: string): Any[] =>
        getJson(KINDS, ns).items.filter((o: Any) => !notFromChart(o.kind, o.metadata.name));
    const names = (objs: Any[]): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const releaseSecrets = (ns: string): Any[] =>
        getJson("secrets", ns).items.filter((s: Any) => s.type === "helm.sh/release.v1");
    const helmList = (ns: string): Any[] => JSON.parse(helm().ok(["list", "-n", ns, "-a", "-o", "json"]));
    const waitUntil = async (what: string, ms: number, done: () => boolean): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!done()) {
            assert.ok(Date.now() < deadline, `${what}: not within ${ms} ms`);
            await new Promise((r) => setTimeout(r, 200));
        }
    };

    /** What every installed object of release `backline` must carry, whichever values installed it. */
    function assertHelmOwned(objs: Any[], ns: string): void {
        for (const o of objs) {
            const where = `${o.kind}/${o.metadata.name}`;
            assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "Helm", where);
            assert.equal(o.metadata.labels?.["helm.sh/chart"], "backline-0.1.0", where);
            assert.equal(o.metadata.annotations?.["meta.helm.sh/release-name"], release, where);
            assert.equal(o.metadata.annotations?.["meta.helm.sh/release-namespace"], ns, where);
            // Helm 3 writes with create/patch (client-side), as field manager `helm`: never server-side apply.
            const managers = (o.metadata.managedFields ?? []).map((m: Any) => `${m.manager}:${m.operation}`);
            assert.ok(managers.includes("helm:Update"), `${where} managers: ${managers.join(", ")}`);
            assert.ok(!managers.some((m: string) => m.endsWith(":Apply")), `${where} managers: ${managers.join(", ")}`);
        }
    }

    function assertReleaseRecord(ns: string, revision: number, status: string): Any {
        const secret = getJson(`secret/sh.helm.release.v1.${release}.v${revision}`, ns);
        assert.equal(secret.type, "helm.sh/release.v1");
        assert.deepEqual(
            {
                owner: secret.metadata.labels.owner,
                name: secret.metadata.labels.name,
                status: secret.metadata.labels.status,
            },
            { owner: "helm", name: release, status },
        );
        assert.equal(secret.metadata.labels.version, String(revision));
        const record = decodeReleaseRecord(secret.data);
        assert.equal(record.info.status, status);
        assert.equal(record.version, revision);
        assert.equal(record.chart.metadata.version, "0.1.0");
        return record;
    }

    before(function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-chart-e2e-"));
        values.minimal = writeValuesFile(dir, "minimal", minimal);
        values.production = writeValuesFile(dir, "production", production);
        values.existingClaim = writeValuesFile(dir, "existing-claim", {
            ...minimal,
            namespaceOverride: "backline-byo",
            worker: { storage: { pvc: { create: false } } },
        });
    });
    // The suite skips (and `before` never runs) when helm is not built.
    after(() => {
        if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("lints with the README's Minimal and Production values", function () {
        for (const file of [values.minimal, values.production]) {
            const out = helm().ok(["lint", "--strict", TEST_CHART, "-f", file]);
            assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
        }
    });

    it("renders the README's objects with Helm's labels and its own selector, and refuses a missing accessKey", function () {
        const docs = parseAllDocuments(helm().ok(["template", release, TEST_CHART, "-f", values.minimal]));
        const objs: Any[] = docs.map((d) => d.toJS()).filter((o) => o);
        assert.deepEqual(names(objs), expectedObjects({ otel: true, pvc: true }));
        const deploy = objs.find((o) => o.kind === "Deployment");
        assert.deepEqual(deploy.spec.selector.matchLabels, selectorOf("worker"));
        assert.deepEqual(
            deploy.spec.template.spec.containers.map((c: Any) => c.name),
            ["worker", "adot-collector"],
        );
        const cron = objs.find((o) => o.kind === "CronJob");
        assert.equal(cron.spec.schedule, "* * * * *");
        assert.deepEqual(
            cron.spec.jobTemplate.spec.template.spec.containers.map((c: Any) => c.name),
            ["janitor"],
        );
        // Helm adds its release annotations when it installs, not in the templates.
        assert.ok(objs.every((o) => !o.metadata.annotations?.["meta.helm.sh/release-name"]));

        const noOtel = parseAllDocuments(
            helm().ok(["template", release, TEST_CHART, "-f", values.minimal, "--set", "worker.otel.enabled=false"]),
        )
            .map((d) => d.toJS())
            .filter((o) => o);
        assert.deepEqual(names(noOtel), expectedObjects({ otel: false, pvc: true }));

        const r = helm().run(["template", release, TEST_CHART]);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /accessKey is required/);
    });

    it("installs the Minimal example: deployed, every object labelled by Helm and managed by `helm`", function () {
        const ns = "backline";
        helm().ok(["install", release, TEST_CHART, "-n", ns, "--create-namespace", "-f", values.minimal]);

        const [listed] = helmList(ns);
        assert.deepEqual(
            {
                name: listed.name,
                status: listed.status,
                chart: listed.chart,
                app: listed.app_version,
                rev: listed.revision,
            },
            { name: release, status: "deployed", chart: "backline-0.1.0", app: "1.0.0", rev: "1" },
        );
        const record = assertReleaseRecord(ns, 1, "deployed");
        assert.equal(record.config?.accessKey, testAccessKey, "the record keeps the user's values, secrets included");

        const objs = liveObjects(ns);
        assert.deepEqual(names(objs), expectedObjects({ otel: true, pvc: true }));
        assertHelmOwned(objs, ns);

        const deploy = objs.find((o) => o.kind === "Deployment");
        assert.deepEqual(deploy.spec.selector.matchLabels, selectorOf("worker"));
        const podLabels = deploy.spec.template.metadata.labels;
        assert.deepEqual(
            Object.fromEntries(Object.keys(selectorOf("worker")).map((k) => [k, podLabels[k]])),
            selectorOf("worker"),
        );
        assert.notEqual(podLabels["app.kubernetes.io/name"], "backline", "the chart's selector is not ours");
        assert.deepEqual(objs.find((o) => o.kind === "Service").spec.selector, selectorOf("worker"));

        const pvc = objs.find((o) => o.kind === "PersistentVolumeClaim");
        assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
        assert.equal(pvc.spec.resources.requests.storage, "10Gi");
        assert.equal(pvc.spec.storageClassName, undefined, "an empty class leaves the cluster default");
        assert.equal(pvc.metadata.annotations["helm.sh/resource-policy"], undefined);

        const secret = objs.find((o) => o.kind === "Secret");
        assert.equal(Buffer.from(secret.data.accessKey, "base64").toString(), testAccessKey);

        // `--create-namespace` makes a plain namespace outside the release.
        const namespace = getJson(`namespace/${ns}`, ns);
        assert.deepEqual(namespace.metadata.labels, { name: ns, "kubernetes.io/metadata.name": ns });
        assert.equal(namespace.metadata.annotations?.["meta.helm.sh/release-name"], undefined);
    });

    it("installs the Production example into its namespaceOverride, and upgrades it with the README's command", function () {
        const ns = production.namespaceOverride as string;
        helm().ok(["install", release, TEST_CHART, "-n", ns, "--create-namespace", "-f", values.production]);
        const objs = liveObjects(ns);
        assert.deepEqual(names(objs), expectedObjects({ otel: true, pvc: true }));
        assertHelmOwned(objs, ns);

        const deploy = objs.find((o) => o.kind === "Deployment");
        const [worker] = deploy.spec.template.spec.containers;
        assert.equal(deploy.spec.replicas, 2);
        assert.deepEqual(worker.resources, {
            requests: { cpu: "1", memory: "2Gi" },
            limits: { cpu: "4", memory: "4Gi" },
        });
        assert.deepEqual(
            worker.env.find((e: Any) => e.name === "MODEL_NAME"),
            { name: "MODEL_NAME", value: "anthropic/claude-sonnet-4-20250514" },
        );
        assert.equal(objs.find((o) => o.kind === "PersistentVolumeClaim").spec.resources.requests.storage, "50Gi");
        assert.equal(objs.find((o) => o.kind === "CronJob").spec.schedule, "*/3 * * * *");

        // README "Upgrading": a new revision record; the previous one is kept as `superseded`.
        helm().ok([
            "upgrade",
            release,
            TEST_CHART,
            "-n",
            ns,
            "--reuse-values",
            "--set",
            "worker.image.tag=new-version",
        ]);
        assert.equal(helmList(ns)[0].revision, "2");
        assertReleaseRecord(ns, 1, "superseded");
        assertReleaseRecord(ns, 2, "deployed");
        assert.equal(releaseSecrets(ns).length, 2);
        const image = getJson("deployment/worker", ns).spec.template.spec.containers[0].image;
        assert.equal(image, "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:new-version");
        assert.equal(getJson("deployment/worker", ns).metadata.generation, 2);
    });

    it("`helm uninstall` deletes the chart's claim, keeps the janitor's Secrets and the namespace", async function () {
        const ns = "backline";
        // What the janitor writes at run time is no part of the release.
        for (const name of ["jwt-token", "dockerconfig"]) {
            kubectl(["create", "secret", "generic", name, "-n", ns, "--from-literal=x=y"]);
        }
        const out = helm().ok(["uninstall", release, "-n", ns]);
        assert.match(out, /release "backline" uninstalled/);
        assert.deepEqual(helmList(ns), []);
        assert.deepEqual(releaseSecrets(ns), []);
        // The claim has the pvc-protection finalizer; with no pod scheduled on it, it goes at once.
        await waitUntil("PVC worker-storage deleted", 30_000, () => !exists("pvc/worker-storage", ns));
        assert.deepEqual(names(liveObjects(ns)), ["Secret/dockerconfig", "Secret/jwt-token"]);
        assert.ok(exists(`namespace/${ns}`, ns));
    });

    it("`helm uninstall` keeps a claim the chart did not create (`worker.storage.pvc.create: false`)", function () {
        const ns = "backline-byo";
        kubectl(["create", "namespace", ns]);
        const claim = {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "worker-storage", namespace: ns },
            spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "10Gi" } } },
        };
        kubectl(["create", "-f", "-"], JSON.stringify(claim));
        const uid = getJson("pvc/worker-storage", ns).metadata.uid;

        helm().ok(["install", release, TEST_CHART, "-n", ns, "-f", values.existingClaim]);
        assert.deepEqual(
            names(liveObjects(ns)),
            [...expectedObjects({ otel: true, pvc: false }), "PersistentVolumeClaim/worker-storage"].sort(),
        );
        const volumes = getJson("deployment/worker", ns).spec.template.spec.volumes;
        assert.deepEqual(volumes.find((v: Any) => v.name === "storage").persistentVolumeClaim, {
            claimName: "worker-storage",
        });

        helm().ok(["uninstall", release, "-n", ns]);
        assert.deepEqual(names(liveObjects(ns)), ["PersistentVolumeClaim/worker-storage"]);
        const kept = getJson("pvc/worker-storage", ns);
        assert.equal(kept.metadata.uid, uid);
        assert.equal(kept.metadata.deletionTimestamp, undefined);
    });
});
