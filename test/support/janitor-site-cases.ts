/**
 * The janitor in an enterprise site, registered by describeJanitorSuite for every
 * backend (the kubectl stand-in in `npm test`, the real kube-apiserver in the e2e suite):
 *
 * - through a real HTTP CONNECT proxy (tinyproxy, with Basic credentials that curl reads from
 *   HTTPS_PROXY) to an HTTPS fake SaaS whose certificate a private CA made here with openssl
 *   signed, the CA given as JANITOR_CA_BUNDLE: first run and steady state (1 request, 0 writes);
 * - without the CA, with refused or malformed proxy credentials: clear failures, nothing
 *   changed, and the proxy password never in an output line or an argv;
 * - NO_PROXY honoured; JANITOR_IMAGE_REGISTRY rewrites the announced image's registry.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";

import { FakeSaas } from "./fake-saas";
import {
    ACCESS_KEY,
    API,
    IMAGE_A,
    IMAGE_B,
    JanitorSuite,
    Run,
    STEPS,
    Step,
    addSecret,
    containerImage,
    escapeRe,
    registryAnswer,
    secretValue,
    show,
    tokenAnswer,
    workerDeployment,
} from "./janitor-fixtures";
import { Tinyproxy, TestCa, makeTestCa, missingProxyTools, startTinyproxy } from "./tinyproxy";

const MIRROR = "mirror.corp.example.com:5000/backline";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

/** Every process's argv, read while curl waits for an answer (world-readable /proc/<pid>/cmdline). */
function allArgv(): string[] {
    const out: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            out.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
        } catch {
            // the process is gone
        }
    }
    return out;
}

