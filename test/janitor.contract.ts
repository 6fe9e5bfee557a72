/**
 * End-to-end tests of janitor/janitor.sh against the kubectl stand-in (`npm run test:janitor`): the
 * shared cases of `support/janitor-cases.ts` for every backend in `kubeBackendFactories`, plus
 * static checks of the script and the stand-in's own contract. The same cases run against a real
 * kube-apiserver with the real kubectl in `test/e2e/janitor-apiserver.e2e.ts` (`npm run test:e2e`).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

import { FakeSaas } from "./support/fake-saas";
import { describeJanitorSuite } from "./support/janitor-cases";
import { API, STEPS } from "./support/janitor-fixtures";
import {
    JANITOR_SCRIPT,
    KubeObject,
    STANDIN_DIR,
    hostTool,
    kubeBackendFactories,
    makeToolDirs,
    missingScriptTools,
} from "./support/kube-backend";

for (const factory of kubeBackendFactories) describeJanitorSuite(factory);

// --- static checks and the stand-in's own contract ---------------------------------------------
describe("janitor.sh static checks", () => {
    it("passes shellcheck with no warnings (script and kubectl stand-in)", function () {
        const shellcheck = hostTool("shellcheck");
        if (!shellcheck) {
            if (process.env.CI) throw new Error("shellcheck is not installed (bash .ci/janitor-deps.sh installs it)");
            console.warn("      SKIPPED: shellcheck is not installed (bash .ci/janitor-deps.sh installs it)");
            this.skip();
        }
        const r = spawnSync(shellcheck as string, [JANITOR_SCRIPT, path.join(STANDIN_DIR, "kubectl")], {
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.equal(r.stdout + r.stderr, "");
    });

    it("names every SaaS path exactly once (a one-line change if the API moves)", () => {
        const script = fs.readFileSync(JANITOR_SCRIPT, "utf8");
        for (const s of STEPS) {
            assert.equal(script.split(API[s].path).length - 1, 1, `${API[s].path} must appear exactly once`);
        }
    });
});

describe("kubectl stand-in (test support)", function () {
    let tools: ReturnType<typeof makeToolDirs>;
    let state: string;
    before(function () {
        if (missingScriptTools()) this.skip();
        tools = makeToolDirs();
        state = fs.mkdtempSync(path.join(os.tmpdir(), "standin-"));
    });
    after(() => {
        if (tools) fs.rmSync(tools.root, { recursive: true, force: true });
        if (state) fs.rmSync(state, { recursive: true, force: true });
    });
    const kubectl = (args: string[], input = "") =>
        spawnSync(path.join(STANDIN_DIR, "kubectl"), args, {
            input,
            encoding: "utf8",
            env: { PATH: [tools.busybox, tools.tools].join(":"), KUBECTL_STANDIN_DIR: state },
        });

    it("fails loudly (exit 99) on any invocation it does not know", () => {
        for (const args of [
            ["delete", "secret", "jwt-token", "-n", "ns"],
            ["get", "secret", "jwt-token", "-o", "json"], // no -n
            ["get", "secret", "jwt-token", "-n", "ns", "-o", "yaml"],
            ["get", "secret", "jwt-token", "-n", "ns", "-o", "json", "--watch"],
            ["get", "configmap", "x", "-n", "ns", "-o", "json"],
            ["apply", "-n", "ns", "-f", "-"], // client-side apply
            ["patch", "deployment", "worker", "-n", "ns", "--type=merge", "-p", "{}"],
        ]) {
            const r = kubectl(args);
            assert.equal(r.status, 99, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, /^kubectl stand-in: UNSUPPORTED: /, args.join(" "));
        }
        assert.equal(kubectl(["apply", "--server-side", "-n", "ns", "-f", "-"], "kind: Secret\n").status, 99, "YAML");
    });

    it("answers like kubectl: NotFound messages, --ignore-not-found, immutable Secret type", () => {
        let r = kubectl(["get", "secret", "jwt-token", "-n", "ns", "-o", "json"]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, 'Error from server (NotFound): secrets "jwt-token" not found\n');
        r = kubectl(["get", "deployment", "worker", "-n", "ns", "-o", "json"]);
        assert.equal(r.stderr, 'Error from server (NotFound): deployments.apps "worker" not found\n');
        r = kubectl(["get", "deployment", "worker", "-n", "ns", "-o", "json", "--ignore-not-found"]);
        assert.deepEqual([r.status, r.stdout, r.stderr], [0, "", ""]);
        const apply = ["apply", "--server-side", "--field-manager=t", "--force-conflicts", "-n", "ns", "-f", "-"];
        const secret = {
            apiVersion: "v1",
            kind: "Secret",
            type: "Opaque",
            metadata: { name: "s" },
            data: { a: "YQ==" },
        };
        r = kubectl(apply, JSON.stringify(secret));
        assert.deepEqual([r.status, r.stdout], [0, "secret/s serverside-applied\n"]);
        r = kubectl(["get", "secret", "s", "-n", "ns", "-o", "json"]);
        const stored = JSON.parse(r.stdout) as KubeObject;
        assert.equal(stored.metadata.resourceVersion, "1");
        assert.ok(r.stdout.startsWith('{\n    "apiVersion"'), "4-space indented like kubectl");
        r = kubectl(apply, JSON.stringify({ ...secret, type: "kubernetes.io/dockerconfigjson" }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /field is immutable/);
        r = kubectl(["patch", "deployment", "worker", "-n", "ns", "--type=strategic", "-p", "{}"]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /deployments\.apps "worker" not found/);
    });
});

describe("fake SaaS (test support)", () => {
    let saas: FakeSaas;
    before(async () => (saas = await FakeSaas.start()));
    after(async () => saas?.close());
    const get = (path: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> =>
        new Promise((resolve, reject) => {
            http.get(`${saas.baseUrl}${path}`, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
            }).on("error", reject);
        });

    it("sends raw bytes as given, chunked on the wire or with a Content-Length", async () => {
        const bytes = Buffer.concat([
            Buffer.from('{"a":"'),
            Buffer.from([0, 0xff, 0xfe]),
            Buffer.alloc(200_000, 0x61),
            Buffer.from('"}'),
        ]);
        saas.set("GET", "/chunked", { body: bytes, chunked: true });
        saas.set("GET", "/sized", { body: bytes });
        const chunked = await get("/chunked");
        assert.equal(chunked.headers["transfer-encoding"], "chunked");
        assert.equal(chunked.headers["content-length"], undefined);
        assert.ok(chunked.body.equals(bytes), "chunked body byte for byte");
        const sized = await get("/sized");
        assert.equal(sized.headers["transfer-encoding"], undefined);
        assert.equal(sized.headers["content-length"], String(bytes.length));
        assert.ok(sized.body.equals(bytes), "sized body byte for byte");
        assert.deepEqual(
            saas.requests.map((q) => q.answer),
            [
                { bytes: bytes.length, chunked: true },
                { bytes: bytes.length, chunked: false },
            ],
        );
    });
});
