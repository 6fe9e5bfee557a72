/**
 * The transports of components/cluster against a real HTTPS server (Node's, with a CA and
 * certificates openssl makes here): the synchronous one of the preflight (`connectionFor`,
 * `requestsSync`), the asynchronous one of the health gate (`KubeClient`), and the kubeconfig the
 * adoption's kubectl is given (`kubectl`, with a stand-in that records it). Against a real
 * kube-apiserver, with real kubectl: test/e2e/cluster-client.e2e.ts.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { KubeClient, KubeRequestError, KubeconfigError, connectionFor, requestsSync } from "../components/cluster";
import { kubectl } from "../components/cluster/kubectl";
import { RecordingServer, startRecordingServer } from "./support/recording-server";
import { TestCa, makeTestCa } from "./support/tinyproxy";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

let ca: TestCa;
let server: RecordingServer;
let base: string;
const seen = () => server.seen();

/** A client certificate the test CA signed (CN=alice, O=dev), as kubeconfig data. */
let clientCert: { cert: string; key: string };

function openssl(args: string[]): void {
    const r = spawnSync("openssl", args, { cwd: ca.dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
}

before(async function () {
    this.timeout(30_000);
    ca = makeTestCa();
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(["req", ...ec, "-keyout", "client.key", "-out", "client.csr", "-subj", "/O=dev/CN=alice"]);
    openssl([
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-days",
        "2",
        "-out",
        "client.pem",
    ]);
    const b64 = (f: string) => fs.readFileSync(path.join(ca.dir, f)).toString("base64");
    clientCert = { cert: b64("client.pem"), key: b64("client.key") };
    const file = (f: string) => path.join(ca.dir, f);
    server = await startRecordingServer({
        key: file("server.key"),
        cert: file("server.pem"),
        ca: ca.caFile,
        dir: ca.dir,
    });
    base = server.url;
});
after(() => {
    server?.stop();
    ca?.remove();
});
beforeEach(() => server.reset());

/** A kubeconfig file (in the CA's folder) of one context. */
function kubeconfigFile(cluster: Any, user: Any): string {
    const file = path.join(ca.dir, "kubeconfig");
    fs.writeFileSync(
        file,
        stringify({
            clusters: [{ name: "c", cluster: { server: base, "certificate-authority": ca.caFile, ...cluster } }],
            users: [{ name: "u", user }],
            contexts: [{ name: "main", context: { cluster: "c", user: "u" } }],
            "current-context": "main",
        }),
    );
    return file;
}

function plugin(token: string, extra = ""): Any {
    const file = path.join(ca.dir, "plugin.sh");
    const out = JSON.stringify({ kind: "ExecCredential", status: { token, expirationTimestamp: extra || undefined } });
    fs.writeFileSync(file, `#!/bin/bash\necho run >> "$(dirname "$0")/runs"\necho '${out}'\n`, { mode: 0o755 });
    fs.rmSync(path.join(ca.dir, "runs"), { force: true });
    return { command: file };
}
const runs = () => fs.readFileSync(path.join(ca.dir, "runs"), "utf8").split("\n").filter(Boolean).length;

const impersonating = { token: "t0ken", as: "alice", "as-groups": ["dev", "ops"] };

describe("the synchronous transport (the preflight)", () => {
    const connect = (cluster: Any, user: Any) => {
        const r = connectionFor({ kubeconfig: kubeconfigFile(cluster, user) }, process.env);
        assert.ok(r.ok, r.ok ? "" : r.reason);
        return r.connection;
    };

    it("sends every request at once with the credentials, and answers in order", () => {
        const answers = requestsSync(connect({}, impersonating), [
            { method: "GET", path: "/version" },
            { method: "POST", path: "/apis/x", body: { a: 1 } },
            { method: "GET", path: "/missing" },
        ]);
        assert.deepEqual(answers, [
            { status: 200, body: { gitVersion: "v1.99.0" } },
            { status: 201, body: { echo: { a: 1 } } },
            { status: 404, body: { kind: "Status", reason: "NotFound" } },
        ]);
        const post = seen().find((s) => s.method === "POST")!;
        assert.deepEqual(post.headers.authorization, ["Bearer t0ken"]);
        assert.deepEqual(post.headers["impersonate-user"], ["alice"]);
        assert.deepEqual(post.headers["impersonate-group"], ["dev", "ops"]);
        assert.deepEqual(post.headers["content-type"], ["application/json"]);
    });

    const tls: [string, Any, RegExp | undefined][] = [
        ["the kubeconfig's CA", {}, undefined],
        ["no CA: the server's certificate is refused", { "certificate-authority": undefined }, /issuer|self.signed/i],
        [
            "insecure-skip-tls-verify",
            { "certificate-authority": undefined, "insecure-skip-tls-verify": true },
            undefined,
        ],
        ["tls-server-name that the certificate names", { "tls-server-name": "localhost" }, undefined],
        ["tls-server-name that it does not name", { "tls-server-name": "other.test" }, /altnames|other\.test/],
    ];
    for (const [name, cluster, failure] of tls) {
        it(`TLS with ${name}`, () => {
            const [answer] = requestsSync(connect(cluster, { token: "t" }), [{ method: "GET", path: "/version" }]);
            if (failure) assert.ok("error" in answer && failure.test(answer.error), JSON.stringify(answer));
            else assert.deepEqual(answer, { status: 200, body: { gitVersion: "v1.99.0" } });
        });
    }

    it("presents a client certificate; appends to a server URL's path", () => {
        const c = connect(
            { server: `${base}/prefix/` },
            { "client-certificate-data": clientCert.cert, "client-key-data": clientCert.key },
        );
        requestsSync(c, [{ method: "GET", path: "/version" }]);
        assert.equal(seen()[0].peer, "alice");
        assert.equal(seen()[0].url, "/prefix/version");
        assert.equal(seen()[0].headers.authorization, undefined);
    });

    it("sends the token an exec plugin issued", () => {
        requestsSync(connect({}, { exec: plugin("from-plugin") }), [{ method: "GET", path: "/version" }]);
        assert.deepEqual(seen()[0].headers.authorization, ["Bearer from-plugin"]);
    });
});

describe("the asynchronous transport (the health gate)", () => {
    const client = (cluster: Any, user: Any) => KubeClient.forTarget({ kubeconfig: kubeconfigFile(cluster, user) });

    it("GETs JSON with the credentials; 404 is undefined; another status is a KubeRequestError", async () => {
        const c = client(
            {},
            { ...impersonating, "client-certificate-data": clientCert.cert, "client-key-data": clientCert.key },
        );
        assert.deepEqual(await c.get("/version"), { gitVersion: "v1.99.0" });
        assert.equal(await c.get("/apis/apps/v1/namespaces/x/deployments/y"), undefined);
        await assert.rejects(
            c.get("/forbidden"),
            (e: Error) =>
                e instanceof KubeRequestError && e.status === 403 && /HTTP 403: nope, not you$/.test(e.message),
        );
        assert.deepEqual(seen()[0].headers.authorization, ["Bearer t0ken"]);
        assert.deepEqual(seen()[0].headers["impersonate-group"], ["dev", "ops"]);
        assert.equal(seen()[0].peer, "alice");
    });

    it("refuses a server whose certificate it cannot verify", async () => {
        await assert.rejects(
            client({ "certificate-authority": undefined }, { token: "t" }).get("/version"),
            (e: Error) => e instanceof KubeRequestError && /issuer|self.signed/i.test(e.message),
        );
    });

    it("gives up on a server that does not answer", async () => {
        await assert.rejects(
            client({}, { token: "t" }).get("/slow", undefined, 300),
            /GET \/slow: no answer within 300 ms/,
        );
    });

    it("keeps an exec credential until 30 s before it expires", async () => {
        const later = new Date(Date.now() + 3_600_000).toISOString();
        const lasting = client({}, { exec: plugin("t1", later) });
        await lasting.get("/version");
        await lasting.get("/version");
        assert.equal(runs(), 1);
        const expiring = client({}, { exec: plugin("t2", new Date(Date.now() + 10_000).toISOString()) });
        await expiring.get("/version");
        await expiring.get("/version");
        assert.equal(runs(), 2);
        assert.deepEqual(
            seen().map((s) => s.headers.authorization[0]),
            ["Bearer t1", "Bearer t1", "Bearer t2", "Bearer t2"],
        );
    });
});

describe("kubectl (the adoption) is given the resolver's kubeconfig", () => {
    let bin: string;
    const savedPath = process.env.PATH;
    before(() => {
        bin = fs.mkdtempSync(path.join(ca.dir, "bin-"));
        // Records what it was given: the arguments, the kubeconfig file's contents and mode.
        fs.writeFileSync(
            path.join(bin, "kubectl"),
            '#!/bin/bash\nset -euo pipefail\nout="$(dirname "$0")"\nprintf "%s\\n" "$@" > "$out/args"\n' +
                'cp "$2" "$out/config"\nstat -c %a "$2" > "$out/mode"\necho done\n',
            { mode: 0o755 },
        );
        process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    });
    after(() => (process.env.PATH = savedPath));
    const read = (f: string) => fs.readFileSync(path.join(bin, f), "utf8");

    it("one context, the exec plugin's place taken by its token, in a private file removed after the call", () => {
        const file = kubeconfigFile({}, { exec: plugin("issued"), as: "alice" });
        const r = kubectl({ kubeconfig: file }, ["get", "ns"]);
        assert.deepEqual(r, { status: 0, stdout: "done\n", stderr: "" });
        const args = read("args").trim().split("\n");
        assert.equal(args[0], "--kubeconfig");
        assert.deepEqual(args.slice(2), ["get", "ns"]);
        assert.equal(read("mode").trim(), "600");
        assert.ok(!fs.existsSync(args[1]), "the file is removed");
        const config = JSON.parse(read("config"));
        assert.deepEqual(config.users, [{ name: "u", user: { as: "alice", token: "issued" } }]);
        assert.equal(config["current-context"], "main");
        assert.equal(config.clusters[0].cluster["certificate-authority"], ca.caFile);
    });

    it("the same for an inline kubeconfig with `kubernetes.context`", () => {
        const text = fs.readFileSync(kubeconfigFile({}, { token: "t" }), "utf8");
        kubectl({ kubeconfig: text, context: "main" }, ["version"]);
        assert.equal(JSON.parse(read("config")).users[0].user.token, "t");
    });

    it("never runs kubectl with a kubeconfig the resolver refuses", () => {
        fs.rmSync(path.join(bin, "args"), { force: true });
        assert.throws(
            () => kubectl({ kubeconfig: path.join(ca.dir, "typo") }, ["get", "ns"]),
            (e: Error) =>
                e instanceof KubeconfigError &&
                /^cannot read the kubeconfig .*\/typo \(`kubernetes\.kubeconfig`\)/.test(e.message),
        );
        assert.ok(!fs.existsSync(path.join(bin, "args")));
    });
});
