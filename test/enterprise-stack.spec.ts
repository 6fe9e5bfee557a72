/**
 * The program (`index.ts`) under Pulumi mocks with the enterprise-cluster keys: one `describe` per key or
 * group, each checking the objects it adds or changes, and that every object still matches the
 * Kubernetes schema, keeps the "restricted" profile and passes the policy pack.
 */
import { strict as assert } from "assert";
import { backlinePolicies } from "../policy/src/policies";
import { restrictedViolations } from "../policy/src/pod-security";
import { runPolicies } from "../policy/test/harness";
import { airGapped, proxyWithCredentials, testCaPem } from "./fixtures/enterprise-examples";
import { podSpecsOf, validateKubernetesObject } from "./support/k8s-schema";
import { ProgramRun, RecordedResource, runProgram } from "./support/mocks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const T = {
    deployment: "kubernetes:apps/v1:Deployment",
    cronJob: "kubernetes:batch/v1:CronJob",
    job: "kubernetes:batch/v1:Job",
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

const worker = (run: ProgramRun): Any => run.mocks.one(T.deployment, "worker").inputs;
const workerPod = (run: ProgramRun): Any => worker(run).spec.template.spec;
const janitorPods = (run: ProgramRun): Any[] => [
    run.mocks.one(T.cronJob, "janitor").inputs.spec.jobTemplate.spec.template.spec,
    run.mocks.one(T.job).inputs.spec.template.spec,
];
const container = (pod: Any, name: string): Any => pod.containers.find((c: Any) => c.name === name);
const env = (c: Any): Record<string, Any> =>
    Object.fromEntries(c.env.map((e: Any) => [e.name, e.value ?? e.valueFrom]));
/** Every container of the stack, with where it runs. */
const allContainers = (run: ProgramRun): [string, Any][] => [
    ["worker", container(workerPod(run), "worker")],
    ["collector", container(workerPod(run), "adot-collector")],
    ...janitorPods(run).map((p, i) => [`janitor ${i}`, container(p, "janitor")] as [string, Any]),
];

