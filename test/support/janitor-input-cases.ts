/**
 * What the janitor refuses to act on, registered by describeJanitorSuite for every backend: SaaS
 * answers with a required field missing, empty or of the wrong type, unparseable expiry times and
 * image references it does not accept (nothing is written), and bad configuration (exit 2 naming
 * the variable, before any request or kubectl call, never printing a secret).
 */
import { strict as assert } from "node:assert";

import {
    ACCESS_KEY,
    IMAGE_A,
    IMAGE_B,
    REGISTRY,
    REQUIRED_FIELDS,
    STEPS,
    Step,
    at,
    escapeRe,
    registryAnswer,
    registrySecret,
    show,
    tokenAnswer,
    tokenSecret,
    workerDeployment,
} from "./janitor-fixtures";
import { JanitorCaseSuite } from "./janitor-suite";

/** Answers that parse as JSON but are not what the contract promises. */
export function describeMalformedAnswerCases(t: JanitorCaseSuite): void {
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
            await t.kube.seed(tokenSecret(tokenAnswer(), broken.has("token") ? at(60) : at(7200)));
            await t.kube.seed(registrySecret(registryAnswer(), broken.has("registry") ? at(60) : at(7200)));
            await t.kube.seed(workerDeployment(IMAGE_A));
            const valid: Record<Step, Record<string, unknown>> = {
                token: { ...tokenAnswer() },
                registry: { ...registryAnswer() },
                image: { image: broken.has("image") ? IMAGE_B : IMAGE_A },
            };
            for (const c of cases) {
                if (c.mode === "missing") delete valid[c.step][c.field];
                else valid[c.step][c.field] = "";
            }
            for (const s of STEPS) t.answer(s, { body: valid[s] });
            const before = await t.snapshot();
            const r = await t.run();
            assert.equal(r.code, 1, show(r));
            for (const c of cases) {
                const re = new RegExp(
                    `^${c.step}: FAILED: malformed answer from ${t.url(c.step, escapeRe(t.saas.baseUrl))}: field "${c.field}" is missing, empty or not a string$`,
                );
                assert.ok(
                    r.stderrLines.some((l) => re.test(l)),
                    `expected ${re}\n${show(r)}`,
                );
            }
            assert.deepEqual(r.writes, []);
            await t.assertUnchanged(before);
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
            await t.seedStale();
            t.answer("token", { body: { ...tokenAnswer(), expiresAt: bad.token } });
            t.answer("registry", { body: { ...registryAnswer(), expiresAt: bad.registry } });
            t.answer("image", { body: { image: bad.image } });
            const before = await t.snapshot();
            const r = await t.run();
            assert.equal(r.code, 1, show(r));
            const baseRe = escapeRe(t.saas.baseUrl);
            for (const s of ["token", "registry"] as const) {
                const notString = typeof bad[s] !== "string";
                const re = new RegExp(
                    `^${s}: FAILED: malformed answer from ${t.url(s, baseRe)}: field "expiresAt" ${notString ? "is missing, empty or not a string" : "is not an RFC 3339 time"}`,
                );
                assert.ok(
                    r.stderrLines.some((l) => re.test(l)),
                    `expected ${re}\n${show(r)}`,
                );
            }
            const imageRe = new RegExp(
                `^image: FAILED: malformed answer from ${t.url("image", baseRe)}: field "image" is not <registry>/<name>:<tag>`,
            );
            assert.ok(
                r.stderrLines.some((l) => imageRe.test(l)),
                `expected ${imageRe}\n${show(r)}`,
            );
            assert.deepEqual(r.writes, []);
            await t.assertUnchanged(before);
        });
    }
}

/** Environment variables the janitor rejects before doing anything. */
export function describeConfigurationCases(t: JanitorCaseSuite): void {
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
        await t.seedStale();
        t.answerAllValid(IMAGE_B);
        for (const [name, value] of BAD_ENV) {
            const r = await t.run({ [name]: value });
            const what = `${name}=${JSON.stringify(value)}`;
            assert.equal(r.code, 2, `${what}\n${show(r)}`);
            assert.equal(r.stdout, "", what);
            assert.match(r.stderr, new RegExp(`^janitor: invalid configuration: .*\\b${name}\\b`), what);
            assert.ok(!r.stderr.includes(ACCESS_KEY), `${what}: the access key is printed`);
            assert.ok(!r.stderr.includes("user:pass"), `${what}: credentials in the URL are printed`);
            assert.deepEqual(r.requests, [], what);
            assert.deepEqual(r.calls ?? [], [], what);
        }
        assert.deepEqual(await t.kube.writes(), []);
    });
}
