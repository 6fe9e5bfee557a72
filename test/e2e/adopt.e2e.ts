/**
 * Adopting live Helm releases of the test chart (test/fixtures/backline-chart) with the real engine,
 * the real `helm` and a real API server: `helm install` with the chart README's Minimal and
 * Production values, then `pulumi preview` (the preflight's account of what will change) and
 * `pulumi up` with `adopt.helmRelease` set. Asserted: every object keeps its UID, nothing but Helm's
 * record and the chart's superseded RBAC is deleted (watched), the claim keeps its volume, the
 * janitor's Secrets are untouched, the CronJob keeps its Jobs, `helm list` is empty, a second
 * `pulumi up` changes nothing, `pulumi destroy` keeps the claim and the namespace; a run that fails
 * half-way is finished by the next; an incompatible claim class and a `failed` release are refused.
 *
 * The cluster has simulated nodes (kwok): pods become Ready, claims bind, Jobs complete, so the
 * watch also proves that the worker never had fewer available replicas than it asks for while its
 * pods were replaced. Needs the engine with its dynamic-provider plugin (scripts/build-engine.sh),
 * the control plane with kwok (scripts/build-kube.sh) and helm (scripts/build-helm.sh); skips with
 * the reason otherwise.
 * Run: npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 900000 test/e2e/adopt.e2e.ts
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { minimal, production } from "../fixtures/examples";
import { REPO_ROOT, useApiServer } from "../support/apiserver";
import { TEST_CHART, useHelm, writeValuesFile } from "../support/helm";
import { StackConfig, testAccessKey } from "../support/mocks";
import { watchEvents, Watches } from "../support/watch";
import { Engine, EngineEnv, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { Any, KINDS, release, removedByAdoption, scheduledJob, watched } from "./support/adopt-release";
import { ProjectCopy, copyProject } from "./support/project";

describe("adopting a live Helm release (e2e)", function () {
    this.timeout(1_200_000);
    // Simulated nodes: the chart's pods are Ready before the adoption, and the stack's replace them
    // under pulumi-kubernetes' real awaits (claims bind, the install Job completes).
    const kube = useApiServer({ kwok: { podReadyDelayMs: 1000 } });
    const helm = useHelm(kube);
    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let valuesDir: string;

    const kubectl = (args: string[], input?: string): string => {
        const r = kube().run(args, { input });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    const getJson = (what: string, ns: string): Any =>
        JSON.parse(kubectl(["get", what, "-n", ns, "-o", "json", "--show-managed-fields"]));
    /**
     * Every object of the chart's kinds in `ns`, by `Kind/name`, but the Jobs the CronJob starts on
     * its schedule (and prunes, as Kubernetes does) while the test runs.
     */
    const objectsIn = (ns: string): Map<string, Any> =>
        new Map(
            getJson(KINDS, ns)
                .items.filter((o: Any) => !scheduledJob(o))
                .map((o: Any) => [`${o.kind}/${o.metadata.name}`, o]),
        );
    const uids = (objs: Map<string, Any>) => new Map([...objs].map(([k, o]) => [k, o.metadata.uid]));
    const helmList = (ns: string): Any[] => JSON.parse(helm().ok(["list", "-n", ns, "-a", "-o", "json"]));

    const pulumi = async (args: string[], opts: { expectFailure?: boolean } = {}) => {
        const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 900_000 });
        if (!opts.expectFailure) assert.equal(r.code, 0, describeRun(args, r));
        if (process.env.ADOPT_E2E_TIMINGS) console.log(`      pulumi ${args[0]}: ${r.durationMs} ms`);
        return r;
    };

    /** A stack with this configuration (as `Pulumi.<stack>.yaml` holds it), the access key encrypted. */
    const newStack = async (stack: string, config: StackConfig) => {
        await pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        await pulumi(["config", "set", "--secret", "accessKey", String(config.accessKey)]);
        const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
        const doc = parse(fs.readFileSync(file, "utf8"));
        for (const [k, v] of Object.entries(config)) {
            if (k !== "accessKey") doc.config[`backline:${k}`] = v;
        }
        fs.writeFileSync(file, stringify(doc));
    };

    /** Installs the test chart with these values into the values' namespace (the record goes there too). */
    const install = (ns: string, values: StackConfig, extra: string[] = []) => {
        const file = writeValuesFile(valuesDir, ns, values);
        helm().ok(["install", release, TEST_CHART, "-n", ns, "--create-namespace", "-f", file, ...extra]);
        // What the janitor writes at run time, and a Job of the CronJob's history.
        for (const name of ["jwt-token", "dockerconfig"]) {
            kubectl(["create", "secret", "generic", name, "-n", ns, `--from-literal=written-by=janitor-${name}`]);
        }
        kubectl(["create", "job", "janitor-history", "--from=cronjob/janitor", "-n", ns]);
        kubectl(["rollout", "status", "deployment/worker", "-n", ns, "--timeout=120s"]);
        kubectl(["wait", "pvc/worker-storage", "-n", ns, "--for=jsonpath={.status.phase}=Bound", "--timeout=120s"]);
    };

    /**
     * After an adoption: every object kept its UID but those deleted by design (and `listed` in
     * `adopt.remove`), the watch saw no other deletion, and Helm lists no release. Returns the
     * objects now.
     */
    const assertAdopted = (
        ns: string,
        before: Map<string, Any>,
        w: Watches,
        listed: readonly string[] = [],
    ): Map<string, Any> => {
        const after = objectsIn(ns);
        const removed = [...removedByAdoption, ...listed].sort();
        for (const [name, uid] of uids(before)) {
            if (removed.includes(name)) {
                assert.ok(!after.has(name), `${name} was not removed`);
            } else {
                assert.equal(after.get(name)?.metadata.uid, uid, `${name} changed UID`);
            }
        }
        const deleted = w.events
            .filter((e) => e.type === "DELETED" && !scheduledJob(e.object))
            .map((e) => `${e.object.kind}/${e.object.metadata.name}`)
            .sort();
        assert.deepEqual(deleted, removed);
        assert.deepEqual(w.errors, []);
        assert.deepEqual(helmList(ns), []);
        return after;
    };

    /** Every moment the watch saw the worker Deployment with fewer available replicas than it asks for. */
    const unavailable = (w: Watches): string[] =>
        w.events
            .filter(
                (e) => e.object?.kind === "Deployment" && e.object.metadata.name === "worker" && e.type !== "DELETED",
            )
            .filter((e) => (e.object.status?.availableReplicas ?? 0) < e.object.spec.replicas)
            .map((e) => `${e.at} ms: ${e.object.status?.availableReplicas ?? 0}/${e.object.spec.replicas} available`);

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        if (!fs.existsSync(path.join(engine.binDir, "pulumi-resource-pulumi-nodejs"))) {
            console.log(
                `      skipped: no pulumi-resource-pulumi-nodejs next to ${engine.pulumi}; run scripts/build-engine.sh`,
            );
            this.skip();
        }
        project = copyProject();
        // kubectl for the program's read and the dynamic providers: the API server's own.
        // kubectl for the program's read and the dynamic providers: the API server's own. The
        // program is type-checked by `npm run typecheck`; ts-node only transpiles here (faster).
        env = engineEnv(engine, {
            passphrase: "adopt-e2e",
            extra: {
                PATH: `${path.dirname(kube().kubectl)}${path.delimiter}${engine.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
        });
        valuesDir = fs.mkdtempSync(path.join(env.pulumiHome, "..", "values-"));
        // The cluster's default class, and another one.
        for (const [name, isDefault] of [
            ["standard-rwx", "true"],
            ["other-rwx", "false"],
        ]) {
            kubectl(
                ["apply", "-f", "-"],
                JSON.stringify({
                    apiVersion: "storage.k8s.io/v1",
                    kind: "StorageClass",
                    metadata: {
                        name,
                        annotations: { "storageclass.kubernetes.io/is-default-class": isDefault },
                    },
                    provisioner: "example.com/nfs",
                }),
            );
        }
    });

    after(() => {
        project?.cleanup();
        env?.cleanup();
    });

    const stackConfig = (values: StackConfig): StackConfig => ({
        ...values,
        kubernetes: { kubeconfig: kube().kubeconfig },
        adopt: { helmRelease: release },
    });

    it("adopts the Minimal install in place: same UIDs, nothing deleted but Helm's record and RBAC, no release left", async () => {
        const ns = "backline";
        install(ns, minimal);
        const before = objectsIn(ns);
        const janitorSecrets = ["jwt-token", "dockerconfig"].map((n) => JSON.stringify(getJson(`secret/${n}`, ns)));
        const cronStatus = getJson("cronjob/janitor", ns).status;
        const volume = before.get("PersistentVolumeClaim/worker-storage").spec.volumeName;
        assert.ok(volume, "the chart's claim is not bound");
        await newStack("minimal", stackConfig(minimal));

        const preview = await pulumi(["preview", "--diff"]);
        // The preflight's account is an info diagnostic, which the CLI prints on stderr.
        const said = preview.stdout + preview.stderr;
        assert.match(said, /Adopting Helm release `backline` \(revision 1, chart backline 0\.1\.0\)/);
        assert.match(
            said,
            /taken over in place \(same UIDs\): .*Deployment\/worker.*PersistentVolumeClaim\/worker-storage/,
        );
        assert.match(
            said,
            /deleted at the end .*: Role\/backline-janitor, Role\/backline-worker, RoleBinding\/backline-janitor, RoleBinding\/backline-worker\./,
        );
        assert.match(
            said,
            /keeps its selector \(immutable\) app\.kubernetes\.io\/instance=backline, app\.kubernetes\.io\/name=backline-worker/,
        );
        assert.match(said, /Helm's field ownership passes to `pulumi-backline`/);
        assert.match(said, /HelmFieldOwnership/);
        assert.match(said, /HelmReleaseRecord/);
        assert.ok(!said.includes(testAccessKey), "the preview printed the access key");
        assert.deepEqual(uids(objectsIn(ns)), uids(before), "preview changed objects");
        assert.equal(helmList(ns).length, 1);

        const w: Watches = watchEvents(kube(), watched(ns));
        await w.ready;
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        w.stop();
        assert.ok(!(up.stdout + up.stderr).includes(testAccessKey));
        assert.deepEqual(unavailable(w), [], "the worker had fewer available replicas than it asks for");
        const rolled = getJson("deployment/worker", ns);
        assert.equal(rolled.status.updatedReplicas, rolled.spec.replicas, "the worker's pods were not replaced");

        const after = assertAdopted(ns, before, w);
        const backup = getJson("secret/backline-helm-backup.backline.v1", ns);
        assert.equal(backup.metadata.labels.owner, "backline-helm-backup");
        assert.deepEqual(
            ["jwt-token", "dockerconfig"].map((n) => JSON.stringify(getJson(`secret/${n}`, ns))),
            janitorSecrets,
            "the janitor's Secrets changed",
        );
        // The CronJob keeps its history: its Jobs still point at it, and its schedule state stays.
        const cron = after.get("CronJob/janitor");
        assert.deepEqual(
            after.get("Job/janitor-history")?.metadata.ownerReferences.map((r: Any) => r.uid),
            [cron.metadata.uid],
        );
        if (cronStatus?.lastScheduleTime) {
            assert.ok(getJson("cronjob/janitor", ns).status.lastScheduleTime >= cronStatus.lastScheduleTime);
        }

        const deploy = after.get("Deployment/worker");
        assert.deepEqual(deploy.spec.selector.matchLabels, {
            "app.kubernetes.io/name": "backline-worker",
            "app.kubernetes.io/instance": "backline",
        });
        assert.deepEqual(deploy.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
        assert.deepEqual(after.get("Service/worker").spec.selector, deploy.spec.selector.matchLabels);
        for (const o of after.values()) {
            const where = `${o.kind}/${o.metadata.name}`;
            // The backups are copies of the record; Jobs the chart's CronJob ran keep the chart's labels.
            if (o.kind === "Job" || (o.kind === "Secret" && o.metadata.name.startsWith("backline-helm-backup")))
                continue;
            assert.notEqual(o.metadata.labels?.["app.kubernetes.io/managed-by"], "Helm", where);
            assert.equal(o.metadata.annotations?.["meta.helm.sh/release-name"], undefined, where);
            const managers = (o.metadata.managedFields ?? []).map((m: Any) => m.manager);
            assert.ok(!managers.includes("helm"), `${where} still managed by helm: ${managers}`);
        }
        assert.equal(after.get("PersistentVolumeClaim/worker-storage").spec.storageClassName, "standard-rwx");
        assert.equal(after.get("PersistentVolumeClaim/worker-storage").spec.volumeName, volume);
        assert.equal(after.get("PersistentVolumeClaim/worker-storage").status.phase, "Bound");
        assert.equal(
            Buffer.from(after.get("Secret/backline-access-key").data.accessKey, "base64").toString(),
            testAccessKey,
        );

        // A second `up` (refresh, read, plan again: phase "adopted") changes nothing.
        const again = await pulumi(["up", "--yes", "--expect-no-changes"]);
        assert.match(again.stdout + again.stderr, /already adopted/);

        await pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.equal(
            getJson("pvc/worker-storage", ns).metadata.uid,
            before.get("PersistentVolumeClaim/worker-storage").metadata.uid,
        );
        kubectl(["get", "namespace", ns]);
    });

    it("adopts the Production install after a run that failed half-way, deleting nothing in between", async () => {
        const ns = production.namespaceOverride as string;
        install(ns, production);
        // Someone changed the janitor's script by hand with server-side apply: a manager the
        // adoption does not take over, so the stack's apply conflicts with it and `up` stops.
        const intruder = (data?: Record<string, string>) =>
            kubectl(
                ["apply", "--server-side", "--force-conflicts", "--field-manager=intruder", "-f", "-"],
                JSON.stringify({
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    metadata: { name: "janitor-script", namespace: ns },
                    ...(data ? { data } : {}),
                }),
            );
        intruder({ "janitor.sh": "echo changed by hand\n" });
        const before = objectsIn(ns);
        const janitorSecrets = ["jwt-token", "dockerconfig"].map((n) => JSON.stringify(getJson(`secret/${n}`, ns)));
        await newStack("production", stackConfig(production));

        const preview = await pulumi(["preview"]);
        const said = preview.stdout + preview.stderr;
        assert.match(said, /ConfigMap\/janitor-script: intruder \(Apply\)/);
        assert.match(said, /`worker\.replicaCount`|Adopting Helm release `backline` \(revision 1/);

        const w = watchEvents(kube(), watched(ns));
        await w.ready;
        const failed = await pulumi(["up", "--yes", "--skip-preview"], { expectFailure: true });
        assert.notEqual(failed.code, 0);
        assert.match(failed.stdout + failed.stderr, /conflict[\s\S]*intruder/i);
        // Half-way: Helm's record is intact, every object is still there with its UID.
        assert.equal(helmList(ns).length, 1);
        const halfway = objectsIn(ns);
        for (const [name, uid] of uids(before)) assert.equal(halfway.get(name)?.metadata.uid, uid, name);

        // The person who made the change gives the field up; the next `up` finishes the job.
        intruder();
        await pulumi(["up", "--yes", "--skip-preview"]);
        w.stop();
        assert.deepEqual(unavailable(w), [], "the worker had fewer available replicas than it asks for");
        const after = assertAdopted(ns, before, w);
        assert.deepEqual(
            ["jwt-token", "dockerconfig"].map((n) => JSON.stringify(getJson(`secret/${n}`, ns))),
            janitorSecrets,
        );
        const deploy = after.get("Deployment/worker");
        assert.equal(deploy.spec.replicas, 2);
        assert.equal(after.get("PersistentVolumeClaim/worker-storage").spec.resources.requests.storage, "50Gi");
        assert.match(after.get("ConfigMap/janitor-script").data["janitor.sh"], /^#!\/usr\/bin\/env bash/);
    });

    it("deletes the chart's own access-key Secret at the end (`adopt.remove`), its copy kept, the worker serving throughout", async () => {
        const ns = "backline-remove";
        const values = { ...minimal, namespaceOverride: ns };
        // The chart's variant that keeps the key in `backline-access` (test/fixtures/backline-chart/README.md).
        install(ns, values, ["--set", "accessKeySecretName=backline-access"]);
        const before = objectsIn(ns);
        assert.ok(before.has("Secret/backline-access") && !before.has("Secret/backline-access-key"));
        await newStack("remove", {
            ...stackConfig(values),
            adopt: { helmRelease: release, remove: ["Secret/backline-access"] },
        });

        const w = watchEvents(kube(), watched(ns));
        await w.ready;
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        w.stop();
        const said = up.stdout + up.stderr;
        assert.match(
            said,
            /deleted at the end \(`adopt\.remove`\): Secret\/backline-access \(copied to Secret backline-helm-backup\.backline\.secret\.backline-access\)/,
        );
        assert.ok(!said.includes(testAccessKey), "the access key was printed");
        assert.deepEqual(unavailable(w), [], "the worker had fewer available replicas than it asks for");
        const after = assertAdopted(ns, before, w, ["Secret/backline-access"]);
        const keyOf = (secret: Any) => Buffer.from(secret.data.accessKey, "base64").toString();
        assert.equal(keyOf(after.get("Secret/backline-access-key")), testAccessKey);
        const workerEnv = after.get("Deployment/worker").spec.template.spec.containers[0].env;
        assert.deepEqual(
            [...new Set(workerEnv.flatMap((e: Any) => e.valueFrom?.secretKeyRef?.name ?? []))],
            ["backline-access-key"],
        );

        // The copy holds the Secret as it was, ready to be created again; the result lists it.
        const copyName = "backline-helm-backup.backline.secret.backline-access";
        const copy = getJson(`secret/${copyName}`, ns);
        assert.equal(copy.metadata.labels.owner, "backline-helm-backup");
        const copied = JSON.parse(Buffer.from(copy.data.object, "base64").toString());
        assert.equal(copied.metadata.name, "backline-access");
        assert.equal(keyOf(copied), testAccessKey);
        const result = await pulumi(["stack", "output", "helmAdoption", "--json"]);
        const { removed, backups } = JSON.parse(result.stdout);
        assert.ok(removed.includes("Secret/backline-access"), removed);
        assert.deepEqual(backups, [copyName, "backline-helm-backup.backline.v1"]);

        // A second `up` changes nothing (its update checked, without a preview first).
        await pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);

        // docs/helm-adoption.md, "Rolling back", as written: the objects of `adopt.remove` back from their copies.
        const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "helm-adoption.md"), "utf8");
        const block = /```bash\n(kubectl get secret [^`]*@base64d[^`]*)```/.exec(doc);
        assert.ok(block, "docs/helm-adoption.md has no restore command");
        const restore = spawnSync(
            "bash",
            ["-euo", "pipefail", "-c", block[1].replace("<release namespace>", ns).replace("<release>", release)],
            { encoding: "utf8", env: { ...process.env, ...env.env, KUBECONFIG: kube().kubeconfig } },
        );
        assert.equal(restore.status, 0, restore.stderr);
        assert.equal(keyOf(getJson("secret/backline-access", ns)), testAccessKey);
    });

    it("refuses a claim on another class (naming both) and a `failed` release, changing nothing", async () => {
        install("backline-other", {
            ...minimal,
            namespaceOverride: "backline-other",
            worker: { storage: { pvc: { storageClassName: "other-rwx" } } },
        });
        install("backline-failed", { ...minimal, namespaceOverride: "backline-failed" });
        const bad = helm().run([
            "upgrade",
            release,
            TEST_CHART,
            "-n",
            "backline-failed",
            "--reuse-values",
            "--set",
            "worker.replicaCount=-1",
        ]);
        assert.notEqual(bad.status, 0, "the broken upgrade passed");
        assert.equal(helmList("backline-failed")[0].status, "failed");

        await newStack(
            "refusals",
            stackConfig({
                ...minimal,
                namespaceOverride: "backline-other",
                worker: { storage: { pvc: { storageClassName: "standard-rwx" } } },
            }),
        );
        const other = await pulumi(["preview"], { expectFailure: true });
        const otherSaid = other.stdout + other.stderr;
        assert.notEqual(other.code, 0);
        assert.match(
            otherSaid,
            /Helm release "backline" cannot be adopted \(1 problem\)[\s\S]*`worker\.storage\.pvc\.storageClassName`: got "standard-rwx", but claim `worker-storage` is on class `other-rwx`/,
        );

        await pulumi(["config", "set", "namespaceOverride", "backline-failed"]);
        await pulumi(["config", "rm", "--path", "worker.storage.pvc.storageClassName"]);
        const failed = await pulumi(["preview"], { expectFailure: true });
        assert.notEqual(failed.code, 0);
        assert.match(
            failed.stdout + failed.stderr,
            /`adopt\.helmRelease`: release `backline` is `failed` \(revision 2\)/,
        );
        assert.equal(helmList("backline-other")[0].status, "deployed");
        assert.equal(helmList("backline-failed")[0].status, "failed");
    });
});
