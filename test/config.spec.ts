/**
 * Configuration validation: one table row per kind of bad input (test/fixtures/config-bad-cases.ts),
 * each asserting the key named and the message; and the program refusing bad config before any
 * resource. What good input resolves to is in config-resolved.spec.ts, the pure validators in
 * config-validators.spec.ts.
 */
import { strict as assert } from "assert";
import { ConfigValidationError, parseBacklineConfig } from "../components/config";
import { checkBaseUrl } from "../components/config/network-checks";
import { runProgram, runProgramExpectingError, testAccessKey } from "./support/mocks";
import { badCases as bad } from "./fixtures/config-bad-cases";
import { base } from "./fixtures/config-base";

describe("configuration validation", () => {
    it("accepts the chart's minimal values and applies its defaults", () => {
        const result = parseBacklineConfig(base);
        assert.ok(result.ok, JSON.stringify(result.problems));
        const c = result.config;
        assert.equal(c.namespace, "backline");
        assert.equal(c.janitor.schedule, "* * * * *");
        assert.equal(c.worker.replicaCount, 1);
        assert.equal(c.worker.image.tag, "2faf8c5-1757332651");
        assert.equal(c.worker.image.autoUpdate, true);
        assert.deepEqual(c.storage, {
            deleteOnDestroy: false,
            claim: { kind: "clusterDefault", name: "worker-storage", size: "10Gi" },
        });
        assert.equal(c.worker.mountPath, "/data");
        assert.equal(c.observability?.collector.image, "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2");
        assert.equal(c.observability?.logGroupName, "/backline/backline/worker");
        assert.deepEqual(c.observability?.role, {
            kind: "existing",
            roleArn: "arn:aws:iam::123456789012:role/YourOtelRole",
        });
    });

    it("pins the image when the user sets registry, name or tag, unless autoUpdate says otherwise", () => {
        const pinned = parseBacklineConfig({ ...base, worker: { image: { tag: "v2" } } });
        assert.ok(pinned.ok && pinned.config.worker.image.autoUpdate === false);
        const policyOnly = parseBacklineConfig({ ...base, worker: { image: { pullPolicy: "Always" } } });
        assert.ok(policyOnly.ok && policyOnly.config.worker.image.autoUpdate === true);
        const explicit = parseBacklineConfig({ ...base, worker: { image: { tag: "v2", autoUpdate: true } } });
        assert.ok(explicit.ok && explicit.config.worker.image.autoUpdate === true);
    });

    it("accepts numbers given as strings, as `pulumi config set --path` may store them", () => {
        const result = parseBacklineConfig({ ...base, worker: { replicaCount: "3", service: { httpPort: "9090" } } });
        assert.ok(result.ok);
        assert.equal(result.config.worker.replicaCount, 3);
        assert.equal(result.config.worker.service.httpPort, 9090);
    });

    it("needs no logging settings when otel is disabled", () => {
        const result = parseBacklineConfig({
            baseUrl: "https://app.backline.ai",
            accessKey: "k",
            worker: { otel: { enabled: false } },
        });
        assert.ok(result.ok, JSON.stringify(result.problems));
        assert.equal(result.config.observability, undefined);
    });

    it("allows http only for loopback", () => {
        assert.equal(checkBaseUrl("http://localhost:8080"), undefined);
        assert.equal(checkBaseUrl("http://127.0.0.1:3000"), undefined);
        assert.ok(checkBaseUrl("http://10.0.0.1"));
    });

    it("merges a probe override over the default, as Helm merges values", () => {
        const result = parseBacklineConfig({ ...base, worker: { livenessProbe: { initialDelaySeconds: 60 } } });
        assert.ok(result.ok);
        assert.deepEqual(result.config.worker.livenessProbe.httpGet, { path: "/health", port: "http" });
        assert.equal(result.config.worker.livenessProbe.initialDelaySeconds, 60);
        const replaced = parseBacklineConfig({ ...base, worker: { readinessProbe: { tcpSocket: { port: 8080 } } } });
        assert.ok(replaced.ok);
        assert.equal(replaced.config.worker.readinessProbe.httpGet, undefined);
    });

    for (const c of bad) {
        it(`refuses ${c.name}, naming \`${c.key}\``, () => {
            const result = parseBacklineConfig(c.raw, { accessKeyIsSecret: !c.plaintext, ...c.options });
            assert.equal(result.ok, false, `${c.name} was accepted`);
            const problem = result.problems.find((p) => p.key === c.key);
            assert.ok(problem, `no problem for \`${c.key}\`; got ${JSON.stringify(result.problems)}`);
            assert.match(problem.message, c.message);
        });
    }

    it("reports every problem at once", () => {
        const result = parseBacklineConfig({
            accessKey: undefined,
            baseUrl: "ftp://x",
            namespaceOverride: "NS",
            worker: { replicaCount: -2, image: { pullPolicy: "x" } },
            janitor: { schedule: "bad" },
            logging: { region: "nowhere", roleArn: "nope" },
        });
        assert.equal(result.ok, false);
        assert.deepEqual(result.problems.map((p) => p.key).sort(), [
            "accessKey",
            "baseUrl",
            "janitor.schedule",
            "logging.region",
            "logging.roleArn",
            "namespaceOverride",
            "worker.image.pullPolicy",
            "worker.replicaCount",
        ]);
    });

    it("never shows the access key, even when it is malformed", () => {
        const key = "secret with spaces 123";
        const result = parseBacklineConfig({ ...base, accessKey: key }, { accessKeyIsSecret: false });
        assert.equal(result.ok, false);
        assert.ok(!JSON.stringify(result.problems).includes(key));
        const spaced = parseBacklineConfig({ ...base, accessKey: key });
        assert.ok(!spaced.ok && !JSON.stringify(spaced.problems).includes(key));
        assert.ok(!spaced.ok && spaced.problems[0].message.includes("whitespace"));
    });
});

