/**
 * Issue 12's keys without the program: what the configuration resolves to (the unions the
 * components take), that secrets in proxy URLs are never shown, and the pure builders (registry
 * mirror, proxy variables, site settings, NetworkPolicies, common metadata). Bad input is in the
 * table of test/config.spec.ts (test/fixtures/enterprise-bad-config.ts).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { planStackConfig, secretValuesOf } from "../automation/config";
import { configDeclarations } from "../scripts/gen";
import { parseBacklineConfig, ParseOptions } from "../components/config";
import { restrictedVolumeTypes } from "../components/config/volumes";
import { withCommonMetadata } from "../components/specs/metadata";
import { buildEgressPolicy, buildIngressPolicies } from "../components/specs/network";
import { mirrorImage, proxyEnv, siteContainer, sitePod } from "../components/specs/site";
import { restrictedVolumeTypes as policyVolumeTypes } from "../policy/src/pod-security";
import { airGapped, proxyWithCredentials, testCaPem } from "./fixtures/enterprise-examples";
import { testAccessKey } from "./support/mocks";

const base = { baseUrl: "https://app.backline.ai", accessKey: testAccessKey, worker: { otel: { enabled: false } } };

function resolved(values: Record<string, unknown>, opts?: ParseOptions) {
    const r = parseBacklineConfig(values, opts);
    assert.ok(r.ok, JSON.stringify(r.problems));
    return r.config;
}

describe("enterprise-cluster configuration", () => {
    it("is off and empty by default", () => {
        const c = resolved(base);
        assert.deepEqual(c.site, {
            proxy: undefined,
            caBundle: undefined,
            imageRegistry: undefined,
            imagePullSecrets: [],
        });
        assert.deepEqual(c.commonMetadata, { labels: {}, annotations: {} });
        assert.equal(c.networkPolicy, undefined);
        assert.equal(c.worker.disruptionBudget, undefined);
        assert.deepEqual(
            [c.worker.extraVolumes, c.worker.extraVolumeMounts, c.worker.topologySpreadConstraints],
            [[], [], []],
        );
        assert.deepEqual(
            [c.worker.podLabels, c.worker.podAnnotations, c.worker.serviceAccount],
            [{}, {}, { annotations: {} }],
        );
        assert.equal(c.worker.priorityClassName, undefined);
    });

    it("resolves the enterprise page's air-gapped example into the unions the components take", () => {
        const c = resolved(airGapped);
        assert.deepEqual(c.site.proxy, {
            httpProxy: "http://proxy.corp.example.com:3128",
            httpsProxy: "http://proxy.corp.example.com:3128",
            noProxy: [".corp.example.com", "10.0.0.0/8"],
            credentials: false,
        });
        assert.deepEqual(c.site.caBundle, { kind: "inline", pem: testCaPem, key: "ca.crt" });
        assert.equal(c.site.imageRegistry, "registry.corp.example.com/backline");
        assert.deepEqual(c.worker.disruptionBudget, { minAvailable: 2 });
        assert.deepEqual(c.networkPolicy?.egress, {
            cidrs: ["10.20.0.10/32", "52.94.0.0/16"],
            apiServerCidrs: ["10.0.0.1/32"],
        });
    });

    it("chooses the CA bundle, the budget and the network policy once", () => {
        assert.deepEqual(resolved({ ...base, caBundle: { configMapName: "roots" } }).site.caBundle, {
            kind: "configMap",
            configMapName: "roots",
            key: "ca.crt",
        });
        const budget = (b: unknown) =>
            resolved({ ...base, worker: { ...base.worker, replicaCount: 4, podDisruptionBudget: b } }).worker
                .disruptionBudget;
        assert.deepEqual(budget({ maxUnavailable: "25%" }), { maxUnavailable: "25%" });
        assert.deepEqual(budget({ minAvailable: "3" }), { minAvailable: 3 }, "a number as text is a number");
        assert.deepEqual(budget({ minAvailable: "75%" }), { minAvailable: "75%" }, "3 of 4 kept: one may go");
        assert.deepEqual(resolved({ ...base, networkPolicy: { enabled: true } }).networkPolicy, {
            ingressFrom: [{ podSelector: {} }],
            egress: undefined,
        });
        assert.deepEqual(
            resolved({ ...base, networkPolicy: { enabled: true, ingressFrom: [] } }).networkPolicy?.ingressFrom,
            [],
        );
    });

    it("reads noProxy as `pulumi config set --path proxy.noProxy` stores it: comma-separated text", () => {
        const c = resolved({
            ...base,
            proxy: { httpsProxy: "http://p:3128", noProxy: " .corp.example.com, 10.0.0.0/8,fd00::/8" },
        });
        assert.deepEqual(c.site.proxy?.noProxy, [".corp.example.com", "10.0.0.0/8", "fd00::/8"]);
    });

    it("accepts credentials in a proxy URL only when `proxy` is stored as a secret, and never shows them", () => {
        const url = (proxyWithCredentials.proxy as { httpsProxy: string }).httpsProxy;
        assert.equal(resolved(proxyWithCredentials).site.proxy?.credentials, true, "secret by default (unknown)");
        assert.equal(resolved(proxyWithCredentials, { proxyIsSecret: true }).site.proxy?.credentials, true);
        const plain = parseBacklineConfig(proxyWithCredentials, { proxyIsSecret: false });
        assert.ok(!plain.ok);
        assert.deepEqual(
            plain.problems.map((p) => p.key),
            ["proxy.httpsProxy"],
        );
        assert.ok(!JSON.stringify(plain.problems).includes("s3cr"), JSON.stringify(plain.problems));
        // A malformed URL with credentials: the problem names the key, never the value.
        const bad = parseBacklineConfig({ ...base, proxy: { httpsProxy: "http://u:hunter2-pw@proxy.corp" } });
        assert.ok(!bad.ok && bad.problems[0].key === "proxy.httpsProxy");
        assert.ok(!JSON.stringify(bad.problems).includes("hunter2"), JSON.stringify(bad.problems));
        assert.ok(url.includes("s3cr%40t"), "the example percent-encodes its password");
    });

    it("the Automation API stores a proxy URL with credentials as a path secret, and redacts it", () => {
        const config = {
            ...proxyWithCredentials,
            proxy: { ...(proxyWithCredentials.proxy as object), noProxy: [".corp"] },
        };
        const url = (proxyWithCredentials.proxy as { httpsProxy: string }).httpsProxy;
        const plan = planStackConfig({ config: config as never, kubernetes: { context: "prod" } });
        assert.deepEqual(plan.plain["backline:proxy"].objectValue, { noProxy: [".corp"] });
        assert.ok(!JSON.stringify(plan.plain).includes("s3cr"), "the credentials are in a plaintext value");
        assert.deepEqual(
            plan.secrets.filter((s) => s.key.startsWith("backline:proxy")),
            [{ key: "backline:proxy.httpsProxy", path: true, value: url }],
        );
        const redacted = secretValuesOf(config as never, { context: "prod" });
        for (const form of [url, "s3cr%40t-proxy-pw", "s3cr@t-proxy-pw"]) assert.ok(redacted.includes(form), form);
        const plainProxy = planStackConfig({
            config: { ...base, proxy: { httpsProxy: "http://p:3128" } } as never,
            kubernetes: { context: "prod" },
        });
        assert.deepEqual(plainProxy.plain["backline:proxy"].objectValue, { httpsProxy: "http://p:3128" });
    });

    it("accepts the enterprise page's example stack file (secure values as the CLI decrypts them)", () => {
        const page = fs.readFileSync(path.join(__dirname, "..", "docs", "enterprise.md"), "utf8");
        const yaml = /```yaml\n([\s\S]*?)```/.exec(page)?.[1];
        assert.ok(yaml, "no YAML example in docs/enterprise.md");
        const decrypted: Record<string, unknown> = { "backline:accessKey": testAccessKey };
        const stackFile = parse(yaml) as { config: Record<string, unknown> };
        const values: Record<string, unknown> = {};
        for (const [k, v] of Object.entries({ ...stackFile.config, ...decrypted }))
            values[k.replace(/^backline:/, "")] = v;
        (values.proxy as Record<string, unknown>).httpsProxy = "http://user:pass@proxy.corp.example.com:3128";
        const c = resolved(values);
        // Editors check it too: the stack files' JSON Schema accepts it, secure values and all.
        const schema = JSON.parse(
            fs.readFileSync(path.join(__dirname, "..", "schema", "stack-config.schema.json"), "utf8"),
        );
        const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
        assert.ok(validate(stackFile), JSON.stringify(validate.errors));
        assert.equal(c.site.proxy?.credentials, true);
        assert.deepEqual(c.site.caBundle, { kind: "configMap", configMapName: "corp-root-ca", key: "ca.crt" });
        assert.ok(c.networkPolicy?.egress);
        assert.deepEqual(c.worker.disruptionBudget, { minAvailable: 2 });
    });

    it("declares every optional top-level key with a default in Pulumi.yaml (Pulumi requires the others)", () => {
        for (const [key, decl] of Object.entries(configDeclarations())) {
            if (key === "backline:baseUrl" || key === "backline:accessKey") continue;
            assert.ok("default" in decl, `${key} has no default: every stack without it would be refused`);
        }
        assert.equal(configDeclarations()["backline:imageRegistry"].default, "");
        assert.deepEqual(configDeclarations()["backline:imagePullSecrets"], {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Existing pull secrets (names) added to every pod, beside `dockerconfig`.",
        });
    });

    it("refuses exactly the volume types the policy pack refuses", () => {
        assert.deepEqual([...restrictedVolumeTypes].sort(), [...policyVolumeTypes].sort());
    });
});

describe("enterprise-cluster builders", () => {
    it("mirrorImage replaces the registry, keeps repository and tag or digest, and adds Docker Hub's library/", () => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const m = "mirror.corp:5000/cache";
        const table: [string, string][] = [
            ["580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:2faf8c5", `${m}/prod-worker:2faf8c5`],
            [
                "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2",
                `${m}/aws-observability/aws-otel-collector:v0.43.2`,
            ],
            ["docker.io/dtzar/helm-kubectl:3.16.1", `${m}/dtzar/helm-kubectl:3.16.1`],
            ["docker.io/nginx:1.27", `${m}/library/nginx:1.27`],
            ["index.docker.io/nginx@" + digest, `${m}/library/nginx@${digest}`],
            ["nginx", `${m}/library/nginx`],
            ["nginx:1.27", `${m}/library/nginx:1.27`],
            ["bitnami/nginx:1.27", `${m}/bitnami/nginx:1.27`],
            ["localhost:5000/team/app:1", `${m}/team/app:1`],
            ["localhost/app:1", `${m}/app:1`],
            ["registry.corp:443/a/b/c@" + digest, `${m}/a/b/c@${digest}`],
        ];
        for (const [from, to] of table) assert.equal(mirrorImage(from, m), to, from);
    });

    it("proxy variables: plain values without credentials, secretKeyRef with them; NO_PROXY always keeps the cluster direct", () => {
        const plain = proxyEnv({
            httpProxy: undefined,
            httpsProxy: "http://p:3128",
            noProxy: [".corp", ".svc"],
            credentials: false,
        });
        assert.deepEqual(
            plain.map((e) => e.name),
            ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"],
        );
        assert.deepEqual(plain[0], { name: "HTTPS_PROXY", value: "http://p:3128" });
        const noProxy = String(plain[2].value).split(",");
        for (const host of [
            "kubernetes.default.svc",
            ".svc",
            ".cluster.local",
            "$(KUBERNETES_SERVICE_HOST)",
            "127.0.0.1",
            ".corp",
        ]) {
            assert.ok(noProxy.includes(host), host);
        }
        assert.equal(noProxy.filter((h) => h === ".svc").length, 1, "each host once");
        const secret = proxyEnv({
            httpProxy: "http://u:p@p:3128",
            httpsProxy: "http://u:p@p:3128",
            noProxy: [],
            credentials: true,
        });
        for (const e of secret.filter((x) => /_proxy$/i.test(String(x.name)) && !/no_proxy/i.test(String(x.name)))) {
            assert.equal(e.value, undefined, String(e.name));
            assert.deepEqual(e.valueFrom, { secretKeyRef: { name: "backline-proxy", key: e.name } });
        }
        assert.equal(secret.length, 6);
    });

    it("site settings change nothing when unset", () => {
        const empty = { proxy: undefined, caBundle: undefined, imageRegistry: undefined, imagePullSecrets: [] };
        const c = { name: "x", image: "docker.io/x:1", env: [{ name: "A", value: "1" }] };
        assert.deepEqual(siteContainer(c, empty, "worker"), c);
        assert.deepEqual(siteContainer(c, undefined, "janitor"), c);
        const pod = { containers: [c], volumes: [{ name: "tmp", emptyDir: {} }] };
        assert.deepEqual(sitePod(pod, empty), pod);
    });

    it("NetworkPolicies: deny ingress, admit the worker's port from the peers (none with []), limit egress", () => {
        const selector = { "app.kubernetes.io/component": "worker" };
        const ingress = buildIngressPolicies({ ingressFrom: [{ podSelector: {} }], egress: undefined }, 8080, selector);
        assert.deepEqual(
            ingress.map((p) => p.name),
            ["backline-deny-ingress", "backline-worker-ingress"],
        );
        assert.deepEqual(ingress[0].spec, { podSelector: {}, policyTypes: ["Ingress"] });
        assert.deepEqual(ingress[1].spec.ingress, [
            { from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] },
        ]);
        assert.deepEqual(
            buildIngressPolicies({ ingressFrom: [], egress: undefined }, 8080, selector).map((p) => p.name),
            ["backline-deny-ingress"],
        );
        const egress = buildEgressPolicy({ cidrs: ["52.94.0.0/16"], apiServerCidrs: ["10.0.0.1/32"] });
        assert.deepEqual(egress.spec.policyTypes, ["Egress"]);
        assert.deepEqual(egress.spec.egress, [
            {
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
            { to: [{ ipBlock: { cidr: "10.0.0.1/32" } }] },
            { to: [{ podSelector: {} }] },
            { to: [{ ipBlock: { cidr: "52.94.0.0/16" } }] },
        ]);
    });

    it("common metadata goes under the program's own, on the object and its pod templates", async () => {
        const common = { labels: { team: "a", "app.kubernetes.io/name": "never" }, annotations: { owner: "o" } };
        const cron = withCommonMetadata(common, "kubernetes:batch/v1:CronJob", {
            metadata: { name: "janitor", labels: { "app.kubernetes.io/name": "backline" } },
            spec: {
                schedule: "* * * * *",
                jobTemplate: { spec: { template: { metadata: { labels: { x: "1" } }, spec: {} } } },
            },
        }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.deepEqual(cron.metadata.labels, { team: "a", "app.kubernetes.io/name": "backline" });
        assert.deepEqual(cron.metadata.annotations, { owner: "o" });
        assert.deepEqual(cron.spec.jobTemplate.metadata.labels, { team: "a", "app.kubernetes.io/name": "never" });
        assert.deepEqual(cron.spec.jobTemplate.spec.template.metadata.labels, {
            team: "a",
            "app.kubernetes.io/name": "never",
            x: "1",
        });
        assert.equal(cron.spec.schedule, "* * * * *");
        // Metadata given as an Output is merged once known.
        const cm = withCommonMetadata(common, "kubernetes:core/v1:ConfigMap", {
            metadata: pulumi.output({ name: "c", labels: { own: "1" } }),
        }) as { metadata: pulumi.Output<{ labels: Record<string, string> }> };
        const labels = await new Promise((resolve) => cm.metadata.apply((m) => resolve(m.labels)));
        assert.deepEqual(labels, { team: "a", "app.kubernetes.io/name": "never", own: "1" });
    });
});
