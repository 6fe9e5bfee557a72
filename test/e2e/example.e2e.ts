/**
 * examples/deploy.ts as a user runs it, on the real engine in render mode: `up` of the
 * default stack `dev` works with a passphrase of the user's own (the stack lives in
 * BACKLINE_DATA_DIR, not next to the repository's committed Pulumi.dev.yaml, which stays as it
 * was); a later run with another passphrase fails with the API's PassphraseError, naming the stack
 * and its stack file, and changes nothing; once the stack file is lost, a run with the right
 * passphrase writes it again. Needs the engine (scripts/build-engine.sh).
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine, EngineEnv, REPO_ROOT, engineEnv, findEngine } from "./support/engine";

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

describe("examples/deploy.ts (e2e, real engine, render mode)", function () {
    this.timeout(900_000);

    let engine: Engine;
    let env: EngineEnv;
    let tmp: string;

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "backline-example-"));
    });

    after(() => {
        env?.cleanup();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    function example(action: string, passphrase: string): Promise<Run> {
        env = env ?? engineEnv(engine, { passphrase, tmpRoot: tmp });
        const childEnv: NodeJS.ProcessEnv = {
            ...env.env,
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PULUMI_ENGINE_BIN_DIR: engine.binDir,
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            BACKLINE_ACCESS_KEY: "bk_e2e_example_0123456789abcdefSECRET",
            BACKLINE_RENDER_DIR: path.join(tmp, "rendered"),
            BACKLINE_STORAGE_CLASS: "nfs-rwx",
            BACKLINE_DATA_DIR: path.join(tmp, "data"),
        };
        delete childEnv.PULUMI_BACKEND_URL; // the example's own default: <data dir>/state
        return new Promise((resolve, reject) => {
            const child = spawn(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", path.join("examples", "deploy.ts"), action],
                { cwd: REPO_ROOT, env: childEnv },
            );
            let stdout = "";
            let stderr = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code, stdout, stderr }));
        });
    }

    it("up of the default stack with a passphrase of one's own, the same stack with another one, a lost stack file", async () => {
        const committed = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
        const stackFile = path.join(tmp, "data", "project", "Pulumi.dev.yaml");

        const first = await example("up", `any passphrase ${process.pid}`);
        assert.equal(first.code, 0, `${first.stderr}\n${first.stdout}`);
        assert.match(first.stdout, /^up: \d+ created/m);
        assert.ok(fs.existsSync(stackFile), "the stack file is not in BACKLINE_DATA_DIR");
        const afterUp = fs.readFileSync(stackFile, "utf8");

        const second = await example("preview", "another passphrase");
        assert.equal(second.code, 1, `${second.stderr}\n${second.stdout}`);
        assert.ok(
            second.stderr.includes(`The passphrase does not open stack "dev"`) && second.stderr.includes(stackFile),
            second.stderr,
        );
        assert.match(second.stderr, /Pass that passphrase/);

        assert.equal(fs.readFileSync(stackFile, "utf8"), afterUp, "the failed run changed the stack file");

        // A lost stack file: the right passphrase writes it again (the state keeps the salt).
        fs.rmSync(stackFile);
        const third = await example("preview", `any passphrase ${process.pid}`);
        assert.equal(third.code, 0, `${third.stderr}\n${third.stdout}`);
        assert.match(third.stdout, /^preview: 0 created, 0 updated, 0 deleted, 0 replaced, \d+ unchanged/m);
        assert.match(fs.readFileSync(stackFile, "utf8"), /^encryptionsalt: v1:/m);
        assert.equal(
            fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"),
            committed,
            "the committed Pulumi.dev.yaml changed",
        );
    });
});