describe("BacklineStack with the enterprise-cluster keys (the air-gapped example of docs/enterprise.md)", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(airGapped);
    });

    it("makes objects that match the Kubernetes schema and keep the restricted profile", () => {
        for (const r of run.mocks.kubernetesObjects()) {
            validateKubernetesObject(r);
            for (const pod of podSpecsOf(r)) assert.deepEqual(restrictedViolations(pod), [], r.inputs.metadata.name);
        }
    });

    it("passes the policy pack: no mandatory violation, and the PDB silences the replicas advisory", async () => {
        const resources = run.mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.state }));
        const result = await runPolicies(backlinePolicies, resources);
        assert.deepEqual(result.skipped, []);
        assert.deepEqual(
            result.violations.filter((v) => v.level === "mandatory"),
            [],
        );
        assert.deepEqual([...new Set(result.violations.map((v) => v.policy))], ["images-pinned-by-digest"]);
    });

    describe("proxy", () => {
        it("gives every container the proxy variables and keeps the cluster direct", () => {
            for (const [where, c] of allContainers(run)) {
                const e = env(c);
                for (const name of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) {
                    assert.equal(e[name], "http://proxy.corp.example.com:3128", `${where} ${name}`);
                }
                assert.equal(e.NO_PROXY, e.no_proxy, where);
                assert.match(
                    e.NO_PROXY,
                    /^\.corp\.example\.com,10\.0\.0\.0\/8,localhost,127\.0\.0\.1,kubernetes\.default\.svc,/,
                );
                assert.match(e.NO_PROXY, /,\.svc,\.cluster\.local,\$\(KUBERNETES_SERVICE_HOST\)$/);
            }
        });

        it("puts the URLs in Secret `backline-proxy` (encrypted in the state) and tells the worker its name for its Jobs", () => {
            const secret = run.mocks.one(T.secret, "backline-proxy").inputs;
            assert.ok(secret.stringData["4dabf18193072939515e22adb298388d"], "stringData is a secret");
            assert.deepEqual(Object.keys(secret.stringData.value).sort(), [
                "HTTPS_PROXY",
                "HTTP_PROXY",
                "http_proxy",
                "https_proxy",
            ]);
            assert.equal(env(container(workerPod(run), "worker")).BACKLINE_PROXY_SECRET, "backline-proxy");
        });
    });

    describe("caBundle", () => {
        it("makes ConfigMap `backline-ca-bundle` from the inline PEM and rolls the worker when it changes", () => {
            const cm = run.mocks.one(T.configMap, "backline-ca-bundle").inputs;
            assert.deepEqual(cm.data, { "ca.crt": testCaPem });
            assert.match(
                worker(run).spec.template.metadata.annotations["backline.ai/ca-bundle-sha256"],
                /^[0-9a-f]{64}$/,
            );
        });

        it("mounts it read-only in every container and points each client at it", () => {
            const file = "/etc/backline/ca-bundle/ca-bundle.pem";
            for (const [where, c] of allContainers(run)) {
                assert.deepEqual(
                    c.volumeMounts.find((m: Any) => m.name === "backline-ca-bundle"),
                    { name: "backline-ca-bundle", mountPath: "/etc/backline/ca-bundle", readOnly: true },
                    where,
                );
            }
            for (const pod of [workerPod(run), ...janitorPods(run)]) {
                assert.deepEqual(pod.volumes.find((v: Any) => v.name === "backline-ca-bundle").configMap, {
                    name: "backline-ca-bundle",
                    items: [{ key: "ca.crt", path: "ca-bundle.pem" }],
                    defaultMode: 0o444,
                });
            }
            const w = env(container(workerPod(run), "worker"));
            assert.deepEqual([w.SSL_CERT_FILE, w.NODE_EXTRA_CA_CERTS, w.REQUESTS_CA_BUNDLE], [file, file, file]);
            assert.deepEqual(
                [w.BACKLINE_CA_BUNDLE_CONFIGMAP, w.BACKLINE_CA_BUNDLE_KEY],
                ["backline-ca-bundle", "ca.crt"],
            );
            assert.equal(env(container(workerPod(run), "adot-collector")).SSL_CERT_FILE, file);
            for (const pod of janitorPods(run)) assert.equal(env(container(pod, "janitor")).JANITOR_CA_BUNDLE, file);
        });
    });

    describe("imageRegistry and imagePullSecrets", () => {
        it("runs every image from the mirror and tells the janitor and the worker", () => {
            const m = "registry.corp.example.com/backline";
            assert.equal(container(workerPod(run), "worker").image, `${m}/prod-worker:2faf8c5-1757332651`);
            assert.equal(
                container(workerPod(run), "adot-collector").image,
                `${m}/aws-observability/aws-otel-collector:v0.43.2`,
            );
            for (const pod of janitorPods(run)) {
                assert.equal(container(pod, "janitor").image, `${m}/dtzar/helm-kubectl:3.16.1`);
                assert.equal(env(container(pod, "janitor")).JANITOR_IMAGE_REGISTRY, m);
            }
            assert.equal(env(container(workerPod(run), "worker")).BACKLINE_IMAGE_REGISTRY, m);
        });

        it("adds the pull secrets to every pod, beside `dockerconfig` for the worker", () => {
            assert.deepEqual(workerPod(run).imagePullSecrets, [{ name: "dockerconfig" }, { name: "corp-registry" }]);
            for (const pod of janitorPods(run)) assert.deepEqual(pod.imagePullSecrets, [{ name: "corp-registry" }]);
            assert.equal(
                env(container(workerPod(run), "worker")).BACKLINE_IMAGE_PULL_SECRETS,
                "dockerconfig,corp-registry",
            );
        });
    });

    describe("commonLabels, commonAnnotations, pod labels and annotations", () => {
        it("labels and annotates every object and pod template, the program's labels intact", () => {
            const templates = (r: RecordedResource): Any[] =>
                r.type === T.cronJob
                    ? [r.inputs.spec.jobTemplate, r.inputs.spec.jobTemplate.spec.template]
                    : r.type === T.deployment || r.type === T.job
                      ? [r.inputs.spec.template]
                      : [];
            for (const r of run.mocks.kubernetesObjects()) {
                for (const m of [r.inputs.metadata, ...templates(r).map((t) => t.metadata)]) {
                    assert.equal(m.labels["example.com/cost-center"], "cc-1234", `${r.type} ${r.inputs.metadata.name}`);
                    assert.equal(m.labels.team, "platform");
                    assert.equal(m.labels["app.kubernetes.io/name"], "backline");
                    assert.equal(m.annotations["example.com/owner"], "platform@example.com");
                }
            }
        });

        it("adds each workload's pod labels and annotations to its pods only", () => {
            const wt = worker(run).spec.template.metadata;
            assert.equal(wt.labels["example.com/tier"], "app");
            assert.equal(wt.annotations["example.com/scrape"], "true");
            assert.equal(wt.labels["app.kubernetes.io/component"], "worker");
            assert.match(wt.annotations["backline.ai/collector-config-sha256"], /^[0-9a-f]{64}$/);
            assert.equal(worker(run).metadata.labels["example.com/tier"], undefined, "not on the Deployment itself");
            const cron = run.mocks.one(T.cronJob, "janitor").inputs.spec.jobTemplate.spec.template.metadata;
            assert.equal(cron.labels["example.com/tier"], "ops");
            assert.equal(cron.annotations["example.com/scrape"], "false");
        });

        it("annotates each ServiceAccount for workload identity", () => {
            const sa = (name: string) => run.mocks.one(T.serviceAccount, name).inputs.metadata.annotations;
            assert.equal(sa("worker")["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/BacklineWorker");
            assert.equal(sa("janitor")["example.com/audit"], "janitor");
            assert.deepEqual(
                sa("backline-jobs"),
                { "example.com/owner": "platform@example.com" },
                "only the common ones",
            );
        });
    });

    describe("extraVolumes, priorityClassName, topologySpreadConstraints", () => {
        it("adds the volumes to the worker's pod and mounts them into the worker container only", () => {
            const pod = workerPod(run);
            assert.deepEqual(pod.volumes.slice(-2), [
                { name: "corp-config", configMap: { name: "corp-config" } },
                { name: "scratch", emptyDir: { sizeLimit: "1Gi" } },
            ]);
            assert.deepEqual(container(pod, "worker").volumeMounts.slice(-2), [
                { name: "corp-config", mountPath: "/etc/corp", readOnly: true },
                { name: "scratch", mountPath: "/scratch" },
            ]);
            assert.ok(!container(pod, "adot-collector").volumeMounts.some((m: Any) => m.name === "scratch"));
            for (const p of janitorPods(run)) assert.ok(!p.volumes.some((v: Any) => v.name === "scratch"));
        });

        it("sets each workload's priority class", () => {
            assert.equal(workerPod(run).priorityClassName, "backline-high");
            for (const pod of janitorPods(run)) assert.equal(pod.priorityClassName, "backline-ops");
        });

        it("spreads the worker with its own selector when none is given", () => {
            assert.deepEqual(workerPod(run).topologySpreadConstraints, [
                {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: { matchLabels: worker(run).spec.selector.matchLabels },
                },
            ]);
        });
    });

    describe("podDisruptionBudget", () => {
        it("makes PodDisruptionBudget `worker` selecting the worker's pods, unhealthy pods always evictable", () => {
            const pdb = run.mocks.one(T.pdb, "worker").inputs;
            assert.deepEqual(pdb.spec, {
                selector: { matchLabels: worker(run).spec.selector.matchLabels },
                minAvailable: 2,
                unhealthyPodEvictionPolicy: "AlwaysAllow",
            });
        });
    });

    describe("networkPolicy", () => {
        it("denies ingress, admits the worker's port from the given peers, limits egress", () => {
            const policies = Object.fromEntries(
                run.mocks.ofType(T.networkPolicy).map((r) => [r.inputs.metadata.name, r.inputs.spec]),
            );
            assert.deepEqual(Object.keys(policies).sort(), [
                "backline-deny-ingress",
                "backline-egress",
                "backline-worker-ingress",
            ]);
            assert.deepEqual(policies["backline-worker-ingress"].ingress, [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress" } } }],
                    ports: [{ protocol: "TCP", port: 8080 }],
                },
            ]);
            assert.deepEqual(policies["backline-worker-ingress"].podSelector, {
                matchLabels: worker(run).spec.selector.matchLabels,
            });
            const to = policies["backline-egress"].egress
                .flatMap((e: Any) => e.to ?? [])
                .map((p: Any) => p.ipBlock?.cidr);
            assert.deepEqual(to, ["10.0.0.1/32", undefined, "10.20.0.10/32", "52.94.0.0/16"]);
        });
    });
});

