/**
 * The janitor's end-to-end cases, shared by every Kubernetes backend: `describeJanitorSuite(factory)`
 * registers the whole suite against one `KubeBackendFactory`. `test/janitor.contract.ts` runs it
 * against the kubectl stand-in (`npm run test:janitor`); `test/e2e/janitor-apiserver.e2e.ts` runs the
 * same cases against a real kube-apiserver with the real kubectl.
 *
 * The cases use only the KubeBackend interface. The namespace is read from `kube.namespace` at run
 * time: a backend may move to a fresh namespace on every reset().
 *
 * Every run is checked for these invariants, whatever the case: no output line contains a
 * secret (access key, token, password, base64 auth), no kubectl argv contains one, every
 * kubectl call passes `-n NAMESPACE`, and every SaaS request carries `Authorization: Bearer
 * <key>` and `Accept: application/json`.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";

import { EndpointBehaviour, FakeSaas, unusedPort } from "./fake-saas";
import { KubeBackend, KubeBackendFactory, StoredObject, runJanitor } from "./kube-backend";
import {
    ACCESS_KEY,
    API,
    IMAGE_A,
    IMAGE_B,
    IMAGE_C,
    JanitorSuite,
    OBJECTS,
    REGISTRY,
    REQUIRED_FIELDS,
    RegistryAnswer,
    Run,
    SECRETS,
    SIDECAR,
    STEPS,
    Step,
    TokenAnswer,
    at,
    b64,
    containerImage,
    dataOf,
    dockerConfigJson,
    escapeRe,
    registryAnswer,
    registrySecret,
    show,
    tokenAnswer,
    tokenSecret,
    unb64,
    workerDeployment,
} from "./janitor-fixtures";
import { describeHostileAnswerCases } from "./janitor-hostile-cases";
import { describeSiteCases } from "./janitor-site-cases";

/** The namespace given to the factory (a backend may use it as a prefix, see KubeBackend.namespace). */
const NS = "backline-e2e";

