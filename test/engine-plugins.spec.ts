/**
 * scripts/engine-plugins.sh: the engine build's plugin store and its installation into a PULUMI_HOME's
 * plugin cache, in the layout the engine reads (`<kind>-<name>-v<version>/pulumi-<kind>-<name>`).
 * A component provider is added the same way as the kubernetes plugin; test/e2e/engine-smoke.e2e.ts
 * shows the engine listing what this installs.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const script = path.join(__dirname, "..", "scripts", "engine-plugins.sh");

describe("scripts/engine-plugins.sh", () => {
    let tmp: string;
    let engineDir: string;
    let store: string;
    const run = (...args: string[]) =>
        spawnSync("bash", [script, ...args], {
            encoding: "utf8",
            env: { ...process.env, PULUMI_ENGINE_DIR: engineDir, PULUMI_HOME: path.join(tmp, "default-home") },
        });
    const ok = (...args: string[]) => {
        const r = run(...args);
        assert.equal(r.status, 0, `engine-plugins.sh ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    /** An executable that says which one it is. */
    const executable = (name: string) => {
        const file = path.join(tmp, "exe", name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `#!/bin/sh\necho ${name}\n`, { mode: 0o755 });
        return file;
    };
    /** What the plugin in `home` at `entry` runs as. */
    const runs = (home: string, entry: string, file: string) => {
        const r = spawnSync(path.join(home, "plugins", entry, file), { encoding: "utf8" });
        return r.error ? `error: ${r.error.message}` : r.stdout.trim();
    };

    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-plugins-"));
        engineDir = path.join(tmp, "engine");
        store = path.join(engineDir, "plugins");
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("adds a plugin to the store under the version programs ask for, one version per plugin", () => {
        const k8s = executable("kubernetes-build");
        ok("add", "resource", "kubernetes", "4.24.1", k8s);
        assert.deepEqual(fs.readdirSync(store), ["resource-kubernetes-v4.24.1"]);
        assert.equal(
            fs.realpathSync(path.join(store, "resource-kubernetes-v4.24.1", "pulumi-resource-kubernetes")),
            k8s,
        );
        ok("add", "resource", "kubernetes", "v4.25.0", k8s);
        assert.deepEqual(fs.readdirSync(store), ["resource-kubernetes-v4.25.0"]);
        assert.equal(ok("list"), `resource kubernetes 4.25.0 ${k8s}\n`);
    });

    it("adds a component provider the same way, beside the kubernetes plugin", () => {
        ok("add", "resource", "kubernetes", "4.24.1", executable("kubernetes-build"));
        const component = executable("component");
        ok("add", "resource", "backline-components", "0.1.0-alpha.1+abc", component);
        assert.deepEqual(ok("list").split("\n").sort(), [
            "",
            `resource backline-components 0.1.0-alpha.1+abc ${component}`,
            `resource kubernetes 4.24.1 ${path.join(tmp, "exe", "kubernetes-build")}`,
        ]);
        const home = path.join(tmp, "home");
        ok("link", home);
        assert.equal(
            runs(home, "resource-backline-components-v0.1.0-alpha.1+abc", "pulumi-resource-backline-components"),
            "component",
        );
    });

    const refusals: [string, string[], RegExp][] = [
        ["a language host (bundled next to pulumi)", ["add", "language", "nodejs", "3.68.0"], /kind must be resource/],
        ["a name with capitals", ["add", "resource", "Kubernetes", "4.24.1"], /plugin name must be/],
        ["a version that is not semver", ["add", "resource", "kubernetes", "latest"], /version must be semver/],
        ["an unknown command", ["install"], /usage: engine-plugins\.sh add/],
    ];
    for (const [title, args, message] of refusals) {
        it(`refuses ${title}`, () => {
            const r = run(...(args[0] === "add" ? [...args, executable("x")] : args));
            assert.equal(r.status, 1);
            assert.match(r.stderr, message);
            assert.equal(fs.existsSync(store), false, "the store was written");
        });
    }

    it("refuses a file that is not executable", () => {
        const file = path.join(tmp, "plain");
        fs.writeFileSync(file, "");
        const r = run("add", "resource", "kubernetes", "4.24.1", file);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /is not an executable file/);
    });

    it("installs every stored plugin into a home's plugin cache (default: $PULUMI_HOME)", () => {
        ok("add", "resource", "kubernetes", "4.24.1", executable("kubernetes-build"));
        ok("link");
        const home = path.join(tmp, "default-home");
        assert.deepEqual(fs.readdirSync(path.join(home, "plugins")), ["resource-kubernetes-v4.24.1"]);
        assert.equal(runs(home, "resource-kubernetes-v4.24.1", "pulumi-resource-kubernetes"), "kubernetes-build");
        ok("link");
        assert.equal(runs(home, "resource-kubernetes-v4.24.1", "pulumi-resource-kubernetes"), "kubernetes-build");
    });

    it("keeps a plugin the home already has and that runs; replaces one that does not", () => {
        ok("add", "resource", "kubernetes", "4.24.1", executable("kubernetes-build"));
        const home = path.join(tmp, "home");
        const dir = path.join(home, "plugins", "resource-kubernetes-v4.24.1");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "pulumi-resource-kubernetes"), "#!/bin/sh\necho downloaded\n", { mode: 0o755 });
        ok("link", home);
        assert.equal(runs(home, "resource-kubernetes-v4.24.1", "pulumi-resource-kubernetes"), "downloaded");
        fs.rmSync(path.join(dir, "pulumi-resource-kubernetes"));
        fs.symlinkSync(path.join(tmp, "gone"), path.join(dir, "pulumi-resource-kubernetes"));
        ok("link", home);
        assert.equal(runs(home, "resource-kubernetes-v4.24.1", "pulumi-resource-kubernetes"), "kubernetes-build");
    });

    it("drops a home's links to a version the store no longer has, and nothing else", () => {
        const exe = executable("kubernetes-build");
        ok("add", "resource", "kubernetes", "4.24.1", exe);
        const home = path.join(tmp, "home");
        ok("link", home);
        fs.mkdirSync(path.join(home, "plugins", "resource-random-v4.21.2"));
        fs.writeFileSync(path.join(home, "plugins", "resource-random-v4.21.2", "pulumi-resource-random"), "", {
            mode: 0o755,
        });
        ok("add", "resource", "kubernetes", "4.25.0", exe);
        ok("link", home);
        assert.deepEqual(fs.readdirSync(path.join(home, "plugins")).sort(), [
            "resource-kubernetes-v4.25.0",
            "resource-random-v4.21.2",
        ]);
    });

    it("does nothing for a home when there is no store (no engine built here)", () => {
        const home = path.join(tmp, "home");
        ok("link", home);
        assert.equal(fs.existsSync(home), false);
        assert.equal(ok("list"), "");
    });
});
