/**
 * Configuration validation: one table row per kind of bad input, each asserting the key named and
 * the message; the pure validators; and the program refusing bad config before any resource.
 */
import { strict as assert } from "assert";
import { ConfigValidationError, ParseOptions, parseBacklineConfig } from "../components/config";
import {
    checkAwsRegion,
    checkBaseUrl,
    checkBytes,
    checkCpu,
    checkCronSchedule,
    checkDns1123Label,
    checkIamRoleArn,
    checkImageReference,
    parseQuantity,
} from "../components/config/validators";
import { buildWorkerEnv, reservedWorkerEnvNames } from "../components/specs/worker";
import { runProgram, runProgramExpectingError, testAccessKey } from "./support/mocks";
import { enterpriseBadCases } from "./fixtures/enterprise-bad-config";

const sidecar = {
    collector: {
        image: "c:1",
        resources: { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } },
    },
    region: "us-west-1",
    roleArn: "arn:aws:iam::123456789012:role/R",
    configHash: "0",
};

/** A stack configuration: the `backline:*` keys without their prefix, objects as objects. */
type StackValues = Record<string, unknown>;

const base: StackValues = {
    baseUrl: "https://app.backline.ai",
    accessKey: testAccessKey,
    logging: { region: "us-west-1", roleArn: "arn:aws:iam::123456789012:role/YourOtelRole" },
};

/** EFS settings the program accepts, for rows about what goes wrong around them. */
const validEfs = {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0123456789abcdef0"],
    allowedCidrBlocks: ["10.0.0.0/8"],
};

interface BadCase {
    readonly name: string;
    readonly raw: StackValues;
    /** The access key is stored in plaintext in the stack file. */
    readonly plaintext?: true;
    /** The key the problem must name. */
    readonly key: string;
    /** A pattern the message must match (what is accepted, the rejected value). */
    readonly message: RegExp;
    /** How other keys are stored (issue 12: `proxy` in plaintext). */
    readonly options?: ParseOptions;
}

