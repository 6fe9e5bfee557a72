/**
 * The Automation API's `policies` option without an engine: which packs reach the engine, that a
 * mandatory violation becomes a `PolicyViolationError` listing each violation, and that `up` runs
 * nothing when the packs refuse the stack. test/e2e/automation-policy.e2e.ts runs the real engine.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as automation from "@pulumi/pulumi/automation";
import {
    DeployOptions,
    EngineStack,
    InvalidConfigError,
    PolicyViolationError,
    backlinePolicyPack,
    packageRoot,
    preview,
    up,
} from "../automation";

const accessKey = "bk_live_policy_0123456789SECRET";
const workerUrn =
    "urn:pulumi:dev::backline::backline:index:BacklineStack$kubernetes:apps/v1:Deployment::backline-worker-deployment";

function policyEvent(level: "mandatory" | "advisory", policyName: string, message: string): automation.EngineEvent {
    return {
        sequence: 1,
        timestamp: 0,
        policyEvent: {
            resourceUrn: workerUrn,
            message,
            color: "never",
            policyName,
            policyPackName: "backline",
            policyPackVersion: "0.1.0",
            policyPackVersionTag: "0.1.0",
            // The SDK's type says "warning" | "mandatory"; engine v3.274.1 sends "advisory".
            enforcementLevel: level as "mandatory",
        },
    };
}

// As the engine sends them: the description, a newline, the report, in colour tags.
const advisory = policyEvent(
    "advisory",
    "images-pinned-by-digest",
    '<{%fg 6%}>Every container image is pinned by digest.\nDeployment "worker": container worker runs a tag that can move; pin it by digest.<{%reset%}>\n',
);
const privileged = policyEvent(
    "mandatory",
    "pod-security-restricted",
    `Every pod template meets "restricted".\nDeployment "worker": container worker sets securityContext.privileged (key ${accessKey}).\n`,
);

/** A stack whose preview and update emit the given policy events and fail when one is mandatory. */
class PolicyStack implements EngineStack {
    readonly name = "dev";
    readonly calls: { method: string; policyPacks?: string[] }[] = [];
    constructor(private readonly events: { preview: automation.EngineEvent[]; up: automation.EngineEvent[] }) {}

    private run(method: "preview" | "up", o: automation.PreviewOptions | automation.UpOptions): void {
        this.calls.push({ method, policyPacks: o.policyPacks });
        for (const e of this.events[method]) o.onEvent?.(e);
        if (this.events[method].some((e) => e.policyEvent?.enforcementLevel === "mandatory")) {
            throw new Error(`${method} failed`);
        }
    }
    async preview(o: automation.PreviewOptions): Promise<automation.PreviewResult> {
        this.run("preview", o);
        return { stdout: "", stderr: "", changeSummary: { create: 15 } };
    }
    async up(o: automation.UpOptions): Promise<automation.UpResult> {
        this.run("up", o);
        const outputs: automation.OutputMap = {
            namespace: { value: "backline", secret: false },
            workerDeployment: { value: "worker", secret: false },
            workerService: { value: "worker", secret: false },
            janitorCronJob: { value: "janitor", secret: false },
            claimName: { value: "worker-storage", secret: false },
            workerImageUpdates: { value: "janitor", secret: false },
        };
        return {
            stdout: "",
            stderr: "",
            outputs,
            summary: { resourceChanges: { create: 15 } } as automation.UpdateSummary,
        };
    }
    async configKeys(): Promise<string[]> {
        return [];
    }
    async setConfigJson(): Promise<void> {}
    async setSecretConfig(): Promise<void> {}
    async removeConfig(): Promise<void> {}
    async configValue(): Promise<string | undefined> {
        return undefined;
    }
    setExtraArgs(): void {}
    async snapshotConfig(): Promise<() => Promise<void>> {
        return async () => undefined;
    }
    async refresh(): Promise<automation.RefreshResult> {
        throw new Error("not used");
    }
    async destroy(): Promise<automation.DestroyResult> {
        throw new Error("not used");
    }
    async outputs(): Promise<automation.OutputMap> {
        return {};
    }
    async history(): Promise<automation.UpdateSummary[]> {
        return [];
    }
    async removeStack(): Promise<void> {}
}

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(d);
    return d;
}

function options(stack: EngineStack, extra: Partial<DeployOptions> = {}): DeployOptions {
    return {
        stackName: "dev",
        passphrase: "correct horse battery staple",
        stateDir: tempDir("backline-policy-state-"),
        config: { baseUrl: "https://app.backline.ai", accessKey, worker: { otel: { enabled: false } } },
        kubernetes: { renderToDirectory: "/tmp/backline-rendered" },
        workspaceFactory: async () => stack,
        ...extra,
    };
}