describe("BacklineStack with a proxy whose URL holds credentials, stored as a secret", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    const url = (proxyWithCredentials.proxy as { httpsProxy: string }).httpsProxy;
    before(async () => {
        run = await runProgram(proxyWithCredentials, { secretKeys: ["proxy"] });
    });

    it("gives the URL to containers only by secretKeyRef", () => {
        for (const [where, c] of allContainers(run).filter(([w]) => w !== "collector")) {
            const e = env(c);
            for (const name of ["HTTPS_PROXY", "https_proxy"]) {
                assert.deepEqual(e[name], { secretKeyRef: { name: "backline-proxy", key: name } }, `${where} ${name}`);
            }
            assert.equal(e.HTTP_PROXY, undefined, "no http proxy was given");
        }
    });

    it("holds the URL nowhere but the Secret's encrypted data", () => {
        const where = run.mocks.resources
            .filter((r) => JSON.stringify(r.inputs).includes(url))
            .map((r) => `${r.type} ${r.inputs?.metadata?.name}`);
        assert.deepEqual(where, ["kubernetes:core/v1:Secret backline-proxy"]);
        const secret = run.mocks.one(T.secret, "backline-proxy").inputs.stringData;
        assert.equal(secret["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
        assert.equal(secret.value.HTTPS_PROXY, url);
    });

    it("rolls the worker when the Secret is replaced (its uid is a pod-template annotation)", () => {
        const annotations = worker(run).spec.template.metadata.annotations;
        assert.equal(annotations["backline.ai/proxy-secret-uid"], "backline-outbound-proxy-uid");
    });

    it("mounts an existing ConfigMap's key as the bundle and makes no ConfigMap of its own", () => {
        assert.equal(
            run.mocks.ofType(T.configMap).filter((r) => r.inputs.metadata.name === "backline-ca-bundle").length,
            0,
        );
        assert.deepEqual(workerPod(run).volumes.find((v: Any) => v.name === "backline-ca-bundle").configMap.items, [
            { key: "bundle.pem", path: "ca-bundle.pem" },
        ]);
        assert.equal(
            workerPod(run).volumes.find((v: Any) => v.name === "backline-ca-bundle").configMap.name,
            "corp-roots",
        );
        assert.equal(worker(run).spec.template.metadata.annotations["backline.ai/ca-bundle-sha256"], undefined);
    });

    it("is refused when `proxy` is stored in plaintext, before any resource exists", async () => {
        let error: Error | undefined;
        try {
            await runProgram(proxyWithCredentials);
        } catch (e) {
            error = e as Error;
        }
        assert.match(
            String(error?.message),
            /`proxy.httpsProxy`: holds credentials but the `proxy` key is stored in plaintext/,
        );
        assert.ok(!String(error?.message).includes("s3cr"), "the password is shown");
    });
});
