/**
 * The Automation API's `policies` option on the real engine, render mode: `up` of the no-AWS stack
 * with Backline's pack deploys and reports the pack's advisories; `up` of a customer's wrapper whose
 * transform makes the worker privileged is refused whole with a `PolicyViolationError` naming the
 * policy, the resource and the fix. Needs the engine (scripts/build-engine.sh) and policy/'s
 * dependencies (scripts/setup.sh).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { BacklineSettings, DeployOptions, PolicyViolationError, destroy, up } from "../../automation";
import { Engine, REPO_ROOT, findEngine, pulumiHomeWithPlugins } from "./support/engine";
import { assertPackInstalled, copyWrapperProject } from "./support/policy";
import type { ProjectCopy } from "./support/project";

const accessKey = "bk_e2e_policy_0123456789abcdefSECRET";
/** The policy pack is versioned with the package: `backline@v<version>`. */
const pack = `backline@v${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8")).version}`;
const settings: BacklineSettings = {
    baseUrl: "https://app.backline.ai",
    accessKey,
    worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-client" } } },
};

describe("Automation API with policy packs (e2e, real engine, render mode)", function () {
    this.timeout(1_200_000);

    let engine: Engine;
    let project: ProjectCopy;
    let tmp: string;

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        assertPackInstalled();
        project = copyWrapperProject();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "automation-policy-e2e-"));
    });

    after(async () => {
        if (engine) await destroy({ ...base("clean"), removeStack: true }).catch(() => undefined);
        project?.cleanup();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    function base(stackName: string) {
        return {
            stackName,
            workDir: project.dir,
            stateDir: path.join(tmp, "state"),
            passphrase: "e2e automation policy passphrase",
            pulumiHome: pulumiHomeWithPlugins(path.join(tmp, "home")),
            engineBinDir: engine.binDir,
            env: { PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
        };
    }

    function deploy(stackName: string): DeployOptions {
        return {
            ...base(stackName),
            config: settings,
            kubernetes: { renderToDirectory: path.join(tmp, `rendered-${stackName}`) },
            policies: {},
        };
    }

    it("up with Backline's pack: deploys, reports the advisories", async () => {
        const r = await up(deploy("clean"));
        assert.equal(r.outputs.namespace, "backline");
        assert.ok(r.summary.created >= 15, JSON.stringify(r.summary));
        const advisories = new Set(
            r.policyViolations.map((v) => `${v.enforcementLevel} ${v.policyPack} ${v.policyName}`),
        );
        assert.deepEqual([...advisories], [`advisory ${pack} images-pinned-by-digest`]);
        assert.ok(fs.readdirSync(path.join(tmp, "rendered-clean")).length > 0, "nothing rendered");
    });

    it("up of a wrapper that makes the worker privileged: refused whole, each violation listed", async () => {
        // The wrapper's own setting; the Automation API manages only `backline:*` keys.
        fs.writeFileSync(
            path.join(project.dir, "Pulumi.privileged.yaml"),
            stringify({ config: { "policytest:change": "privileged-worker" } }),
        );
        const err = await up(deploy("privileged")).then(
            () => assert.fail("up passed a privileged worker"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof PolicyViolationError, String(err));
        assert.equal(err.stage, "preview");
        const mandatory = err.violations.filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual(
            mandatory.map((v) => [v.policyPack, v.policyName, v.resourceUrn?.split("::").pop()]),
            [[pack, "pod-security-restricted", "backline-worker-deployment"]],
        );
        assert.match(
            mandatory[0].message,
            /Deployment "worker": container worker sets securityContext\.privileged: remove it or set it to false/,
        );
        assert.match(err.message, /^up of stack "privileged" violates 1 mandatory policy; nothing was changed:/);
        assert.ok(!err.message.includes(accessKey), "the access key leaked");
        assert.ok(!fs.existsSync(path.join(tmp, "rendered-privileged")), "the refused stack rendered files");
    });
});