describe("Automation API: policy packs", () => {
    before(() => {
        const installed = fs.existsSync(path.join(packageRoot, "policy", "node_modules", "@pulumi", "policy"));
        assert.ok(installed, "policy/node_modules is missing: run scripts/setup.sh (it runs `npm ci` in policy/)");
    });
    after(() => {
        for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });

    it("runs no pack unless asked", async () => {
        const stack = new PolicyStack({ preview: [], up: [] });
        const r = await up(options(stack));
        assert.deepEqual(stack.calls, [{ method: "up", policyPacks: [] }]);
        assert.deepEqual(r.policyViolations, []);
    });

    it("preview: Backline's pack and the caller's, advisories in the result", async () => {
        const own = tempDir("backline-own-pack-");
        fs.writeFileSync(path.join(own, "PulumiPolicy.yaml"), "runtime: nodejs\n");
        const stack = new PolicyStack({ preview: [advisory], up: [] });
        const r = await preview(options(stack, { policies: { packs: [own] } }));
        assert.deepEqual(stack.calls, [{ method: "preview", policyPacks: [backlinePolicyPack(), own] }]);
        assert.ok(fs.statSync(backlinePolicyPack()).mode & 0o111, "policy/analyzer is not executable");
        assert.deepEqual(r.policyViolations, [
            {
                policyPack: "backline@v0.1.0",
                policyName: "images-pinned-by-digest",
                resourceUrn: workerUrn,
                description: "Every container image is pinned by digest.",
                message: 'Deployment "worker": container worker runs a tag that can move; pin it by digest.',
                enforcementLevel: "advisory",
            },
        ]);
    });

    it("preview: a mandatory violation is a PolicyViolationError listing every violation, secrets redacted", async () => {
        const stack = new PolicyStack({ preview: [advisory, privileged], up: [] });
        const err = await preview(options(stack, { policies: {} })).then(
            () => assert.fail("preview passed"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof PolicyViolationError, String(err));
        assert.equal(err.kind, "policy-violation");
        assert.equal(err.stage, "preview");
        assert.deepEqual(
            err.violations.map((v) => `${v.enforcementLevel} ${v.policyName} ${v.resourceUrn}`),
            [`mandatory pod-security-restricted ${workerUrn}`, `advisory images-pinned-by-digest ${workerUrn}`],
        );
        assert.match(err.message, /^preview of stack "dev" violates 1 mandatory policy; nothing was changed:\n/);
        assert.match(
            err.message,
            /\[mandatory\] pod-security-restricted \(backline@v0\.1\.0\) on urn:.*: Deployment "worker": container worker sets securityContext\.privileged/,
        );
        assert.ok(
            !err.message.includes(accessKey) && !JSON.stringify(err.violations).includes(accessKey),
            "the access key leaked",
        );
    });

    it("up: refused by the packs' preview, nothing is updated", async () => {
        const stack = new PolicyStack({ preview: [privileged], up: [] });
        const err = await up(options(stack, { policies: { backline: true } })).then(
            () => assert.fail("up passed"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof PolicyViolationError, String(err));
        assert.equal(err.operation, "up");
        assert.equal(err.stage, "preview");
        assert.deepEqual(
            stack.calls.map((c) => c.method),
            ["preview"],
        );
    });

    it("up: checked by a preview, then updated with the packs; advisories are the update's", async () => {
        const stack = new PolicyStack({ preview: [advisory], up: [advisory] });
        const r = await up(options(stack, { policies: {} }));
        assert.deepEqual(stack.calls, [
            { method: "preview", policyPacks: [backlinePolicyPack()] },
            { method: "up", policyPacks: [backlinePolicyPack()] },
        ]);
        assert.equal(r.policyViolations.length, 1);
    });

    it("up: a violation only the update sees says earlier resources may have changed", async () => {
        const stack = new PolicyStack({ preview: [], up: [privileged] });
        const err = await up(options(stack, { policies: {} })).then(
            () => assert.fail("up passed"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof PolicyViolationError, String(err));
        assert.equal(err.stage, "update");
        assert.match(
            err.message,
            /the update stopped at the first refused resource; resources before it may have changed/,
        );
    });

    it("refuses a pack that does not exist before starting the engine", async () => {
        let opened = false;
        const err = await preview({
            ...options(new PolicyStack({ preview: [], up: [] })),
            policies: { backline: false, packs: ["/nonexistent/pack"] },
            workspaceFactory: async () => {
                opened = true;
                throw new Error("opened");
            },
        }).then(
            () => assert.fail("preview passed"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof InvalidConfigError, String(err));
        assert.deepEqual(
            err.problems.map((p) => p.key),
            ["policies.packs[0]"],
        );
        assert.match(
            err.message,
            /`policies.packs\[0\]`: got "\/nonexistent\/pack", which is neither a folder holding PulumiPolicy.yaml nor an executable analyzer/,
        );
        assert.equal(opened, false);
    });
});