const bad: BadCase[] = [
    {
        name: "missing accessKey",
        raw: { ...base, accessKey: undefined },
        key: "accessKey",
        message: /missing.*pulumi config set --secret accessKey/,
    },
    { name: "empty accessKey", raw: { ...base, accessKey: "" }, key: "accessKey", message: /missing/ },
    { name: "plaintext accessKey", raw: base, plaintext: true, key: "accessKey", message: /plaintext.*--secret/ },
    {
        name: "missing baseUrl",
        raw: { ...base, baseUrl: undefined },
        key: "baseUrl",
        message: /missing.*pulumi config set baseUrl/,
    },
    {
        name: "http baseUrl",
        raw: { ...base, baseUrl: "http://app.backline.ai" },
        key: "baseUrl",
        message: /got "http:\/\/app.backline.ai"; expected an https:\/\/ URL/,
    },
    { name: "baseUrl not a URL", raw: { ...base, baseUrl: "app.backline.ai" }, key: "baseUrl", message: /https:\/\// },
    {
        name: "baseUrl with credentials",
        raw: { ...base, baseUrl: "https://u:p@app.backline.ai" },
        key: "baseUrl",
        message: /without credentials/,
    },
    {
        name: "cron with 4 fields",
        raw: { ...base, janitor: { schedule: "* * * *" } },
        key: "janitor.schedule",
        message: /five cron fields.*got 4 fields/,
    },
    {
        name: "cron minute out of range",
        raw: { ...base, janitor: { schedule: "61 * * * *" } },
        key: "janitor.schedule",
        message: /minute field `61`/,
    },
    {
        name: "cron bad step",
        raw: { ...base, janitor: { schedule: "*/0 * * * *" } },
        key: "janitor.schedule",
        message: /minute field/,
    },
    {
        name: "cron unknown macro",
        raw: { ...base, janitor: { schedule: "@often" } },
        key: "janitor.schedule",
        message: /known macros/,
    },
    {
        name: "cron with time zone",
        raw: { ...base, janitor: { schedule: "TZ=UTC * * * * *" } },
        key: "janitor.schedule",
        message: /time zones/,
    },
    {
        name: "invalid CPU",
        raw: { ...base, worker: { resources: { requests: { cpu: "fast" } } } },
        key: "worker.resources.requests.cpu",
        message: /got "fast"; expected a CPU amount/,
    },
    {
        name: "CPU in bytes",
        raw: { ...base, janitor: { resources: { limits: { cpu: "1Gi" } } } },
        key: "janitor.resources.limits.cpu",
        message: /CPU amount/,
    },
    {
        name: "invalid memory",
        raw: { ...base, worker: { resources: { limits: { memory: "2GB" } } } },
        key: "worker.resources.limits.memory",
        message: /got "2GB".*not `B`/,
    },
    {
        name: "memory in millibytes",
        raw: { ...base, janitor: { resources: { requests: { memory: "128m" } } } },
        key: "janitor.resources.requests.memory",
        message: /fraction of a byte.*Mi/,
    },
    {
        name: "CPU request above limit",
        raw: { ...base, worker: { resources: { requests: { cpu: "3" }, limits: { cpu: "2000m" } } } },
        key: "worker.resources.requests.cpu",
        message: /above its limit "2000m"/,
    },
    {
        name: "memory request above default limit",
        raw: { ...base, janitor: { resources: { requests: { memory: "1Gi" } } } },
        key: "janitor.resources.requests.memory",
        message: /above its limit "256Mi"/,
    },
    {
        name: "negative replicas",
        raw: { ...base, worker: { replicaCount: -1 } },
        key: "worker.replicaCount",
        message: /got -1; expected a whole number from 0/,
    },
    {
        name: "fractional replicas",
        raw: { ...base, worker: { replicaCount: 1.5 } },
        key: "worker.replicaCount",
        message: /got 1.5; expected a whole number/,
    },
    {
        name: "replicas not a number",
        raw: { ...base, worker: { replicaCount: "two" } },
        key: "worker.replicaCount",
        message: /got "two"/,
    },
    {
        name: "namespace not DNS-1123",
        raw: { ...base, namespaceOverride: "Backline_Prod" },
        key: "namespaceOverride",
        message: /got "Backline_Prod"; expected a DNS-1123 label/,
    },
    {
        name: "namespace too long",
        raw: { ...base, namespaceOverride: "a".repeat(64) },
        key: "namespaceOverride",
        message: /DNS-1123 label/,
    },
    {
        name: "roleArn not a role ARN",
        raw: { ...base, logging: { region: "us-west-1", roleArn: "arn:aws:iam::123456789012:user/bob" } },
        key: "logging.roleArn",
        message: /expected an IAM role ARN/,
    },
    {
        name: "region not a region",
        raw: { ...base, logging: { region: "california", roleArn: "arn:aws:iam::123456789012:role/R" } },
        key: "logging.region",
        message: /got "california"; expected an AWS region name/,
    },
    {
        name: "otel on without region",
        raw: { ...base, logging: { roleArn: "arn:aws:iam::123456789012:role/R" } },
        key: "logging.region",
        message: /missing.*worker.otel.enabled/,
    },
    {
        name: "otel on without a role",
        raw: { ...base, logging: { region: "us-west-1" } },
        key: "logging.roleArn",
        message: /missing.*logging.oidc.providerArn/,
    },
    {
        name: "role and oidc together",
        raw: {
            ...base,
            logging: {
                ...(base.logging as object),
                oidc: { providerArn: "arn:aws:iam::123456789012:oidc-provider/app.backline.ai", subject: "s" },
            },
        },
        key: "logging.oidc",
        message: /not both/,
    },
    {
        name: "oidc without subject",
        raw: {
            ...base,
            logging: {
                region: "us-west-1",
                oidc: { providerArn: "arn:aws:iam::123456789012:oidc-provider/app.backline.ai" },
            },
        },
        key: "logging.oidc.subject",
        message: /missing/,
    },
    {
        name: "retention CloudWatch refuses",
        raw: { ...base, logging: { ...(base.logging as object), retentionInDays: 31 } },
        key: "logging.retentionInDays",
        message: /got 31; expected one of the retention periods/,
    },
    {
        name: "worker pull policy",
        raw: { ...base, worker: { image: { pullPolicy: "always" } } },
        key: "worker.image.pullPolicy",
        message: /got "always"; expected one of `Always`, `IfNotPresent`, `Never`/,
    },
    {
        name: "janitor pull policy",
        raw: { ...base, janitor: { image: { pullPolicy: "Sometimes" } } },
        key: "janitor.image.pullPolicy",
        message: /IfNotPresent/,
    },
    {
        name: "invalid storage size",
        raw: { ...base, worker: { storage: { pvc: { size: "lots" } } } },
        key: "worker.storage.pvc.size",
        message: /got "lots"; expected an amount of bytes/,
    },
    {
        name: "zero storage size",
        raw: { ...base, worker: { storage: { pvc: { size: "0Gi" } } } },
        key: "worker.storage.pvc.size",
        message: /greater than zero/,
    },
    {
        name: "env without a name",
        raw: { ...base, worker: { env: [{ value: "x" }] } },
        key: "worker.env[0].name",
        message: /missing/,
    },
    {
        name: "env with an empty name",
        raw: { ...base, worker: { env: [{ name: "", value: "x" }] } },
        key: "worker.env[0].name",
        message: /missing/,
    },
    {
        name: "env with a reserved name",
        raw: { ...base, worker: { env: [{ name: "BACKLINE_ACCESS_KEY", value: "x" }] } },
        key: "worker.env[0].name",
        message: /program sets itself; reserved names/,
    },
    {
        name: "env with an invalid name",
        raw: { ...base, worker: { env: [{ name: "1ABC", value: "x" }] } },
        key: "worker.env[0].name",
        message: /variable name/,
    },
    {
        name: "env twice",
        raw: {
            ...base,
            worker: {
                env: [
                    { name: "A", value: "1" },
                    { name: "A", value: "2" },
                ],
            },
        },
        key: "worker.env[1].name",
        message: /second time/,
    },
    {
        name: "env without a value",
        raw: { ...base, worker: { env: [{ name: "A" }] } },
        key: "worker.env[0]",
        message: /exactly one of `value` and `valueFrom`/,
    },
    {
        name: "unknown key in worker",
        raw: { ...base, worker: { replicas: 2 } },
        key: "worker.replicas",
        message: /unknown key; did you mean `worker.replicaCount`\?/,
    },
    {
        name: "unknown key in janitor",
        raw: { ...base, janitor: { scedule: "* * * * *" } },
        key: "janitor.scedule",
        message: /did you mean `janitor.schedule`/,
    },
    {
        name: "unknown key in logging",
        raw: { ...base, logging: { ...(base.logging as object), roleARN: "x" } },
        key: "logging.roleARN",
        message: /did you mean `logging.roleArn`/,
    },
    {
        name: "unknown nested key",
        raw: { ...base, worker: { storage: { pvc: { sise: "1Gi" } } } },
        key: "worker.storage.pvc.sise",
        message: /did you mean `worker.storage.pvc.size`/,
    },
    {
        name: "unknown top-level key",
        raw: { ...base, namespace: "backline" },
        key: "namespace",
        message: /did you mean `namespaceOverride`/,
    },
    { name: "worker not an object", raw: { ...base, worker: "big" }, key: "worker", message: /expected an object/ },
    {
        name: "image tag with spaces",
        raw: { ...base, worker: { image: { tag: "my tag" } } },
        key: "worker.image.tag",
        message: /expected a tag/,
    },
    {
        name: "collector image without tag",
        raw: { ...base, worker: { otel: { collector: { image: "aws-otel-collector" } } } },
        key: "worker.otel.collector.image",
        message: /full image reference/,
    },
    {
        name: "http port out of range",
        raw: { ...base, worker: { service: { httpPort: 70000 } } },
        key: "worker.service.httpPort",
        message: /from 1 to 65535/,
    },
    {
        name: "root user",
        raw: { ...base, worker: { securityContext: { runAsUser: 0 } } },
        key: "worker.securityContext.runAsUser",
        message: /root.*restricted/,
    },
    {
        name: "probe with two handlers",
        raw: { ...base, worker: { livenessProbe: { tcpSocket: { port: 1 }, exec: { command: ["x"] } } } },
        key: "worker.livenessProbe",
        message: /exactly one of/,
    },
    {
        name: "toleration operator",
        raw: { ...base, worker: { tolerations: [{ key: "k", operator: "In" }] } },
        key: "worker.tolerations[0].operator",
        message: /Exists/,
    },
    {
        name: "storage class not DNS",
        raw: { ...base, worker: { storage: { pvc: { storageClassName: "My Class" } } } },
        key: "worker.storage.pvc.storageClassName",
        message: /DNS-1123 subdomain/,
    },
    {
        name: "efs without subnets",
        raw: { ...base, efs: { vpcId: "vpc-0123456789abcdef0", allowedCidrBlocks: ["10.0.0.0/16"] } },
        key: "efs.subnetIds",
        message: /missing/,
    },
    {
        name: "efs open to the world",
        raw: {
            ...base,
            efs: {
                vpcId: "vpc-0123456789abcdef0",
                subnetIds: ["subnet-0123456789abcdef0"],
                allowedCidrBlocks: ["0.0.0.0/0"],
            },
        },
        key: "efs.allowedCidrBlocks[0]",
        message: /whole internet/,
    },
    {
        name: "efs with nobody allowed",
        raw: { ...base, efs: { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"] } },
        key: "efs.allowedSecurityGroupIds",
        message: /who may reach NFS/,
    },
    {
        name: "efs and a storage class",
        raw: { ...base, efs: validEfs, worker: { storage: { pvc: { storageClassName: "nfs" } } } },
        key: "worker.storage.pvc.storageClassName",
        message: /Remove one of them/,
    },
    {
        name: "render mode with a context",
        raw: { ...base, kubernetes: { renderYamlToDirectory: "out", context: "prod" } },
        key: "kubernetes.renderYamlToDirectory",
        message: /no cluster/,
    },
    {
        name: "boolean as text",
        raw: { ...base, worker: { otel: { enabled: "yes" } } },
        key: "worker.otel.enabled",
        message: /got "yes"; expected `true` or `false`/,
    },
    {
        name: "node selector value not text",
        raw: { ...base, worker: { nodeSelector: { "kubernetes.io/os": true } } },
        key: 'worker.nodeSelector["kubernetes.io/os"]',
        message: /got true; expected a string \(quote it\)/,
    },
    {
        name: "env value from two sources",
        raw: { ...base, worker: { env: [{ name: "A", valueFrom: { fieldRef: {}, secretKeyRef: {} } }] } },
        key: "worker.env[0].valueFrom",
        message: /exactly one of `secretKeyRef`/,
    },
    {
        name: "efs with an empty subnet list",
        raw: { ...base, efs: { vpcId: "vpc-0123456789abcdef0", subnetIds: [], allowedCidrBlocks: ["10.0.0.0/16"] } },
        key: "efs.subnetIds",
        message: /got \[\]; expected at least one subnet id/,
    },
    {
        name: "efs and an existing claim",
        raw: { ...base, efs: validEfs, worker: { storage: { pvc: { create: false } } } },
        key: "worker.storage.pvc.create",
        message: /together with `efs`/,
    },
    {
        name: "oidc without a provider",
        raw: { ...base, logging: { region: "us-west-1", oidc: { subject: "s" } } },
        key: "logging.oidc.providerArn",
        message: /missing; the collector's role trusts this OIDC provider/,
    },
    {
        name: "empty context",
        raw: { ...base, kubernetes: { context: "" } },
        key: "kubernetes.context",
        message: /got ""; expected a non-empty string/,
    },
    {
        name: "probe timing below its minimum",
        raw: { ...base, worker: { readinessProbe: { periodSeconds: 0 } } },
        key: "worker.readinessProbe.periodSeconds",
        message: /got 0; expected a whole number ≥ 1/,
    },
    {
        name: "toleration with a value and Exists",
        raw: { ...base, worker: { tolerations: [{ key: "k", operator: "Exists", value: "v" }] } },
        key: "worker.tolerations[0].value",
        message: /must be empty when `operator` is `Exists`/,
    },
    // The job admission policy (issue 18).
    {
        name: "job admission switch not a boolean",
        raw: { ...base, security: { jobAdmissionPolicy: "strict" } },
        key: "security.jobAdmissionPolicy",
        message: /got "strict"; expected `true` or `false`/,
    },
    {
        name: "allowed Secrets not a list",
        raw: { ...base, worker: { jobs: { allowedSecrets: "git-credentials" } } },
        key: "worker.jobs.allowedSecrets",
        message: /expected a list of Secret names/,
    },
    {
        name: "allowed Secret not a Secret name",
        raw: { ...base, worker: { jobs: { allowedSecrets: ["Git_Credentials"] } } },
        key: "worker.jobs.allowedSecrets[0]",
        message: /got "Git_Credentials"; expected a DNS-1123 subdomain/,
    },
    {
        name: "allowed Secret that holds the stack's credentials",
        raw: { ...base, worker: { jobs: { allowedSecrets: ["git", "jwt-token"] } } },
        key: "worker.jobs.allowedSecrets[1]",
        message:
            /got "jwt-token"; expected a Secret of your own; `backline-access-key`, `jwt-token`, `dockerconfig` hold the stack's credentials/,
    },
    // Issue 12: proxy, CA bundle, mirror, labels, volumes, disruption budget, network policy.
    ...enterpriseBadCases,
];

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
        // Every feature that adds a variable on: the collector and issue 12's site settings.
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

describe("validators", () => {
    const table: [string, (s: string) => string | undefined, string[], string[]][] = [
        ["checkCpu", checkCpu, ["100m", "2", "0.5", "2000m", "1.5"], ["0", "-1", "fast", "1Gi", "0.0001", "", " 1"]],
        [
            "checkBytes",
            checkBytes,
            ["128Mi", "1Gi", "50Gi", "1G", "512M", "1e9", "1024"],
            ["0", "2GB", "1gb", "128m", "lots", "-1Gi", "0.5"],
        ],
        [
            "checkCronSchedule",
            checkCronSchedule,
            ["* * * * *", "*/3 * * * *", "0 0 * * SUN", "0 9-17 * JAN-MAR 1-5", "@hourly", "5,10 * * * *"],
            [
                "* * * *",
                "60 * * * *",
                "* 24 * * *",
                "* * 0 * *",
                "* * * 13 *",
                "*/0 * * * *",
                "5-1 * * * *",
                "@every 5m",
                "CRON_TZ=UTC * * * * *",
            ],
        ],
        [
            "checkDns1123Label",
            checkDns1123Label,
            ["backline", "backline-prod", "a1"],
            ["Backline", "-a", "a-", "a_b", "", "a".repeat(64)],
        ],
        [
            "checkIamRoleArn",
            checkIamRoleArn,
            [
                "arn:aws:iam::123456789012:role/R",
                "arn:aws-us-gov:iam::123456789012:role/path/R",
                "arn:aws-cn:iam::123456789012:role/a.b@c",
            ],
            [
                "arn:aws:iam::12345:role/R",
                "arn:aws:iam::123456789012:user/R",
                "role/R",
                "arn:aws:sts::123456789012:role/R",
            ],
        ],
        [
            "checkAwsRegion",
            checkAwsRegion,
            ["us-west-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1"],
            ["us-west", "US-WEST-1", "california", "us_west_1", ""],
        ],
        [
            "checkImageReference",
            checkImageReference,
            [
                "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2",
                `r.example.com:5000/a/b@sha256:${"a".repeat(64)}`,
            ],
            ["aws-otel-collector:v1", "public.ecr.aws/x", "public.ecr.aws/X:1", "r/a@sha256:abc"],
        ],
    ];
    for (const [name, fn, good, badInputs] of table) {
        it(`${name} accepts ${good.length} and refuses ${badInputs.length} values`, () => {
            for (const g of good) assert.equal(fn(g), undefined, `${name} refused ${JSON.stringify(g)}`);
            for (const b of badInputs) assert.ok(fn(b), `${name} accepted ${JSON.stringify(b)}`);
        });
    }

    it("parseQuantity knows binary, decimal and exponent suffixes", () => {
        assert.equal(parseQuantity("1Gi")?.value, 2 ** 30);
        assert.equal(parseQuantity("500m")?.value, 0.5);
        assert.equal(parseQuantity("1e3")?.value, 1000);
        assert.equal(parseQuantity("1G")?.value, 1e9);
        assert.equal(parseQuantity("1Gb"), undefined);
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
