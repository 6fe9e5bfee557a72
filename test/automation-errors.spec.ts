/**
 * How the Automation API classifies what goes wrong in the engine: the SDK's own errors, built as
 * the SDK builds them from a failed CLI run, become typed errors a caller can act on (locked
 * stack, missing engine, failed update, unknown stack), never carrying a secret. No engine (see
 * test/support/automation-fakes.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import {
    ConcurrentUpdateError,
    EngineMissingError,
    StackNotFoundError,
    UpdateFailedError,
    WorkspaceFactory,
    classifyEngineError,
    locateEngine,
    outputs,
    up,
} from "../automation";
import {
    ACCESS_KEY,
    FakeStack,
    PASSPHRASE,
    deploy,
    everythingIn,
    fakeFactory,
    rejection,
    stateDir,
} from "./support/automation-fakes";

// ---------------------------------------------------------------------------------------------
// The SDK's own errors, built the way the SDK builds them from a failed CLI run.
// ---------------------------------------------------------------------------------------------

interface SdkInternals {
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
    createCommandError: (result: unknown) => Error;
}

function sdkCommandError(stdout: string, stderr: string, code = 255, err?: Error): Error {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CommandResult } = require("@pulumi/pulumi/automation/cmd") as Pick<SdkInternals, "CommandResult">;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createCommandError } = require("@pulumi/pulumi/automation/errors") as Pick<
        SdkInternals,
        "createCommandError"
    >;
    return createCommandError(new CommandResult(stdout, stderr, code, err));
}

const lockedStderr =
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
    "  file:///state/.pulumi/locks/organization/backline/dev/abc.json: created by root@host (pid 42) at 2026-01-01T00:00:00Z\n";

describe("automation: error classification", function () {
    it("maps the SDK's ConcurrentUpdateError (stack locked by another process) and restores the stack config", async function () {
        const sdkErr = sdkCommandError("", lockedStderr);
        assert.ok(
            sdkErr instanceof automation.ConcurrentUpdateError,
            "the SDK classifies this stderr as ConcurrentUpdateError",
        );
        const { factory, stack } = fakeFactory();
        stack.upImpl = async () => {
            throw sdkErr;
        };
        const err = await rejection(up(deploy({ workspaceFactory: factory })));
        assert.ok(err instanceof ConcurrentUpdateError, `got ${err.name}: ${err.message}`);
        assert.strictEqual(err.stackName, "dev");
        assert.match(err.detail, /currently locked by 1 lock/);
        assert.strictEqual(stack.restored, 1, "the configuration written for the refused update was not put back");
    });

    it("a second operation on the same stack in this process is refused at once; other stacks run", async function () {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const { factory, requests, stack } = fakeFactory();
        const original = stack.upImpl;
        stack.upImpl = async (o) => {
            await gate;
            return original(o);
        };
        const first = up(deploy({ workspaceFactory: factory }));
        await new Promise((r) => setImmediate(r));
        const second = await rejection(up(deploy({ workspaceFactory: factory })));
        assert.ok(second instanceof ConcurrentUpdateError);
        assert.match(second.message, /`up` started from this process/);
        const other = await up(
            deploy({ stackName: "other", workspaceFactory: fakeFactory(new FakeStack("other")).factory }),
        );
        assert.strictEqual(other.stackName, "other");
        release();
        assert.strictEqual((await first).summary.created, 20);
        assert.strictEqual(requests.length, 1, "the refused call opened a workspace");
        // Released: the stack can be updated again.
        await up(deploy({ workspaceFactory: factory }));
    });

    it("EngineMissingError when no pulumi CLI is found, saying where it looked and how to build one", async function () {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-engine-"));
        try {
            assert.throws(
                () => locateEngine({ env: { PATH: empty }, root: empty }),
                (e: unknown) => e instanceof EngineMissingError && e.missing === "pulumi" && e.searched.includes(empty),
            );
            // Through the API with the default factory: rejected before any engine call.
            const err = await rejection(up(deploy({ engineBinDir: empty })));
            assert.ok(err instanceof EngineMissingError, `got ${err.name}: ${err.message}`);
            assert.match(err.message, /No Pulumi CLI found/);
            assert.match(err.message, /scripts\/build-engine\.sh/);
            assert.match(err.message, /install Pulumi/);
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("EngineMissingError when the CLI cannot be spawned, or a language host or plugin is missing", function () {
        const ctx = { operation: "up" as const, stackName: "dev", secrets: [ACCESS_KEY] };
        const spawnErr = Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
        const e1 = classifyEngineError(sdkCommandError("", "spawn pulumi ENOENT", -2, spawnErr), ctx);
        assert.ok(e1 instanceof EngineMissingError && e1.missing === "pulumi");
        const e2 = classifyEngineError(
            sdkCommandError(
                "",
                "error: failed to load language plugin nodejs: no language plugin 'pulumi-language-nodejs' found in the workspace or on your $PATH",
            ),
            ctx,
        );
        assert.ok(e2 instanceof EngineMissingError && e2.missing === "pulumi-language-nodejs", e2.message);
        const e3 = classifyEngineError(
            sdkCommandError(
                "    error: no resource plugin 'pulumi-resource-aws' found in the workspace at version v7.48.0 or on your $PATH\n",
                "",
            ),
            ctx,
        );
        assert.ok(e3 instanceof EngineMissingError && e3.missing === "pulumi-resource-aws", e3.message);
    });

    it("UpdateFailedError with the engine's message and output tails, never the access key or passphrase", async function () {
        const stdout = `Updating (dev)\n  kubernetes:apps/v1:Deployment worker **failed** BACKLINE_ACCESS_KEY=${ACCESS_KEY}\nResources:\n    1 errored\n`;
        const stderr = `error: update failed: Deployment "worker" is invalid (key ${ACCESS_KEY}, passphrase ${PASSPHRASE})\n`;
        const { factory, stack } = fakeFactory();
        stack.upImpl = async (o) => {
            o.onEvent?.({
                sequence: 2,
                timestamp: 0,
                diagnosticEvent: {
                    message: `<{%reset%}>Deployment "worker" is invalid: ${ACCESS_KEY}<{%reset%}>\n`,
                    color: "raw",
                    severity: "error",
                },
            });
            throw sdkCommandError(stdout, stderr);
        };
        const err = await rejection(up(deploy({ workspaceFactory: factory })));
        assert.ok(err instanceof UpdateFailedError, `got ${err.name}: ${err.message}`);
        assert.strictEqual(err.operation, "up");
        assert.strictEqual(err.exitCode, 255);
        assert.strictEqual(err.engineMessage, 'Deployment "worker" is invalid: [secret]');
        assert.match(err.message, /up of stack "dev" failed: Deployment "worker" is invalid/);
        assert.match(err.stdoutTail, /1 errored/);
        assert.match(err.stderrTail, /update failed/);
        const all = everythingIn(err) + err.stdoutTail + err.stderrTail + err.engineMessage;
        assert.ok(!all.includes(ACCESS_KEY), "the access key appears in the error");
        assert.ok(!all.includes(PASSPHRASE), "the passphrase appears in the error");
        assert.strictEqual(stack.restored, 0, "a failed update keeps the configuration it ran with");
    });

    it("UpdateFailedError falls back to the engine's `error:` lines when it sent no diagnostics", function () {
        const err = classifyEngineError(
            sdkCommandError("Previewing update (dev)\n", `warning: x\nerror: something broke with ${ACCESS_KEY}\n`),
            {
                operation: "preview",
                stackName: "dev",
                secrets: [ACCESS_KEY],
            },
        );
        assert.ok(err instanceof UpdateFailedError);
        assert.strictEqual(err.engineMessage, "error: something broke with [secret]");
    });

    it("UpdateFailedError takes the real streams and exit code from the CLI's process error (the SDK reports code -2)", function () {
        const proc = Object.assign(
            new Error(`Command failed with exit code 1: pulumi up --yes\nUpdating (dev)\nerror: boom ${ACCESS_KEY}`),
            {
                exitCode: 1,
                stdout: "Updating (dev)\n    error: boom\nResources:\n    1 errored\n",
                stderr: `error: update failed ${ACCESS_KEY}\n`,
            },
        );
        const err = classifyEngineError(sdkCommandError("", proc.message, -2, proc), {
            operation: "up",
            stackName: "dev",
            secrets: [ACCESS_KEY],
        });
        assert.ok(err instanceof UpdateFailedError);
        assert.strictEqual(err.exitCode, 1);
        assert.strictEqual(err.stdoutTail, "Updating (dev)\n    error: boom\nResources:\n    1 errored");
        assert.strictEqual(err.stderrTail, "error: update failed [secret]");
        assert.strictEqual(err.engineMessage, "error: update failed [secret]\nerror: boom");
        assert.ok(!everythingIn(err).includes(ACCESS_KEY));
    });

    it("StackNotFoundError for outputs of a stack that does not exist", async function () {
        const factory: WorkspaceFactory = async () => {
            throw sdkCommandError("", "error: no stack named 'nope' found");
        };
        const err = await rejection(
            outputs({ stackName: "nope", stateDir, passphrase: PASSPHRASE, workspaceFactory: factory }),
        );
        assert.ok(err instanceof StackNotFoundError, `got ${err.name}: ${err.message}`);
    });
});
