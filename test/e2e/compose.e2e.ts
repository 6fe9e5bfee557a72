/**
 * examples/compose on the real engine and a control plane with simulated nodes: a program that
 * hands `BacklineStack` other resources' outputs (a StorageClass's name, a role ARN and region read
 * from a ConfigMap it creates) and a secret Output (the access key). `up` creates the stack with
 * those values in the objects, the state holds the access key only encrypted, and a second preview
 * changes nothing. (A value that resolves to something the key refuses: test/e2e/languages.e2e.ts,
 * through the same component.)
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { useApiServer } from "../support/apiserver";
import { FakeSaas } from "../support/fake-saas";
import { Engine, EngineEnv, REPO_ROOT, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";

const exampleDir = path.join(REPO_ROOT, "examples", "compose");
const accessKey = "bk_compose_0123456789abcdefSECRET";
const roleArn = "arn:aws:iam::123456789012:role/backline-otel";

describe("examples/compose: BacklineStack given other resources' outputs (e2e, real engine and API server)", function () {
    this.timeout(900_000);
    const kube = useApiServer({ kwok: { podReadyDelayMs: 500 } });
    let engine: Engine;
    let env: EngineEnv;
    let saas: FakeSaas;
    let tmp: string;

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "backline-compose-"));
        env = engineEnv(engine, { passphrase: "compose-e2e", extra: { KUBECONFIG: kube().kubeconfig } });
        saas = await FakeSaas.start();
    });

    after(async () => {
        await saas?.close();
        env?.cleanup();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** `pulumi <args>` in the example's folder, its stack settings in a file of the test's own. */
    const pulumi = (stack: string, args: string[]) => {
        const withSettings = ["config", "preview", "up", "destroy"].includes(args[0]);
        const settings = withSettings ? ["--config-file", path.join(tmp, `Pulumi.${stack}.yaml`)] : [];
        return runPulumi([...args, "--stack", stack, ...settings], {
            cwd: exampleDir,
            env: env.env,
            pulumi: engine.pulumi,
            timeoutMs: 600_000,
        });
    };
    const ok = async (stack: string, args: string[]) => {
        const r = await pulumi(stack, args);
        assert.equal(r.code, 0, describeRun(args, r));
        return r;
    };
    const kubectl = (args: string[]) => kube().run(args);

    async function initStack(stack: string, role: string): Promise<void> {
        await ok(stack, ["stack", "init"]);
        await ok(stack, ["config", "set", "baseUrl", saas.baseUrl]);
        await ok(stack, ["config", "set", "--secret", "accessKey", accessKey]);
        await ok(stack, ["config", "set", "collectorRoleArn", role]);
    }

    it("deploys with the outputs in the objects, the access key encrypted in the state, and no diff after", async () => {
        await initStack("good", roleArn);
        const up = await ok("good", ["up", "--yes", "--skip-preview"]);
        assert.match(up.stdout, /created/);

        const claim = JSON.parse(kubectl(["get", "pvc", "worker-storage", "-n", "backline", "-o", "json"]).stdout);
        const outputs = JSON.parse((await ok("good", ["stack", "output", "--json"])).stdout);
        assert.match(outputs.storageClassName, /^shared-files-/);
        assert.equal(claim.spec.storageClassName, outputs.storageClassName);
        assert.equal(outputs.collectorRoleArn, roleArn);
        const worker = JSON.parse(kubectl(["get", "deployment", "worker", "-n", "backline", "-o", "json"]).stdout);
        const collector = worker.spec.template.spec.containers.find(
            (c: { name: string }) => c.name === "adot-collector",
        );
        assert.ok(collector, "no collector sidecar");
        assert.ok(
            collector.env.some(
                (e: { name: string; value?: string }) => e.name === "AWS_ROLE_ARN" && e.value === roleArn,
            ),
            JSON.stringify(collector.env),
        );
        const secret = JSON.parse(
            kubectl(["get", "secret", "backline-access-key", "-n", "backline", "-o", "json"]).stdout,
        );
        assert.equal(Buffer.from(Object.values(secret.data)[0] as string, "base64").toString(), accessKey);

        const exported = await ok("good", ["stack", "export"]);
        assert.ok(!exported.stdout.includes(accessKey), "the access key is in the state in plaintext");
        assert.ok(
            !exported.stdout.includes(Buffer.from(accessKey).toString("base64")),
            "the access key is in the state in base64",
        );

        const again = await ok("good", ["preview", "--expect-no-changes", "--diff"]);
        assert.doesNotMatch(again.stdout, /[~+-] .*(update|create|delete|replace)/);
        await ok("good", ["destroy", "--yes", "--skip-preview"]);
    });
});