describe("the program refuses bad configuration before creating anything", function () {
    this.timeout(30_000);

    it("throws a ConfigValidationError listing every problem, and registers no resource", async () => {
        const err = await runProgramExpectingError({
            baseUrl: "http://app.backline.ai",
            accessKey: testAccessKey,
            worker: { replicaCount: -1, replicas: 3 },
            logging: { region: "us-west-1", roleArn: "arn:aws:iam::123456789012:role/R" },
        });
        assert.ok(err instanceof ConfigValidationError, String(err));
        assert.match(err.message, /Invalid Backline configuration \(3 problems\)/);
        assert.match(err.message, /`baseUrl`/);
        assert.match(err.message, /`worker.replicaCount`/);
        assert.match(err.message, /`worker.replicas`: unknown key; did you mean `worker.replicaCount`\?/);
        assert.match(err.message, /nothing was changed/);
        assert.ok(!err.message.includes(testAccessKey));
    });

    it("refuses an access key stored in plaintext, without printing it", async () => {
        const err = await runProgramExpectingError(
            { baseUrl: "https://app.backline.ai", accessKey: testAccessKey, worker: { otel: { enabled: false } } },
            { plaintextAccessKey: true },
        );
        assert.match(err.message, /`accessKey`: is stored in plaintext/);
        assert.ok(!err.message.includes(testAccessKey));
    });

    it("reports unknown top-level keys of the backline namespace", async () => {
        const err = await runProgramExpectingError({
            baseUrl: "https://app.backline.ai",
            accessKey: testAccessKey,
            worker: { otel: { enabled: false } },
            replicaCount: 2,
        });
        assert.match(err.message, /`replicaCount`: unknown key/);
    });

    it("runs once the configuration is fixed", async () => {
        const run = await runProgram({
            baseUrl: "https://app.backline.ai",
            accessKey: testAccessKey,
            worker: { otel: { enabled: false } },
        });
        assert.equal(run.outputs.namespace, "backline");
    });
});
