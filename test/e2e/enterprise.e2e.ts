/**
 * The enterprise-cluster keys on the real engine and a real kube-apiserver: one `pulumi up` of a proxied,
 * air-gapped configuration (every key set, the proxy's credentials a `--secret --path` value),
 * then what the API server made of it: the PodDisruptionBudget and the NetworkPolicies accepted
 * (the disruption controller counts the worker's pods), pods with extra volumes, the CA mount and
 * priority classes admitted by Pod Security ("restricted"), common labels on every object, the
 * proxy Secret's uid on the worker's template, and the janitor run with exactly the environment
 * its CronJob gives it — the proxy URL from the Secret, NO_PROXY expanded as the kubelet does, the
 * CA from the ConfigMap — through a real HTTP CONNECT proxy (tinyproxy) to an HTTPS fake SaaS
 * signed by a CA made here, rewriting the worker image to the mirror.
 *
 * There is no kubelet (pods stay Pending), so the stack sets `kubernetes.skipAwait`. Needs the
 * engine (scripts/build-engine.sh), the API server (scripts/build-kube.sh), tinyproxy and openssl
 * (scripts/proxy-deps.sh); skips with the reason otherwise. Run only this file:
 *   npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 900000 test/e2e/enterprise.e2e.ts
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { useApiServer } from "../support/apiserver";
import { reservedWorkerVolumeNames } from "../../components/model";
import { airGapped } from "../fixtures/enterprise-examples";
import { FakeSaas } from "../support/fake-saas";
import { TestCa, Tinyproxy, makeTestCa, missingProxyTools, startTinyproxy } from "../support/tinyproxy";
import { Engine, EngineEnv, REPO_ROOT, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { ProjectCopy, copyProject } from "./support/project";
import { dryRunAs } from "./support/cluster-stack";
import { job, withPod } from "../fixtures/job-admission-cases";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ns = "backline";
const accessKey = "bk_enterprise_0123456789abcdefSECRET";
const proxyUser = "backline";
const proxyPassword = "pr0xy-Pa55-enterprise";
const mirror = airGapped.imageRegistry as string;
const ecr = "580550010989.dkr.ecr.us-west-1.amazonaws.com";
const announced = `${ecr}/prod-worker:3abc123-1767000000`;

describe("the enterprise-cluster keys on a real Kubernetes API server", function () {
    this.timeout(900_000);

    const kube = useApiServer();
    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let ca: TestCa;
    let saas: FakeSaas;
    let proxy: Tinyproxy;
    let scratch: string;

    const pulumi = async (args: string[]) => {
        const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 600_000 });
        assert.equal(r.code, 0, describeRun(args, r));
        return r;
    };
    const kubectl = (args: string[], input?: string): string => {
        const r = kube().run(args, { input });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    const get = (kind: string, name: string): Any => JSON.parse(kubectl(["get", kind, name, "-n", ns, "-o", "json"]));
    const list = (kind: string, selector?: string): Any[] =>
        JSON.parse(kubectl(["get", kind, "-n", ns, "-o", "json", ...(selector ? ["-l", selector] : [])])).items;
    const poll = async <T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> => {
        const deadline = Date.now() + ms;
        for (;;) {
            const v = fn();
            if (v !== undefined) return v;
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
            await new Promise((r) => setTimeout(r, 500));
        }
    };

    before(async function () {
        const missing = missingProxyTools();
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found || missing) {
            if (missing) console.log(`      skipped: ${missing}`);
            this.skip();
        }
        engine = found as Engine;
        project = copyProject();
        env = engineEnv(engine, { passphrase: "enterprise-e2e" });
        scratch = fs.mkdtempSync(path.join(env.pulumiHome, "..", "janitor-"));
        ca = makeTestCa();
        // 127.0.0.2: a loopback address the stack's NO_PROXY does not name, so the SaaS is reached through the proxy.
        saas = await FakeSaas.start({ tls: { key: ca.key, cert: ca.cert }, host: "127.0.0.2" });
        proxy = await startTinyproxy({
            connectPorts: [saas.port],
            basicAuth: { user: proxyUser, password: proxyPassword },
        });
        const in1h = new Date(Date.now() + 3_600_000).toISOString();
        saas.set("POST", "/api/v1/onprem/token", { body: { token: "jwt.enterprise.token", expiresAt: in1h } });
        saas.set("GET", "/api/v1/onprem/registry-credentials", {
            body: { registry: ecr, username: "AWS", password: "ecr-password-enterprise", expiresAt: in1h },
        });
        saas.set("GET", "/api/v1/onprem/worker-image", { body: { image: announced } });
    });

    after(async () => {
        await proxy?.stop();
        await saas?.close();
        ca?.remove();
        project?.cleanup();
        env?.cleanup();
    });

    it("deploys a proxied, air-gapped stack with every enterprise-cluster key in one `pulumi up`", async () => {
        // Pods naming a PriorityClass are admitted only when it exists.
        for (const [name, value] of [
            ["backline-high", 1000],
            ["backline-ops", 500],
        ] as const) {
            kubectl(
                ["apply", "-f", "-"],
                JSON.stringify({
                    apiVersion: "scheduling.k8s.io/v1",
                    kind: "PriorityClass",
                    metadata: { name },
                    value,
                }),
            );
        }
        await pulumi(["stack", "init", "enterprise", "--secrets-provider", "passphrase"]);
        const stackFile = path.join(project.dir, "Pulumi.enterprise.yaml");
        const stack = parse(fs.readFileSync(stackFile, "utf8")) ?? {};
        // The README's example (test/fixtures/enterprise-examples.ts), with this test's SaaS, proxy and CA.
        const { accessKey: _key, baseUrl: _url, proxy: _proxy, caBundle: _ca, worker, ...rest } = airGapped;
        stack.config = Object.fromEntries(
            Object.entries({
                ...rest,
                baseUrl: saas.baseUrl,
                kubernetes: { kubeconfig: kube().kubeconfig, skipAwait: true },
                proxy: { httpProxy: proxy.url(), noProxy: ".corp.example.com,10.0.0.0/8" },
                caBundle: { pem: fs.readFileSync(ca.caFile, "utf8") },
                worker: { ...(worker as object), storage: { pvc: { storageClassName: "nfs-client" } } },
            }).map(([k, v]) => [`backline:${k}`, v]),
        );
        fs.writeFileSync(stackFile, stringify(stack));
        await pulumi(["config", "set", "--secret", "accessKey", accessKey]);
        // Credentials in a proxy URL are accepted only as a secret: the engine then marks `proxy` secret.
        const withCredentials = proxy.url({ user: proxyUser, password: proxyPassword });
        await pulumi(["config", "set", "--secret", "--path", "proxy.httpsProxy", withCredentials]);
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        for (const secret of [accessKey, proxyPassword]) {
            assert.ok(!up.stdout.includes(secret) && !up.stderr.includes(secret), "a secret is in pulumi's output");
        }
        assert.ok(
            !fs.readFileSync(stackFile, "utf8").includes(proxyPassword),
            "the proxy password is in the stack file",
        );
    });

    it("the API server accepted the PodDisruptionBudget, and the disruption controller counts the worker's pods", async () => {
        const pdb = get("poddisruptionbudget", "worker");
        assert.equal(pdb.spec.minAvailable, 2);
        assert.equal(pdb.spec.unhealthyPodEvictionPolicy, "AlwaysAllow");
        assert.deepEqual(pdb.spec.selector.matchLabels, get("deployment", "worker").spec.selector.matchLabels);
        const status = await poll("the PDB's status", () => {
            const s = get("poddisruptionbudget", "worker").status;
            return s?.expectedPods === 3 ? s : undefined;
        });
        assert.equal(status.desiredHealthy, 2);
    });

    it("the API server accepted the NetworkPolicies", () => {
        const names = list("networkpolicy")
            .map((p) => p.metadata.name)
            .sort();
        assert.deepEqual(names, ["backline-deny-ingress", "backline-egress", "backline-worker-ingress"]);
        const egress = get("networkpolicy", "backline-egress").spec;
        assert.deepEqual(egress.policyTypes, ["Egress"]);
        assert.deepEqual(
            egress.egress.flatMap((e: Any) => e.to ?? []).map((p: Any) => p.ipBlock?.cidr ?? "pods of the namespace"),
            ["10.0.0.1/32", "pods of the namespace", "10.20.0.10/32", "52.94.0.0/16"],
        );
        assert.deepEqual(get("networkpolicy", "backline-worker-ingress").spec.ingress[0].ports, [
            { port: 8080, protocol: "TCP" },
        ]);
    });

    it("Pod Security admits the pods with extra volumes, the CA mount and priority classes", async () => {
        const asPod = (name: string, spec: Any) =>
            JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec });
        const worker = get("deployment", "worker").spec.template.spec;
        // The program's own volumes first, then the user's extra ones.
        assert.deepEqual(
            worker.volumes.map((v: Any) => v.name),
            [...reservedWorkerVolumeNames, "corp-config", "scratch"],
        );
        const templates: [string, Any][] = [
            ["worker", worker],
            ["janitor", get("cronjob", "janitor").spec.jobTemplate.spec.template.spec],
            ...list("job", "backline.ai/run=install").map(
                (j) => ["janitor-install", j.spec.template.spec] as [string, Any],
            ),
        ];
        assert.equal(templates.length, 3);
        for (const [name, spec] of templates) {
            const r = kube().run(["create", "--dry-run=server", "-f", "-"], { input: asPod(`${name}-dry-run`, spec) });
            assert.equal(r.status, 0, `${name} pod refused: ${r.stderr}`);
            assert.ok(!/violate/.test(r.stderr), `${name}: ${r.stderr}`);
        }
        // And the real ones: the ReplicaSet controller's pods were admitted (they stay Pending: no kubelet).
        const pods = await poll("the worker's pods", () => {
            const p = list("pod", "app.kubernetes.io/component=worker");
            return p.length === 3 ? p : undefined;
        });
        for (const p of pods) {
            assert.equal(p.spec.priorityClassName, "backline-high");
            assert.equal(p.spec.priority, 1000, "the Priority admission plugin resolved the class");
        }
    });

    it("puts the common labels and annotations on every object the stack made", () => {
        const kinds = [
            "deployment",
            "cronjob",
            "service",
            "serviceaccount",
            "role",
            "rolebinding",
            "configmap",
            "secret",
            "pvc",
            "poddisruptionbudget",
            "networkpolicy",
        ];
        for (const kind of kinds) {
            for (const o of list(kind, "app.kubernetes.io/managed-by=pulumi")) {
                assert.equal(o.metadata.labels.team, "platform", `${kind}/${o.metadata.name}`);
                assert.equal(
                    o.metadata.annotations?.["example.com/owner"],
                    "platform@example.com",
                    `${kind}/${o.metadata.name}`,
                );
            }
        }
        assert.equal(JSON.parse(kubectl(["get", "namespace", ns, "-o", "json"])).metadata.labels.team, "platform");
        assert.equal(
            get("serviceaccount", "worker").metadata.annotations["eks.amazonaws.com/role-arn"],
            "arn:aws:iam::123456789012:role/BacklineWorker",
        );
    });

    it("reads the proxy URLs from Secret `backline-proxy` and rolls the worker with the Secret's uid", () => {
        const secret = get("secret", "backline-proxy");
        const url = Buffer.from(secret.data.HTTPS_PROXY, "base64").toString();
        assert.equal(url, proxy.url({ user: proxyUser, password: proxyPassword }));
        const template = get("deployment", "worker").spec.template;
        assert.equal(template.metadata.annotations["backline.ai/proxy-secret-uid"], secret.metadata.uid);
        const workerEnv = template.spec.containers[0].env;
        assert.deepEqual(workerEnv.find((e: Any) => e.name === "HTTPS_PROXY").valueFrom, {
            secretKeyRef: { name: "backline-proxy", key: "HTTPS_PROXY" },
        });
        assert.ok(!JSON.stringify(get("deployment", "worker")).includes(proxyPassword));
        assert.equal(template.spec.containers[0].image, `${mirror}/prod-worker:2faf8c5-1757332651`);
    });

    it("the admission policy lets the worker's Jobs use what it hands them: the proxy Secret, the site's pull secret", () => {
        const handedOver = job(
            withPod((p) => {
                p.containers[0].envFrom = [{ secretRef: { name: "backline-proxy" } }];
                p.imagePullSecrets.push({ name: "corp-registry" });
            }),
        );
        const admitted = dryRunAs(kube(), "worker", handedOver);
        assert.equal(admitted.status, 0, admitted.stderr);
        const withAccessKey = job(
            withPod((p) => (p.containers[0].envFrom = [{ secretRef: { name: "backline-access-key" } }])),
        );
        const refused = dryRunAs(kube(), "worker", withAccessKey);
        assert.notEqual(refused.status, 0);
        assert.match(refused.stderr, /secrets: the worker's Jobs may read only/);
    });

    it("the janitor, with its CronJob's environment, goes through the proxy with the CA and moves the worker to the mirror", async () => {
        const container = get("cronjob", "janitor").spec.jobTemplate.spec.template.spec.containers[0];
        const secretValue = (name: string, key: string) =>
            Buffer.from(get("secret", name).data[key], "base64").toString();
        const caMount = container.volumeMounts.find((m: Any) => m.name === "backline-ca-bundle").mountPath;
        const vars: Record<string, string> = {};
        for (const e of container.env as Any[]) {
            if (e.valueFrom?.secretKeyRef)
                vars[e.name] = secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
            else if (e.valueFrom?.fieldRef) vars[e.name] = ns;
            // As the kubelet expands it: the API server's address (here, the test server's).
            else vars[e.name] = String(e.value).replace("$(KUBERNETES_SERVICE_HOST)", "127.0.0.1");
        }
        // The CA bundle as the kubelet mounts it: the ConfigMap's key, under the mount path.
        const caDir = path.join(scratch, "ca");
        fs.mkdirSync(caDir, { recursive: true });
        fs.writeFileSync(path.join(caDir, "ca-bundle.pem"), get("configmap", "backline-ca-bundle").data["ca.crt"]);
        vars.JANITOR_CA_BUNDLE = vars.JANITOR_CA_BUNDLE.replace(caMount, caDir);
        assert.equal(vars.JANITOR_IMAGE_REGISTRY, mirror);
        assert.match(vars.NO_PROXY, /,127\.0\.0\.1,kubernetes\.default\.svc,.*,127\.0\.0\.1$/);

        const token = kubectl(["create", "token", "janitor", "-n", ns]).trim();
        const config = parse(fs.readFileSync(kube().kubeconfig, "utf8"));
        config.users = [{ name: "janitor", user: { token } }];
        config.contexts = [{ name: "janitor", context: { cluster: config.clusters[0].name, user: "janitor" } }];
        config["current-context"] = "janitor";
        fs.writeFileSync(path.join(scratch, "kubeconfig"), JSON.stringify(config), { mode: 0o600 });
        const runJanitor = async () => {
            const child = spawn("bash", [path.join(REPO_ROOT, "janitor", "janitor.sh")], {
                stdio: ["ignore", "pipe", "pipe"],
                env: {
                    ...vars,
                    PATH: `${path.dirname(kube().kubectl)}:${process.env.PATH}`,
                    HOME: scratch,
                    TMPDIR: scratch,
                    KUBECONFIG: path.join(scratch, "kubeconfig"),
                },
            });
            let out = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
            const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
            for (const secret of [accessKey, proxyPassword, "ecr-password-enterprise"])
                assert.ok(!out.includes(secret), out);
            return { code, out };
        };

        const first = await runJanitor();
        assert.equal(first.code, 0, first.out);
        assert.match(
            first.out,
            new RegExp(`image: updated worker from .* to ${mirror}/prod-worker:3abc123-1767000000`),
        );
        assert.equal(
            get("deployment", "worker").spec.template.spec.containers[0].image,
            `${mirror}/prod-worker:3abc123-1767000000`,
        );
        assert.deepEqual(
            proxy.connects(),
            Array(3).fill(`CONNECT 127.0.0.2:${saas.port}`),
            "every SaaS request went through the proxy",
        );
        for (const r of saas.requests) assert.equal(r.headers.authorization, `Bearer ${accessKey}`);

        saas.clearRequests();
        const versions = ["jwt-token", "dockerconfig"].map((n) => get("secret", n).metadata.resourceVersion);
        const deployment = get("deployment", "worker").metadata.resourceVersion;
        const steady = await runJanitor();
        assert.equal(steady.code, 0, steady.out);
        assert.deepEqual(
            saas.requests.map((r) => r.path),
            ["/api/v1/onprem/worker-image"],
            "steady state: one request",
        );
        assert.deepEqual(
            ["jwt-token", "dockerconfig"].map((n) => get("secret", n).metadata.resourceVersion),
            versions,
        );
        assert.equal(get("deployment", "worker").metadata.resourceVersion, deployment, "steady state: no write");
        assert.equal(proxy.connects().length, 4);
    });
});
