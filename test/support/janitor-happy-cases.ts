/**
 * The janitor's happy paths, registered by describeJanitorSuite for every backend: what a first run
 * creates (exactly, down to the kubectl argv the RBAC Role is derived from), that the steady state
 * costs one SaaS request and no write, and when each step does and does not write — including
 * stored expiry times in every RFC 3339 form, where a misread offset would refresh too early or
 * too late.
 */
import { strict as assert } from "node:assert";

import {
    API,
    IMAGE_A,
    IMAGE_B,
    IMAGE_C,
    REGISTRY,
    SIDECAR,
    STEPS,
    Step,
    at,
    b64,
    containerImage,
    dataOf,
    dockerConfigJson,
    registryAnswer,
    registrySecret,
    show,
    tokenAnswer,
    tokenSecret,
    unb64,
    workerDeployment,
} from "./janitor-fixtures";
import { JanitorCaseSuite } from "./janitor-suite";

/** First run, steady state, refresh window, image roll-out, pinned image, custom names. */
export function describeHappyPathCases(t: JanitorCaseSuite): void {
    // --- the happy paths ------------------------------------------------------------------
    it("first run: creates both secrets exactly as specified and sets the worker image", async () => {
        await t.kube.seed(workerDeployment(IMAGE_A));
        const { token, registry } = t.answerAllValid(IMAGE_B);
        const r = await t.run({ BACKLINE_BASE_URL: `${t.saas.baseUrl}/` }); // a trailing slash is tolerated
        assert.equal(r.code, 0, show(r));
        assert.deepEqual(r.stdoutLines, [
            `token: refreshed (Secret jwt-token is missing), valid until ${token.expiresAt}`,
            `registry: refreshed (Secret dockerconfig is missing), valid until ${registry.expiresAt}`,
            `image: updated worker from ${IMAGE_A} to ${IMAGE_B}`,
        ]);
        assert.equal(r.stderr, "");

        const jwt = await t.kube.get("Secret", "jwt-token");
        assert.equal(jwt?.object.type, "Opaque");
        assert.deepEqual(Object.keys(dataOf(jwt)), ["token"]);
        assert.equal(unb64(dataOf(jwt).token), token.token);
        assert.equal(jwt?.object.metadata.annotations?.["backline.ai/expires-at"], token.expiresAt);
        assert.equal(jwt?.object.metadata.labels?.["app.kubernetes.io/managed-by"], "backline-janitor");

        const dc = await t.kube.get("Secret", "dockerconfig");
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

        const worker = await t.kube.get("Deployment", "worker");
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
            const NS = t.kube.namespace;
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
        await t.kube.seed(workerDeployment(IMAGE_A));
        const { token, registry } = t.answerAllValid(IMAGE_B);
        assert.equal((await t.run()).code, 0);
        const before = await t.snapshot();

        const r = await t.run();
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
        await t.assertUnchanged(before);
    });

    it("a token near expiry is refreshed and nothing else changes (the window is configurable)", async () => {
        const { registry } = await t.seedFresh(IMAGE_B);
        const old = tokenAnswer(at(300));
        await t.kube.seed(tokenSecret(old));
        const { token } = t.answerAllValid(IMAGE_B);
        const before = await t.snapshot();

        const narrow = await t.run({ JANITOR_REFRESH_WINDOW_SECONDS: "60" });
        assert.equal(narrow.code, 0, show(narrow));
        assert.equal(narrow.stdoutLines[0], `token: fresh until ${old.expiresAt}, skipped`);
        assert.deepEqual(narrow.writes, []);

        const r = await t.run();
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
        const jwt = await t.kube.get("Secret", "jwt-token");
        assert.equal(unb64(dataOf(jwt).token), token.token);
        assert.equal(jwt?.object.metadata.annotations?.["backline.ai/expires-at"], token.expiresAt);
        assert.notEqual(jwt?.resourceVersion, before.get("Secret/jwt-token")?.resourceVersion);
        await t.assertUnchanged(before, ["Secret/dockerconfig", "Deployment/worker"]);
    });

    it("a new worker image (digest form) rolls out exactly once", async () => {
        await t.seedFresh(IMAGE_B);
        t.answerAllValid(IMAGE_C);
        const before = await t.snapshot();
        const first = await t.run();
        assert.equal(first.code, 0, show(first));
        assert.equal(first.stdoutLines[2], `image: updated worker from ${IMAGE_B} to ${IMAGE_C}`);
        assert.deepEqual(
            first.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
            ["patch deployments/worker"],
        );
        assert.equal(containerImage(await t.kube.get("Deployment", "worker")), IMAGE_C);
        await t.assertUnchanged(before, ["Secret/jwt-token", "Secret/dockerconfig"]);

        const second = await t.run();
        assert.equal(second.code, 0, show(second));
        assert.equal(second.stdoutLines[2], `image: worker already runs ${IMAGE_C}, skipped`);
        assert.deepEqual(second.writes, []);
    });

    it("pinned image (JANITOR_UPDATE_WORKER_IMAGE=false): no image request, Deployment untouched", async () => {
        await t.seedFresh(IMAGE_A);
        t.answerAllValid(IMAGE_B);
        const before = await t.snapshot();
        const r = await t.run({ JANITOR_UPDATE_WORKER_IMAGE: "false" });
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stdoutLines[2], "image: automatic updates off (pinned), skipped");
        assert.deepEqual(r.requests, []);
        assert.deepEqual(r.writes, []);
        await t.assertUnchanged(before);
    });

    it("no worker Deployment yet: the image step is skipped and counts as a success", async () => {
        const fresh = await t.seedFresh();
        await t.kube.reset();
        await t.kube.seed(tokenSecret(fresh.token));
        await t.kube.seed(registrySecret(fresh.registry));
        t.answerAllValid(IMAGE_B);
        const r = await t.run();
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stdoutLines[2], "image: deployment worker not found, skipped");
        assert.deepEqual(r.requests, []);
        assert.deepEqual(r.writes, []);
    });

    it("custom object names from the environment are used everywhere", async () => {
        await t.kube.seed(workerDeployment(IMAGE_A, "acme-worker", "app"));
        const { token } = t.answerAllValid(IMAGE_B);
        const r = await t.run({
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
        assert.equal(unb64(dataOf(await t.kube.get("Secret", "acme-jwt")).token), token.token);
        assert.equal((await t.kube.get("Secret", "acme-pull"))?.object.type, "kubernetes.io/dockerconfigjson");
        assert.equal(containerImage(await t.kube.get("Deployment", "acme-worker"), "app"), IMAGE_B);
    });
}

/** Stored expiry annotations: RFC 3339 forms (offsets, fractions, case) and unreadable ones. */
export function describeStoredExpiryCases(t: JanitorCaseSuite): void {
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
            await t.kube.seed(tokenSecret(tokenAnswer(), tokenValue));
            await t.kube.seed(registrySecret(registryAnswer(), registryValue));
            await t.kube.seed(workerDeployment(IMAGE_B));
            t.answerAllValid(IMAGE_B);
            const r = await t.run();
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
}
