/**
 * What good configuration resolves to: the unions components take (job admission, storage, the
 * collector's role), values as `pulumi config set --path` stores them, defaults beside partial
 * objects, and the worker's reserved environment names matching what its spec really sets.
 */
import { strict as assert } from "assert";
import { parseBacklineConfig } from "../components/config";
import { reservedWorkerEnvNames } from "../components/model";
import { buildWorkerEnv } from "../components/specs/worker";
import { base, StackValues, validEfs } from "./fixtures/config-base";

const sidecar = {
    collector: {
        image: "c:1",
        resources: { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } },
    },
    region: "us-west-1",
    roleArn: "arn:aws:iam::123456789012:role/R",
    configHash: "0",
};

describe("the resolved configuration", () => {
    const resolved = (values: StackValues) => {
        const result = parseBacklineConfig(values);
        assert.ok(result.ok, JSON.stringify(result.problems));
        return result.config;
    };

    it("turns the job admission keys into one choice: the policy with its allowlist, or none", () => {
        assert.deepEqual(resolved(base).jobAdmission, { allowedSecrets: [] });
        const allowed = { ...base, worker: { jobs: { allowedSecrets: ["git"] } } };
        assert.deepEqual(resolved(allowed).jobAdmission, { allowedSecrets: ["git"] });
        assert.equal(resolved({ ...allowed, security: { jobAdmissionPolicy: "false" } }).jobAdmission, undefined);
        assert.ok(!("jobs" in resolved(base).worker) && !("security" in resolved(base)));
    });

    it("chooses the storage once: EFS, an existing class, the cluster default or an existing claim", () => {
        const claim = (worker: StackValues, withEfs = false) =>
            resolved({ ...base, worker, ...(withEfs ? { efs: validEfs } : {}) }).storage.claim;
        assert.deepEqual(claim({ storage: { pvc: { storageClassName: "nfs" } } }), {
            kind: "storageClass",
            name: "worker-storage",
            size: "10Gi",
            storageClassName: "nfs",
        });
        assert.deepEqual(claim({ storage: { pvc: { storageClassName: "" } } }), {
            kind: "clusterDefault",
            name: "worker-storage",
            size: "10Gi",
        });
        assert.deepEqual(claim({ storage: { pvc: { create: false, name: "team-share", size: "1Ti" } } }), {
            kind: "existingClaim",
            name: "team-share",
        });
        const e = claim({ securityContext: { runAsUser: 2000, fsGroup: 3000 } }, true);
        assert.equal(e.kind, "efs");
        assert.ok(e.kind === "efs");
        assert.deepEqual(e.owner, { uid: 2000, gid: 3000 });
        assert.deepEqual(e.efs.allowedSecurityGroupIds, []);
        assert.equal(e.efs.throughputMode, "elastic");
    });

    it("chooses the collector's role once: an existing one, or one to create trusting the provider's issuer", () => {
        assert.deepEqual(resolved(base).observability?.role, {
            kind: "existing",
            roleArn: "arn:aws:iam::123456789012:role/YourOtelRole",
        });
        const created = resolved({
            ...base,
            namespaceOverride: "team-a",
            logging: {
                region: "eu-west-1",
                oidc: { providerArn: "arn:aws:iam::123456789012:oidc-provider/app.backline.ai/t", subject: "tenant:a" },
            },
        }).observability;
        assert.deepEqual(created?.role, {
            kind: "create",
            oidc: {
                providerArn: "arn:aws:iam::123456789012:oidc-provider/app.backline.ai/t",
                subject: "tenant:a",
                audience: "sts.amazonaws.com",
                issuer: "app.backline.ai/t",
            },
        });
        assert.equal(created?.logGroupName, "/backline/team-a/worker");
        assert.equal(resolved({ ...base, worker: { otel: { enabled: "false" } } }).observability, undefined);
    });

    it("reads values as `pulumi config set --path` stores them: text for numbers and booleans, null and empty as unset", () => {
        const c = resolved({
            ...base,
            namespaceOverride: "",
            efs: {},
            janitor: { runOnInstall: "false", image: null, backoffLimit: "2" },
            worker: { replicaCount: null, image: { tag: 123 }, env: [{ name: "FLAG", value: true }] },
        });
        assert.equal(c.namespace, "backline");
        assert.equal(c.storage.claim.kind, "clusterDefault");
        assert.equal(c.janitor.runOnInstall, false);
        assert.equal(c.janitor.backoffLimit, 2);
        assert.equal(c.janitor.image.name, "dtzar/helm-kubectl");
        assert.equal(c.worker.replicaCount, 1);
        assert.equal(c.worker.image.tag, "123");
        assert.equal(c.worker.image.autoUpdate, false, "a tag set pins the image");
        assert.deepEqual(c.worker.env, [{ name: "FLAG", value: "true" }]);
    });

    it("keeps the defaults beside a partial object, and strips a trailing slash from baseUrl", () => {
        const c = resolved({
            ...base,
            baseUrl: "https://app.backline.ai//",
            worker: { resources: { requests: { cpu: "1" } } },
        });
        assert.equal(c.baseUrl, "https://app.backline.ai");
        assert.deepEqual(c.worker.resources, {
            requests: { cpu: "1", memory: "1Gi" },
            limits: { cpu: "2000m", memory: "2Gi" },
        });
    });

    it("refuses exactly the environment names the worker spec sets, each of them", () => {
        // Every feature that adds a variable on: the collector and the enterprise-cluster settings.
        const site = resolved({
            ...base,
            proxy: { httpsProxy: "http://proxy.corp:3128" },
            caBundle: { configMapName: "corp-ca" },
            imageRegistry: "mirror.corp",
            imagePullSecrets: ["corp-pull"],
        }).site;
        const set = buildWorkerEnv({
            worker: resolved(base).worker,
            baseUrl: "https://x",
            claimName: "c",
            collector: sidecar,
            site,
        }).map((e) => String(e.name));
        assert.deepEqual([...reservedWorkerEnvNames].sort(), [...set].sort());
        for (const name of set) {
            const result = parseBacklineConfig({ ...base, worker: { env: [{ name, value: "x" }] } });
            assert.ok(
                !result.ok &&
                    result.problems.some((p) => p.key === "worker.env[0].name" && /sets itself/.test(p.message)),
                name,
            );
        }
        assert.ok(parseBacklineConfig({ ...base, worker: { env: [{ name: "BACKLINE_OTHER", value: "x" }] } }).ok);
    });

    it("never shows a value that may be secret, such as an inline kubeconfig", () => {
        const result = parseBacklineConfig({ ...base, kubernetes: { kubeconfig: { token: "hunter2-token" } } });
        assert.ok(!result.ok);
        assert.ok(
            result.problems.some((p) => p.key === "kubernetes.kubeconfig"),
            JSON.stringify(result.problems),
        );
        assert.ok(!JSON.stringify(result.problems).includes("hunter2"), JSON.stringify(result.problems));
    });
});