export function describeSiteCases(t: JanitorSuite): void {
    describe("behind a proxy, with a private CA and a registry mirror", function () {
        let https: FakeSaas;
        let ca: TestCa;
        let proxy: Tinyproxy;
        const user = "backline";
        const password = secretValue("proxy-pw");

        before(async function () {
            const reason = missingProxyTools();
            if (reason) {
                if (process.env.CI) throw new Error(reason);
                console.warn(`      SKIPPED: ${reason}`);
                this.skip();
            }
            ca = makeTestCa();
            https = await FakeSaas.start({ tls: { key: ca.key, cert: ca.cert } });
            proxy = await startTinyproxy({ connectPorts: [https.port], basicAuth: { user, password } });
            // Every form in which the credentials could leak: as given, and as curl may quote them.
            addSecret(`${user}:${password}`);
        });
        after(async () => {
            await proxy?.stop();
            await https?.close();
            ca?.remove();
        });
        beforeEach(() => https?.reset());

        const answerHttps = (step: Step, body: unknown) => https.set(API[step].method, API[step].path, { body });
        /** The janitor's environment for the HTTPS SaaS through the proxy (both spellings, as the pods get them). */
        const throughProxy = (proxyUrl: string, extra: Record<string, string | undefined> = {}) => ({
            BACKLINE_BASE_URL: https.baseUrl,
            HTTPS_PROXY: proxyUrl,
            https_proxy: proxyUrl,
            NO_PROXY: "",
            no_proxy: "",
            JANITOR_CA_BUNDLE: ca.caFile,
            // A TLS handshake through a proxy on a loaded machine: more than the suite's 2 s.
            JANITOR_HTTP_TIMEOUT_SECONDS: "10",
            ...extra,
        });
        const withCredentials = () => proxy.url({ user, password });
        const assertAuthorized = () => {
            for (const q of https.requests) {
                assert.equal(q.headers.authorization, `Bearer ${ACCESS_KEY}`, `${q.method} ${q.path}`);
                assert.equal(q.headers["proxy-authorization"], undefined, "the proxy's credentials reached the SaaS");
            }
        };

        it("through an HTTP CONNECT proxy to an HTTPS SaaS signed by a private CA: writes once, then 1 request and 0 writes", async () => {
            await t.kube.seed(workerDeployment(IMAGE_A));
            const token = tokenAnswer();
            const registry = registryAnswer();
            answerHttps("token", token);
            answerHttps("registry", registry);
            answerHttps("image", { image: IMAGE_B });
            const connectsBefore = proxy.connects().length;

            const first = await t.run(throughProxy(withCredentials()));
            assert.equal(first.code, 0, show(first));
            assert.deepEqual(
                first.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
                ["apply secrets/jwt-token", "apply secrets/dockerconfig", "patch deployments/worker"],
            );
            assert.equal(first.stdoutLines[2], `image: updated worker from ${IMAGE_A} to ${IMAGE_B}`);
            assert.deepEqual(
                https.requests.map((q) => q.path),
                STEPS.map((s) => API[s].path),
            );
            assertAuthorized();
            const tunnels = proxy.connects().slice(connectsBefore);
            assert.deepEqual(
                tunnels,
                Array(3).fill(`CONNECT 127.0.0.1:${https.port}`),
                "every request went through the proxy",
            );

            // Steady state, and while curl waits for the answer no argv holds a secret.
            https.clearRequests();
            const argvSeen: string[] = [];
            https.onRequest = () => argvSeen.push(...allArgv());
            const before = await t.snapshot();
            const steady = await t.run(throughProxy(withCredentials()));
            assert.equal(steady.code, 0, show(steady));
            assert.deepEqual(steady.writes, []);
            assert.deepEqual(
                https.requests.map((q) => [q.method, q.path]),
                [["GET", API.image.path]],
            );
            assert.equal(proxy.connects().length, connectsBefore + 4);
            await t.assertUnchanged(before);
            assert.ok(
                argvSeen.some((a) => a.includes("curl")),
                "curl was seen in /proc while it waited",
            );
            for (const a of argvSeen) {
                assert.ok(!a.includes(password) && !a.includes(ACCESS_KEY), `a secret is in an argv: ${a}`);
            }
        });

        it("without the CA it fails clearly, naming the untrusted certificate, and changes nothing", async () => {
            await t.seedStale();
            answerHttps("token", tokenAnswer());
            answerHttps("registry", registryAnswer());
            answerHttps("image", { image: IMAGE_B });
            const before = await t.snapshot();
            const r = await t.run(throughProxy(withCredentials(), { JANITOR_CA_BUNDLE: undefined }));
            assert.equal(r.code, 1, show(r));
            for (const s of STEPS) {
                const re = new RegExp(
                    `^${s}: FAILED: SaaS unavailable: ${t.url(s, escapeRe(https.baseUrl))}: the server's TLS certificate is not trusted \\(SSL certificate problem: .*\\); behind a TLS-inspecting proxy or with a private CA, give its roots in JANITOR_CA_BUNDLE`,
                );
                assert.ok(
                    r.stderrLines.some((l) => re.test(l)),
                    `expected ${re}\n${show(r)}`,
                );
            }
            assert.deepEqual(r.writes, []);
            assert.deepEqual(https.requests, [], "no request got through");
            await t.assertUnchanged(before);
        });

        it("a proxy that refuses the credentials: each step names the proxy's refusal, never the password", async () => {
            await t.seedStale();
            answerHttps("image", { image: IMAGE_B });
            const wrong = secretValue("wrong-proxy-pw");
            addSecret(`${user}:${wrong}`);
            const before = await t.snapshot();
            const r: Run = await t.run(throughProxy(proxy.url({ user, password: wrong })));
            assert.equal(r.code, 1, show(r));
            for (const s of STEPS) {
                const re = new RegExp(
                    `^${s}: FAILED: SaaS unavailable: .*: the proxy refused the connection \\(CONNECT tunnel failed, response 40[137]\\)$`,
                );
                assert.ok(
                    r.stderrLines.some((l) => re.test(l)),
                    `expected ${re}\n${show(r)}`,
                );
            }
            assert.deepEqual(r.writes, []);
            await t.assertUnchanged(before);
        });

        it("a malformed proxy URL, which curl quotes in its error: the credentials are cut out", async () => {
            await t.seedStale();
            const url = `http://${user}:${password}@@127.0.0.1:${proxy.port}`;
            const r = await t.run(throughProxy(url));
            assert.equal(r.code, 1, show(r));
            const line = r.stderrLines.find((l) => l.startsWith("token: FAILED:"));
            assert.match(
                String(line),
                /could not resolve or use the proxy \(Unsupported proxy syntax in 'http:\/\/\[redacted\]@127\.0\.0\.1:\d+'\)/,
            );
            assert.deepEqual(r.writes, []);
        });

        it("NO_PROXY: a listed host is reached directly, not through the proxy", async () => {
            await t.seedFresh(IMAGE_B);
            answerHttps("image", { image: IMAGE_B });
            const connectsBefore = proxy.connects().length;
            const r = await t.run(throughProxy(withCredentials(), { NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" }));
            assert.equal(r.code, 0, show(r));
            assert.deepEqual(r.writes, []);
            assert.equal(https.requests.length, 1);
            assert.equal(proxy.connects().length, connectsBefore, "the proxy saw a tunnel");
        });

        it("JANITOR_CA_BUNDLE that is not a readable file, or a mirror that is not a registry: exit 2 naming the variable", async () => {
            for (const [name, value] of [
                ["JANITOR_CA_BUNDLE", "/nonexistent/ca.pem"],
                ["JANITOR_IMAGE_REGISTRY", "https://mirror.corp"],
                ["JANITOR_IMAGE_REGISTRY", "mirror.corp/"],
            ]) {
                const r = await t.run({ [name]: value });
                assert.equal(r.code, 2, `${name}=${value}\n${show(r)}`);
                assert.match(r.stderr, new RegExp(`^janitor: invalid configuration: ${name} must be`));
                assert.deepEqual(r.requests, []);
                assert.deepEqual(r.calls ?? [], []);
            }
        });

        it("JANITOR_IMAGE_REGISTRY: the announced image runs from the mirror, repository and tag kept, once", async () => {
            await t.seedFresh(IMAGE_A);
            t.answer("image", { body: { image: IMAGE_B } });
            const mirrored = `${MIRROR}/prod-worker:${IMAGE_B.split(":").pop()}`;
            const r = await t.run({ JANITOR_IMAGE_REGISTRY: MIRROR });
            assert.equal(r.code, 0, show(r));
            assert.equal(r.stdoutLines[2], `image: updated worker from ${IMAGE_A} to ${mirrored}`);
            assert.equal(containerImage(await t.kube.get("Deployment", "worker")), mirrored);
            const again = await t.run({ JANITOR_IMAGE_REGISTRY: MIRROR });
            assert.equal(again.stdoutLines[2], `image: worker already runs ${mirrored}, skipped`);
            assert.deepEqual(again.writes, []);
        });

        it("JANITOR_IMAGE_REGISTRY: Docker Hub images gain library/, digests and nested paths are kept", async () => {
            const table: [string, string][] = [
                ["docker.io/nginx:1.27", `${MIRROR}/library/nginx:1.27`],
                [`index.docker.io/bitnami/nginx@${DIGEST}`, `${MIRROR}/bitnami/nginx@${DIGEST}`],
                ["registry.example.com:8443/team/sub/worker:v2", `${MIRROR}/team/sub/worker:v2`],
                ["localhost:5000/worker:v3", `${MIRROR}/worker:v3`],
            ];
            await t.seedFresh(IMAGE_A);
            for (const [announced, expected] of table) {
                t.answer("image", { body: { image: announced } });
                const r = await t.run({ JANITOR_IMAGE_REGISTRY: MIRROR });
                assert.equal(r.code, 0, show(r));
                assert.match(r.stdoutLines[2], new RegExp(`to ${escapeRe(expected)}$`), announced);
                assert.equal(containerImage(await t.kube.get("Deployment", "worker")), expected, announced);
            }
        });
    });
}