export function describeJanitorSuite(factory: KubeBackendFactory): void {
    describe(`janitor.sh end to end (${factory.name})`, function () {
        let saas: FakeSaas;
        let kube: KubeBackend;

        before(async function () {
            const reason = factory.unavailableReason();
            if (reason) {
                if (process.env.CI) throw new Error(`${factory.name}: ${reason}`);
                console.warn(`      SKIPPED ${factory.name}: ${reason}`);
                this.skip();
            }
            saas = await FakeSaas.start();
            kube = await factory.create(NS);
        });
        after(async () => {
            await saas?.close();
            await kube?.close();
        });
        beforeEach(async () => {
            saas.reset();
            await kube.reset();
        });

        const answer = (step: Step, b: EndpointBehaviour): void => saas.set(API[step].method, API[step].path, b);
        const url = (step: Step, base = "http://127\\.0\\.0\\.1:\\d+"): string =>
            `${API[step].method} ${base}${escapeRe(API[step].path)}`;

        /** Runs the script and checks the invariants that hold for every run. */
        async function run(extraEnv: Record<string, string | undefined> = {}): Promise<Run> {
            const writesBefore = (await kube.writes()).length;
            const callsBefore = (await kube.kubectlCalls())?.length ?? 0;
            const requestsBefore = saas.requests.length;
            const env = {
                BACKLINE_BASE_URL: saas.baseUrl,
                BACKLINE_ACCESS_KEY: ACCESS_KEY,
                JANITOR_NAMESPACE: kube.namespace,
                JANITOR_HTTP_TIMEOUT_SECONDS: "2",
                ...extraEnv,
            };
            const r = await runJanitor(kube, env);
            const result: Run = {
                ...r,
                stdoutLines: r.stdout.split("\n").filter((l) => l !== ""),
                stderrLines: r.stderr.split("\n").filter((l) => l !== ""),
                writes: (await kube.writes()).slice(writesBefore),
                calls: (await kube.kubectlCalls())?.slice(callsBefore),
                requests: saas.requests.slice(requestsBefore),
            };
            for (const line of [...result.stdoutLines, ...result.stderrLines]) {
                for (const secret of SECRETS) {
                    assert.ok(!line.includes(secret), `an output line contains a secret value:\n${line}\n\n${show(r)}`);
                }
            }
            assert.ok(
                !result.stderr.includes("UNSUPPORTED"),
                `the kubectl stand-in met an unknown invocation:\n${show(r)}`,
            );
            for (const argv of result.calls ?? []) {
                const i = argv.indexOf("-n");
                assert.ok(
                    i >= 0 && argv[i + 1] === kube.namespace,
                    `kubectl call without -n ${kube.namespace}: ${argv.join(" ")}`,
                );
                for (const secret of SECRETS) {
                    assert.ok(
                        !argv.some((a) => a.includes(secret)),
                        `a kubectl argv contains a secret: ${argv.join(" ")}`,
                    );
                }
            }
            if (env.BACKLINE_ACCESS_KEY === ACCESS_KEY) {
                for (const req of result.requests) {
                    assert.equal(
                        req.headers.authorization,
                        `Bearer ${ACCESS_KEY}`,
                        `Authorization of ${req.method} ${req.path}`,
                    );
                    assert.equal(req.headers.accept, "application/json", `Accept of ${req.method} ${req.path}`);
                }
            }
            return result;
        }

        async function snapshot(): Promise<Map<string, StoredObject | undefined>> {
            const snap = new Map<string, StoredObject | undefined>();
            for (const [kind, name] of OBJECTS) snap.set(`${kind}/${name}`, await kube.get(kind, name));
            return snap;
        }
        async function assertUnchanged(before: Map<string, StoredObject | undefined>, keys?: string[]): Promise<void> {
            for (const [key, was] of before) {
                if (keys && !keys.includes(key)) continue;
                const [kind, name] = key.split("/") as ["Secret" | "Deployment", string];
                const now = await kube.get(kind, name);
                assert.equal(now?.resourceVersion, was?.resourceVersion, `${key}: resourceVersion changed`);
                assert.equal(now?.raw, was?.raw, `${key}: content changed`);
            }
        }

        /** Both secrets fresh for 2 h, the worker running `image`. */
        async function seedFresh(image = IMAGE_A): Promise<{ token: TokenAnswer; registry: RegistryAnswer }> {
            const token = tokenAnswer(at(7200));
            const registry = registryAnswer(at(7200));
            await kube.seed(tokenSecret(token));
            await kube.seed(registrySecret(registry));
            await kube.seed(workerDeployment(image));
            return { token, registry };
        }
        /** Every step would write if the SaaS answered: both secrets expire in 2 min, worker on IMAGE_A. */
        async function seedStale(): Promise<void> {
            await kube.seed(tokenSecret(tokenAnswer(at(120))));
            await kube.seed(registrySecret(registryAnswer(at(120))));
            await kube.seed(workerDeployment(IMAGE_A));
        }
        function answerAllValid(image = IMAGE_B): { token: TokenAnswer; registry: RegistryAnswer } {
            const token = tokenAnswer();
            const registry = registryAnswer(at(3600, { offsetMinutes: 120, fraction: ".250" }));
            answer("token", { body: token });
            answer("registry", { body: registry });
            answer("image", { body: { image } });
            return { token, registry };
        }

        // --- the happy paths ------------------------------------------------------------------
        it("first run: creates both secrets exactly as specified and sets the worker image", async () => {
            await kube.seed(workerDeployment(IMAGE_A));
            const { token, registry } = answerAllValid(IMAGE_B);
            const r = await run({ BACKLINE_BASE_URL: `${saas.baseUrl}/` }); // a trailing slash is tolerated
            assert.equal(r.code, 0, show(r));
            assert.deepEqual(r.stdoutLines, [
                `token: refreshed (Secret jwt-token is missing), valid until ${token.expiresAt}`,
                `registry: refreshed (Secret dockerconfig is missing), valid until ${registry.expiresAt}`,
                `image: updated worker from ${IMAGE_A} to ${IMAGE_B}`,
            ]);
            assert.equal(r.stderr, "");

            const jwt = await kube.get("Secret", "jwt-token");
            assert.equal(jwt?.object.type, "Opaque");
            assert.deepEqual(Object.keys(dataOf(jwt)), ["token"]);
            assert.equal(unb64(dataOf(jwt).token), token.token);
            assert.equal(jwt?.object.metadata.annotations?.["backline.ai/expires-at"], token.expiresAt);
            assert.equal(jwt?.object.metadata.labels?.["app.kubernetes.io/managed-by"], "backline-janitor");

            const dc = await kube.get("Secret", "dockerconfig");
            assert.equal(dc?.object.type, "kubernetes.io/dockerconfigjson");
            assert.deepEqual(Object.keys(dataOf(dc)), [".dockerconfigjson"]);
            const decoded = unb64(dataOf(dc)[".dockerconfigjson"]);
            assert.deepEqual(JSON.parse(decoded), {
                auths: {
                    [REGISTRY]: { username: "AWS", password: registry.password, auth: b64(`AWS:${registry.password}`) },
                },
            });
            assert.equal(decoded, dockerConfigJson(registry), "exact .dockerconfigjson (key order, compact)");
            assert.equal(unb64(b64(`AWS:${registry.password}`)), `AWS:${registry.password}`);
            assert.equal(dc?.object.metadata.annotations?.["backline.ai/expires-at"], registry.expiresAt);
            assert.equal(dc?.object.metadata.labels?.["app.kubernetes.io/managed-by"], "backline-janitor");

            const worker = await kube.get("Deployment", "worker");
            assert.equal(containerImage(worker), IMAGE_B);
            assert.equal(containerImage(worker, SIDECAR.name), SIDECAR.image, "the sidecar is untouched");

            assert.deepEqual(
                r.writes.map((w) => [w.verb, w.resource, w.name, w.fieldManager]),
                [
                    ["apply", "secrets", "jwt-token", "backline-janitor"],
                    ["apply", "secrets", "dockerconfig", "backline-janitor"],
                    ["patch", "deployments", "worker", "backline-janitor"],
                ],
            );
            assert.deepEqual(
                r.requests.map((q) => [q.method, q.path]),
                STEPS.map((s) => [API[s].method, API[s].path]),
            );
            assert.equal(r.requests[0].bodyLength, 0, "the token POST has an empty body");
            if (r.calls) {
                // The exact kubectl invocations (the RBAC Role in janitor/README.md is derived from these).
                const NS = kube.namespace;
                assert.deepEqual(r.calls, [
                    ["get", "secret", "jwt-token", "-n", NS, "-o", "json", "--ignore-not-found"],
                    [
                        "apply",
                        "--server-side",
                        "--field-manager=backline-janitor",
                        "--force-conflicts",
                        "-n",
                        NS,
                        "-f",
                        "-",
                    ],
                    ["get", "secret", "dockerconfig", "-n", NS, "-o", "json", "--ignore-not-found"],
                    [
                        "apply",
                        "--server-side",
                        "--field-manager=backline-janitor",
                        "--force-conflicts",
                        "-n",
                        NS,
                        "-f",
                        "-",
                    ],
                    ["get", "deployment", "worker", "-n", NS, "-o", "json", "--ignore-not-found"],
                    [
                        "patch",
                        "deployment",
                        "worker",
                        "-n",
                        NS,
                        "--type=strategic",
                        "--field-manager=backline-janitor",
                        "-p",
                        JSON.stringify({
                            spec: { template: { spec: { containers: [{ name: "worker", image: IMAGE_B }] } } },
                        }),
                    ],
                ]);
            }
        });

        it("steady state: exactly one SaaS request (worker image) and zero Kubernetes writes", async () => {
            await kube.seed(workerDeployment(IMAGE_A));
            const { token, registry } = answerAllValid(IMAGE_B);
            assert.equal((await run()).code, 0);
            const before = await snapshot();

            const r = await run();
            assert.equal(r.code, 0, show(r));
            assert.deepEqual(r.stdoutLines, [
                `token: fresh until ${token.expiresAt}, skipped`,
                `registry: fresh until ${registry.expiresAt}, skipped`,
                `image: worker already runs ${IMAGE_B}, skipped`,
            ]);
            assert.equal(r.stderr, "");
            assert.deepEqual(r.writes, []);
            assert.deepEqual(
                r.requests.map((q) => [q.method, q.path]),
                [["GET", API.image.path]],
            );
            await assertUnchanged(before);
        });

        it("a token near expiry is refreshed and nothing else changes (the window is configurable)", async () => {
            const { registry } = await seedFresh(IMAGE_B);
            const old = tokenAnswer(at(300));
            await kube.seed(tokenSecret(old));
            const { token } = answerAllValid(IMAGE_B);
            const before = await snapshot();

            const narrow = await run({ JANITOR_REFRESH_WINDOW_SECONDS: "60" });
            assert.equal(narrow.code, 0, show(narrow));
            assert.equal(narrow.stdoutLines[0], `token: fresh until ${old.expiresAt}, skipped`);
            assert.deepEqual(narrow.writes, []);

            const r = await run();
            assert.equal(r.code, 0, show(r));
            assert.deepEqual(r.stdoutLines, [
                `token: refreshed (expires at ${old.expiresAt}, within the 900s refresh window), valid until ${token.expiresAt}`,
                `registry: fresh until ${registry.expiresAt}, skipped`,
                `image: worker already runs ${IMAGE_B}, skipped`,
            ]);
            assert.deepEqual(
                r.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
                ["apply secrets/jwt-token"],
            );
            assert.deepEqual(
                r.requests.map((q) => q.path),
                [API.token.path, API.image.path],
            );
            const jwt = await kube.get("Secret", "jwt-token");
            assert.equal(unb64(dataOf(jwt).token), token.token);
            assert.equal(jwt?.object.metadata.annotations?.["backline.ai/expires-at"], token.expiresAt);
            assert.notEqual(jwt?.resourceVersion, before.get("Secret/jwt-token")?.resourceVersion);
            await assertUnchanged(before, ["Secret/dockerconfig", "Deployment/worker"]);
        });

        it("a new worker image (digest form) rolls out exactly once", async () => {
            await seedFresh(IMAGE_B);
            answerAllValid(IMAGE_C);
            const before = await snapshot();
            const first = await run();
            assert.equal(first.code, 0, show(first));
            assert.equal(first.stdoutLines[2], `image: updated worker from ${IMAGE_B} to ${IMAGE_C}`);
            assert.deepEqual(
                first.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
                ["patch deployments/worker"],
            );
            assert.equal(containerImage(await kube.get("Deployment", "worker")), IMAGE_C);
            await assertUnchanged(before, ["Secret/jwt-token", "Secret/dockerconfig"]);

            const second = await run();
            assert.equal(second.code, 0, show(second));
            assert.equal(second.stdoutLines[2], `image: worker already runs ${IMAGE_C}, skipped`);
            assert.deepEqual(second.writes, []);
        });

        it("pinned image (JANITOR_UPDATE_WORKER_IMAGE=false): no image request, Deployment untouched", async () => {
            await seedFresh(IMAGE_A);
            answerAllValid(IMAGE_B);
            const before = await snapshot();
            const r = await run({ JANITOR_UPDATE_WORKER_IMAGE: "false" });
            assert.equal(r.code, 0, show(r));
            assert.equal(r.stdoutLines[2], "image: automatic updates off (pinned), skipped");
            assert.deepEqual(r.requests, []);
            assert.deepEqual(r.writes, []);
            await assertUnchanged(before);
        });

        it("no worker Deployment yet: the image step is skipped and counts as a success", async () => {
            const fresh = await seedFresh();
            await kube.reset();
            await kube.seed(tokenSecret(fresh.token));
            await kube.seed(registrySecret(fresh.registry));
            answerAllValid(IMAGE_B);
            const r = await run();
            assert.equal(r.code, 0, show(r));
            assert.equal(r.stdoutLines[2], "image: deployment worker not found, skipped");
            assert.deepEqual(r.requests, []);
            assert.deepEqual(r.writes, []);
        });

        it("custom object names from the environment are used everywhere", async () => {
            await kube.seed(workerDeployment(IMAGE_A, "acme-worker", "app"));
            const { token } = answerAllValid(IMAGE_B);
            const r = await run({
                JANITOR_JWT_SECRET: "acme-jwt",
                JANITOR_DOCKERCONFIG_SECRET: "acme-pull",
                JANITOR_WORKER_DEPLOYMENT: "acme-worker",
                JANITOR_WORKER_CONTAINER: "app",
            });
            assert.equal(r.code, 0, show(r));
            assert.equal(r.stdoutLines[2], `image: updated acme-worker/app from ${IMAGE_A} to ${IMAGE_B}`);
            assert.deepEqual(
                r.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
                ["apply secrets/acme-jwt", "apply secrets/acme-pull", "patch deployments/acme-worker"],
            );
            assert.equal(unb64(dataOf(await kube.get("Secret", "acme-jwt")).token), token.token);
            assert.equal((await kube.get("Secret", "acme-pull"))?.object.type, "kubernetes.io/dockerconfigjson");
            assert.equal(containerImage(await kube.get("Deployment", "acme-worker"), "app"), IMAGE_B);
        });

        // --- stored expiry times: RFC 3339 forms and unreadable annotations ---------------------
        const STORED_TIMES: { label: string; value: () => string | null; fresh: boolean }[] = [
            { label: "Z, 2 h ahead", value: () => at(7200), fresh: true },
            { label: "9-digit fraction, 2 h ahead", value: () => at(7200, { fraction: ".123456789" }), fresh: true },
            {
                label: "+05:00, 5 min ahead (would look fresh if the offset were ignored)",
                value: () => at(300, { offsetMinutes: 300 }),
                fresh: false,
            },
            {
                label: "-05:00, 2 h ahead (would look expired if the offset were ignored)",
                value: () => at(7200, { offsetMinutes: -300 }),
                fresh: true,
            },
            {
                label: "+05:30 with a fraction, 10 min ahead",
                value: () => at(600, { offsetMinutes: 330, fraction: ".5" }),
                fresh: false,
            },
            {
                label: "-09:30 with a fraction, 3 h ahead",
                value: () => at(10800, { offsetMinutes: -570, fraction: ".000001" }),
                fresh: true,
            },
            {
                label: "lower-case t and z, 2 h ahead",
                value: () => at(7200).replace("T", "t").replace("Z", "z"),
                fresh: true,
            },
            { label: "1 h in the past", value: () => at(-3600), fresh: false },
            { label: "no time zone (not RFC 3339)", value: () => at(7200).slice(0, 19), fresh: false },
            { label: "annotation missing", value: () => null, fresh: false },
        ];
        for (let i = 0; i < STORED_TIMES.length; i += 2) {
            const [forToken, forRegistry] = [STORED_TIMES[i], STORED_TIMES[i + 1]];
            it(`stored expiry: token "${forToken.label}" / registry "${forRegistry.label}"`, async () => {
                const tokenValue = forToken.value();
                const registryValue = forRegistry.value();
                await kube.seed(tokenSecret(tokenAnswer(), tokenValue));
                await kube.seed(registrySecret(registryAnswer(), registryValue));
                await kube.seed(workerDeployment(IMAGE_B));
                answerAllValid(IMAGE_B);
                const r = await run();
                assert.equal(r.code, 0, show(r));
                const checks: [Step, { fresh: boolean }, string | null, string][] = [
                    ["token", forToken, tokenValue, "jwt-token"],
                    ["registry", forRegistry, registryValue, "dockerconfig"],
                ];
                for (const [step, c, value, secret] of checks) {
                    const line = r.stdoutLines.find((l) => l.startsWith(`${step}:`)) ?? "";
                    const written = r.writes.some((w) => w.name === secret);
                    if (c.fresh) {
                        assert.equal(line, `${step}: fresh until ${value}, skipped`);
                        assert.ok(!written, `${secret} must not be written`);
                    } else {
                        assert.match(line, new RegExp(`^${step}: refreshed \\(`));
                        assert.ok(written, `${secret} must be written`);
                    }
                }
            });
        }

        // --- SaaS failures: every step fails, the cause is named, nothing changes ---------------
        const all = (b: EndpointBehaviour): Record<Step, EndpointBehaviour> => ({ token: b, registry: b, image: b });
        interface FailureCase {
            name: string;
            behaviours: Record<Step, EndpointBehaviour>;
            expect: (step: Step, base: string) => RegExp;
            refused?: boolean;
            timeoutSeconds?: string;
            inspectArgv?: boolean;
        }
        const FAILURES: FailureCase[] = [
            ...[401, 403].map((status) => ({
                name: `HTTP ${status}`,
                behaviours: all({ status, body: { error: "nope" } }),
                expect: (s: Step, base: string) =>
                    new RegExp(
                        `^${s}: FAILED: the access key was rejected by ${base} \\(HTTP ${status} on ${API[s].method} ${escapeRe(API[s].path)}\\)$`,
                    ),
            })),
            {
                name: "HTTP 500",
                behaviours: all({ status: 500, body: "Internal Server Error" }),
                expect: (s, base) => new RegExp(`^${s}: FAILED: SaaS unavailable: ${url(s, base)} answered HTTP 500$`),
            },
            {
                name: "connection refused",
                behaviours: all({}),
                refused: true,
                expect: (s, base) => new RegExp(`^${s}: FAILED: SaaS unavailable: ${url(s, base)}: connection refused`),
            },
            {
                name: "token hangs past the 1 s timeout, registry closes the connection, image answers 404",
                behaviours: {
                    token: { hang: true },
                    registry: { close: true },
                    image: { status: 404, body: "no such thing" },
                },
                timeoutSeconds: "1",
                inspectArgv: true,
                expect: (s, base) =>
                    ({
                        token: new RegExp(
                            `^token: FAILED: SaaS unavailable: ${url("token", base)}: timeout, no complete answer within 1s`,
                        ),
                        registry: new RegExp(
                            `^registry: FAILED: SaaS unavailable: ${url("registry", base)}: the server closed the connection`,
                        ),
                        image: new RegExp(
                            `^image: FAILED: unexpected answer: ${url("image", base)} answered HTTP 404$`,
                        ),
                    })[s],
            },
            {
                name: "200 with a non-JSON body",
                behaviours: all({ body: "<html><body>Down for maintenance</body></html>" }),
                expect: (s, base) =>
                    new RegExp(`^${s}: FAILED: malformed answer from ${url(s, base)}: the answer is not JSON$`),
            },
            {
                name: "200 with JSON that is not an object",
                behaviours: all({ body: ["token", "expiresAt"] }),
                expect: (s, base) =>
                    new RegExp(
                        `^${s}: FAILED: malformed answer from ${url(s, base)}: the answer is not a JSON object$`,
                    ),
            },
        ];
        for (const c of FAILURES) {
            it(`SaaS failure, ${c.name}: each step fails naming the cause; nothing is changed`, async () => {
                await seedStale();
                for (const s of STEPS) answer(s, c.behaviours[s]);
                const base = c.refused ? `http://127.0.0.1:${await unusedPort()}` : saas.baseUrl;
                const argvSeen: string[] = [];
                if (c.inspectArgv) {
                    // While curl waits for the hung answer, read every process's argv (world-readable).
                    saas.onRequest = (req) => {
                        if (req.path !== API.token.path) return;
                        for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
                            try {
                                argvSeen.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
                            } catch {
                                // the process is gone
                            }
                        }
                    };
                }
                const before = await snapshot();
                const r = await run({ BACKLINE_BASE_URL: base, JANITOR_HTTP_TIMEOUT_SECONDS: c.timeoutSeconds ?? "2" });
                assert.equal(r.code, 1, show(r));
                assert.equal(r.stdout, "", "no step succeeded");
                const baseRe = escapeRe(base);
                for (const s of STEPS) {
                    const re = c.expect(s, baseRe);
                    assert.ok(
                        r.stderrLines.some((l) => re.test(l)),
                        `expected a line matching ${re}\n${show(r)}`,
                    );
                }
                assert.equal(
                    r.stderrLines[r.stderrLines.length - 1],
                    "janitor: 3 of 3 steps failed: token registry image",
                );
                assert.deepEqual(r.writes, []);
                await assertUnchanged(before);
                if (c.refused) assert.deepEqual(r.requests, []);
                if (c.timeoutSeconds) assert.ok(r.durationMs < 4000, `the timeout bounds the run (${r.durationMs} ms)`);
                if (c.inspectArgv) {
                    const curl = argvSeen.filter((a) => a.includes(API.token.path));
                    assert.ok(curl.length > 0, "curl was seen in /proc while it waited");
                    assert.ok(
                        !argvSeen.some((a) => a.includes(ACCESS_KEY)),
                        "the access key is in some process's argv",
                    );
                }
            });
        }

        // --- malformed answers: required fields missing or empty (table-driven) ----------------
        type FieldCase = { step: Step; field: string; mode: "missing" | "empty" };
        const fieldCases = (step: Step): FieldCase[] =>
            REQUIRED_FIELDS[step].flatMap((field) =>
                (["missing", "empty"] as const).map((mode) => ({ step, field, mode })),
            );
        const perStep = STEPS.map(fieldCases);
        const rows = Math.max(...perStep.map((c) => c.length));
        for (let i = 0; i < rows; i++) {
            const cases = perStep.map((c) => c[i]).filter((c): c is FieldCase => c !== undefined);
            it(`malformed answer: ${cases.map((c) => `${c.step} "${c.field}" ${c.mode}`).join(", ")}`, async () => {
                const broken = new Set(cases.map((c) => c.step));
                // Steps without a broken answer this row are fresh, so they neither ask nor write.
                await kube.seed(tokenSecret(tokenAnswer(), broken.has("token") ? at(60) : at(7200)));
                await kube.seed(registrySecret(registryAnswer(), broken.has("registry") ? at(60) : at(7200)));
                await kube.seed(workerDeployment(IMAGE_A));
                const valid: Record<Step, Record<string, unknown>> = {
                    token: { ...tokenAnswer() },
                    registry: { ...registryAnswer() },
                    image: { image: broken.has("image") ? IMAGE_B : IMAGE_A },
                };
                for (const c of cases) {
                    if (c.mode === "missing") delete valid[c.step][c.field];
                    else valid[c.step][c.field] = "";
                }
                for (const s of STEPS) answer(s, { body: valid[s] });
                const before = await snapshot();
                const r = await run();
                assert.equal(r.code, 1, show(r));
                for (const c of cases) {
                    const re = new RegExp(
                        `^${c.step}: FAILED: malformed answer from ${url(c.step, escapeRe(saas.baseUrl))}: field "${c.field}" is missing, empty or not a string$`,
                    );
                    assert.ok(
                        r.stderrLines.some((l) => re.test(l)),
                        `expected ${re}\n${show(r)}`,
                    );
                }
                assert.deepEqual(r.writes, []);
                await assertUnchanged(before);
            });
        }

        // --- malformed answers: unparseable expiresAt, image references that are not accepted --
        const BAD_VALUES: { token: unknown; registry: unknown; image: unknown }[] = [
            { token: "tomorrow", registry: "2026-02-30T10:00:00Z", image: "prod-worker:1.2.3" },
            {
                token: at(3600).slice(0, 19),
                registry: at(3600).replace(/T\d\d/, "T25"),
                image: `${REGISTRY}/prod-worker`,
            },
            {
                token: "1764072000",
                registry: at(3600).replace("Z", "+0200"),
                image: `${REGISTRY}/prod-worker@sha256:abc123`,
            },
            { token: 1764072000, registry: null, image: "library/nginx:1.27" },
            { token: `${at(3600)}\n`, registry: `${at(3600)} `, image: `${IMAGE_B}\n` },
        ];
        for (const bad of BAD_VALUES) {
            it(`malformed answer: expiresAt ${JSON.stringify(bad.token)} / ${JSON.stringify(bad.registry)}, image ${JSON.stringify(bad.image)}`, async () => {
                await seedStale();
                answer("token", { body: { ...tokenAnswer(), expiresAt: bad.token } });
                answer("registry", { body: { ...registryAnswer(), expiresAt: bad.registry } });
                answer("image", { body: { image: bad.image } });
                const before = await snapshot();
                const r = await run();
                assert.equal(r.code, 1, show(r));
                const baseRe = escapeRe(saas.baseUrl);
                for (const s of ["token", "registry"] as const) {
                    const notString = typeof bad[s] !== "string";
                    const re = new RegExp(
                        `^${s}: FAILED: malformed answer from ${url(s, baseRe)}: field "expiresAt" ${notString ? "is missing, empty or not a string" : "is not an RFC 3339 time"}`,
                    );
                    assert.ok(
                        r.stderrLines.some((l) => re.test(l)),
                        `expected ${re}\n${show(r)}`,
                    );
                }
                const imageRe = new RegExp(
                    `^image: FAILED: malformed answer from ${url("image", baseRe)}: field "image" is not <registry>/<name>:<tag>`,
                );
                assert.ok(
                    r.stderrLines.some((l) => imageRe.test(l)),
                    `expected ${imageRe}\n${show(r)}`,
                );
                assert.deepEqual(r.writes, []);
                await assertUnchanged(before);
            });
        }

        // --- partial failures -------------------------------------------------------------------
        it("one step failing does not stop the others: exit 1, the other writes happened", async () => {
            await seedStale();
            const { registry } = answerAllValid(IMAGE_B);
            answer("token", { status: 502, body: "Bad Gateway" });
            const before = await snapshot();
            const r = await run();
            assert.equal(r.code, 1, show(r));
            assert.deepEqual(r.stderrLines, [
                `token: FAILED: SaaS unavailable: POST ${saas.baseUrl}${API.token.path} answered HTTP 502`,
                "janitor: 1 of 3 steps failed: token",
            ]);
            assert.match(
                r.stdoutLines[0],
                /^registry: refreshed \(expires at .*, within the 900s refresh window\), valid until /,
            );
            assert.equal(r.stdoutLines[1], `image: updated worker from ${IMAGE_A} to ${IMAGE_B}`);
            assert.deepEqual(
                r.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
                ["apply secrets/dockerconfig", "patch deployments/worker"],
            );
            const dc = await kube.get("Secret", "dockerconfig");
            assert.equal(unb64(dataOf(dc)[".dockerconfigjson"]), dockerConfigJson(registry));
            await assertUnchanged(before, ["Secret/jwt-token"]);
        });

        it("the Deployment lacks the worker container: the image step fails, the others succeed", async () => {
            await seedStale();
            await kube.seed(workerDeployment(IMAGE_A, "worker", "app"));
            answerAllValid(IMAGE_B);
            const before = await snapshot();
            const r = await run();
            assert.equal(r.code, 1, show(r));
            assert.deepEqual(r.stderrLines, [
                "image: FAILED: Deployment worker has no container named worker",
                "janitor: 1 of 3 steps failed: image",
            ]);
            assert.deepEqual(
                r.writes.map((w) => w.name),
                ["jwt-token", "dockerconfig"],
            );
            await assertUnchanged(before, ["Deployment/worker"]);
        });

        it("a failed Secret write is reported with secret material redacted; the other step still writes", async function () {
            const failEnv = await kube.failWritesEnv([
                { verb: "apply", resource: "secrets", name: "jwt-token" },
                { verb: "apply", resource: "secrets", name: "dockerconfig" },
            ]);
            if (!failEnv) this.skip();
            await seedStale();
            answerAllValid(IMAGE_B);
            const before = await snapshot();
            const r = await run(failEnv);
            assert.equal(r.code, 1, show(r));
            for (const [step, secret] of [
                ["token", "jwt-token"],
                ["registry", "dockerconfig"],
            ]) {
                const line = r.stderrLines.find((l) =>
                    l.startsWith(`${step}: FAILED: could not write Secret ${secret}: `),
                );
                assert.ok(line, show(r));
                assert.match(line, /simulated failure/);
                assert.match(line, /\[redacted\]/, "the quoted request body had its secret values cut out");
            }
            assert.equal(r.stdoutLines[0], `image: updated worker from ${IMAGE_A} to ${IMAGE_B}`);
            await assertUnchanged(before, ["Secret/jwt-token", "Secret/dockerconfig"]);
        });

        // --- configuration errors -----------------------------------------------------------
        const BAD_ENV: [string, string | undefined][] = [
            ["BACKLINE_BASE_URL", undefined],
            ["BACKLINE_BASE_URL", "ftp://app.backline.ai"],
            ["BACKLINE_BASE_URL", "app.backline.ai"],
            ["BACKLINE_BASE_URL", "https://user:pass@app.backline.ai"],
            ["BACKLINE_ACCESS_KEY", undefined],
            ["BACKLINE_ACCESS_KEY", `${ACCESS_KEY}\nX-Injected: 1`],
            ["JANITOR_NAMESPACE", undefined],
            ["JANITOR_NAMESPACE", "Backline_NS"],
            ["JANITOR_NAMESPACE", "n".repeat(64)],
            ["JANITOR_REFRESH_WINDOW_SECONDS", "abc"],
            ["JANITOR_REFRESH_WINDOW_SECONDS", "0"],
            ["JANITOR_REFRESH_WINDOW_SECONDS", "-5"],
            ["JANITOR_HTTP_TIMEOUT_SECONDS", "1.5"],
            ["JANITOR_HTTP_TIMEOUT_SECONDS", "ten"],
            ["JANITOR_UPDATE_WORKER_IMAGE", "yes"],
            ["JANITOR_UPDATE_WORKER_IMAGE", "TRUE"],
            ["JANITOR_JWT_SECRET", "jwt token"],
            ["JANITOR_DOCKERCONFIG_SECRET", "-dockerconfig"],
            ["JANITOR_WORKER_DEPLOYMENT", "apps/worker"],
            ["JANITOR_WORKER_CONTAINER", "worker.main"],
        ];
        it("bad configuration exits 2 naming the variable, before any request or kubectl call", async () => {
            await seedStale();
            answerAllValid(IMAGE_B);
            for (const [name, value] of BAD_ENV) {
                const r = await run({ [name]: value });
                const what = `${name}=${JSON.stringify(value)}`;
                assert.equal(r.code, 2, `${what}\n${show(r)}`);
                assert.equal(r.stdout, "", what);
                assert.match(r.stderr, new RegExp(`^janitor: invalid configuration: .*\\b${name}\\b`), what);
                assert.ok(!r.stderr.includes(ACCESS_KEY), `${what}: the access key is printed`);
                assert.ok(!r.stderr.includes("user:pass"), `${what}: credentials in the URL are printed`);
                assert.deepEqual(r.requests, [], what);
                assert.deepEqual(r.calls ?? [], [], what);
            }
            assert.deepEqual(await kube.writes(), []);
        });

        // --- hostile or broken answers: size, bytes, bounds, echoes (issue 16) ----------------
        const suite: JanitorSuite = {
            get saas() {
                return saas;
            },
            get kube() {
                return kube;
            },
            answer,
            url,
            run,
            snapshot,
            assertUnchanged,
            seedFresh,
            seedStale,
        };
        describeHostileAnswerCases(suite);
        // --- behind a proxy, with a private CA and a registry mirror (issue 12) ---------------
        describeSiteCases(suite);
    });
}
