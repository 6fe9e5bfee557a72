/**
 * What a hostile or broken SaaS (or API server) may send the janitor, registered by
 * describeJanitorSuite for every backend, so each case runs against the kubectl stand-in (npm run test:janitor)
 * and against the real kube-apiserver:
 *
 * - the 1 MiB cap holds whatever curl's version: every endpoint, chunked and with a Content-Length;
 * - an answer with a NUL byte, or that is not valid UTF-8, is refused (not stored rewritten);
 *   valid UTF-8 beyond ASCII is stored byte for byte;
 * - the image reference and expiresAt are bounded before any string work, and a 1 MiB value is
 *   refused in well under a second or two (it took minutes when bash split it quadratically);
 * - an error that echoes the secrets JSON-escaped is redacted in every form.
 */
import { strict as assert } from "node:assert";

import {
    API,
    IMAGE_A,
    IMAGE_B,
    JanitorSuite,
    REGISTRY,
    RegistryAnswer,
    Run,
    STEPS,
    Step,
    TokenAnswer,
    addSecret,
    at,
    b64,
    containerImage,
    dataOf,
    dockerConfigJson,
    escapeRe,
    registryAnswer,
    secretValue,
    show,
    tokenAnswer,
    unb64,
} from "./janitor-fixtures";

/** MAX_ANSWER_BYTES in janitor/janitor.sh. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Where bytesAnswer() puts its raw bytes. */
const MARK = "%BYTES%";

/** `fields` as compact JSON with a "padding" member (ignored by the janitor) first, exactly `bytes` long. */
function padded(fields: object, bytes: number): Buffer {
    const missing = bytes - Buffer.byteLength(JSON.stringify({ padding: "", ...fields }));
    if (missing < 0) throw new Error(`cannot pad ${JSON.stringify(fields)} to ${bytes} bytes`);
    return Buffer.from(JSON.stringify({ padding: "x".repeat(missing), ...fields }));
}

/** The JSON text of `fields` (or of `text`) with MARK replaced by raw bytes. */
function bytesAnswer(fields: object | string, raw: Buffer): Buffer {
    const text = typeof fields === "string" ? fields : JSON.stringify(fields);
    const at = text.indexOf(MARK);
    if (at < 0) throw new Error(`no ${MARK} in ${text}`);
    return Buffer.concat([Buffer.from(text.slice(0, at)), raw, Buffer.from(text.slice(at + MARK.length))]);
}

/** An image reference whose name (registry included) has `nameLength` characters. */
function imageWithName(nameLength: number, suffix: string): string {
    const registry = "registry.example.com/";
    return `${registry}${"w".repeat(nameLength - registry.length)}${suffix}`;
}
const TAG_128 = `:v${"1".repeat(127)}`;
const DIGEST = `@sha256:${"0123456789abcdef".repeat(4)}`;

export function describeHostileAnswerCases(t: JanitorSuite): void {
    const base = (): string => escapeRe(t.saas.baseUrl);
    const malformed = (step: Step, problem: string): RegExp =>
        new RegExp(`^${step}: FAILED: malformed answer from ${t.url(step, base())}: ${problem}`);
    function assertLines(r: Run, res: RegExp[]): void {
        for (const re of res)
            assert.ok(
                r.stderrLines.some((l) => re.test(l)),
                `expected a line matching ${re}\n${show(r)}`,
            );
    }

    /** Every step would write; the SaaS answers `answers`; the run must fail each step, change nothing. */
    async function expectAllRefused(
        answers: Record<Step, Buffer>,
        problems: Record<Step, string>,
        chunked = false,
    ): Promise<Run> {
        await t.seedStale();
        for (const s of STEPS) t.answer(s, { body: answers[s], chunked });
        const before = await t.snapshot();
        const r = await t.run();
        assert.equal(r.code, 1, show(r));
        assert.equal(r.stdout, "", "no step succeeded");
        assertLines(
            r,
            STEPS.map((s) => malformed(s, problems[s])),
        );
        assert.equal(r.stderrLines[r.stderrLines.length - 1], "janitor: 3 of 3 steps failed: token registry image");
        assert.deepEqual(r.writes, []);
        await t.assertUnchanged(before);
        return r;
    }
    /** Each endpoint was asked once and answered `bytes` bytes, chunked or not (the fake really did). */
    function assertAnswered(r: Run, bytes: number, chunked: boolean): void {
        for (const s of STEPS) {
            const asked = r.requests.filter((q) => q.method === API[s].method && q.path === API[s].path);
            assert.deepEqual(
                asked.map((q) => q.answer),
                [{ bytes, chunked }],
                `${s}: one request, answered ${bytes} bytes ${chunked ? "chunked" : "with a Content-Length"}`,
            );
        }
    }

    // --- the 1 MiB cap: every endpoint, chunked and with a Content-Length --------------------
    const FORMS = [
        { label: "chunked (no Content-Length)", chunked: true },
        { label: "with a Content-Length", chunked: false },
    ];
    for (const form of FORMS) {
        it(`an answer of exactly 1 MiB, ${form.label}, is accepted on every endpoint`, async () => {
            await t.seedStale();
            const token = tokenAnswer();
            const registry = registryAnswer();
            t.answer("token", { body: padded(token, MAX_ANSWER_BYTES), chunked: form.chunked });
            t.answer("registry", { body: padded(registry, MAX_ANSWER_BYTES), chunked: form.chunked });
            t.answer("image", { body: padded({ image: IMAGE_B }, MAX_ANSWER_BYTES), chunked: form.chunked });
            const r = await t.run();
            assert.equal(r.code, 0, show(r));
            assert.equal(r.stderr, "");
            assert.deepEqual(
                r.writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
                ["apply secrets/jwt-token", "apply secrets/dockerconfig", "patch deployments/worker"],
            );
            assert.equal(unb64(dataOf(await t.kube.get("Secret", "jwt-token")).token), token.token);
            const dc = await t.kube.get("Secret", "dockerconfig");
            assert.equal(unb64(dataOf(dc)[".dockerconfigjson"]), dockerConfigJson(registry));
            assert.equal(containerImage(await t.kube.get("Deployment", "worker")), IMAGE_B);
            assertAnswered(r, MAX_ANSWER_BYTES, form.chunked);
        });
        for (const bytes of [MAX_ANSWER_BYTES + 1, 2 * MAX_ANSWER_BYTES]) {
            const size = bytes === MAX_ANSWER_BYTES + 1 ? "1 MiB + 1 byte" : "2 MiB";
            it(`an answer of ${size}, ${form.label}, is refused on every endpoint, whatever curl's version`, async () => {
                const body = (fields: object): Buffer => padded(fields, bytes);
                const r = await expectAllRefused(
                    { token: body(tokenAnswer()), registry: body(registryAnswer()), image: body({ image: IMAGE_B }) },
                    {
                        token: "the answer is larger than 1048576 bytes$",
                        registry: "the answer is larger than 1048576 bytes$",
                        image: "the answer is larger than 1048576 bytes$",
                    },
                    form.chunked,
                );
                assertAnswered(r, bytes, form.chunked);
            });
        }
    }

    it("an error answer larger than 1 MiB is reported by its status, chunked or with a Content-Length", async () => {
        await t.seedStale();
        const big = Buffer.alloc(2 * MAX_ANSWER_BYTES, 0x61);
        t.answer("token", { status: 401, body: big, chunked: true });
        t.answer("registry", { status: 503, body: big });
        t.answer("image", { status: 404, body: big, chunked: true });
        const before = await t.snapshot();
        const r = await t.run();
        assert.equal(r.code, 1, show(r));
        assert.deepEqual(r.stderrLines, [
            `token: FAILED: the access key was rejected by ${t.saas.baseUrl} (HTTP 401 on POST ${API.token.path})`,
            `registry: FAILED: SaaS unavailable: GET ${t.saas.baseUrl}${API.registry.path} answered HTTP 503`,
            `image: FAILED: unexpected answer: GET ${t.saas.baseUrl}${API.image.path} answered HTTP 404`,
            "janitor: 3 of 3 steps failed: token registry image",
        ]);
        assert.deepEqual(r.writes, []);
        await t.assertUnchanged(before);
    });

    // --- bytes: NUL and invalid UTF-8 are refused; valid UTF-8 is stored as sent ---------------
    const NUL = Buffer.from([0]);
    const BYTE_CASES: { label: string; problem: string; answers: () => Record<Step, Buffer> }[] = [
        {
            label: "with a NUL byte is refused (not stored without it)",
            problem: "the answer contains a NUL byte",
            answers: () => ({
                token: bytesAnswer({ ...tokenAnswer(), token: `abc${MARK}def` }, NUL),
                registry: bytesAnswer({ ...registryAnswer(), password: `pw${MARK}x` }, NUL),
                image: bytesAnswer(`${JSON.stringify({ image: IMAGE_B })}${MARK}`, NUL),
            }),
        },
        {
            // 0xFF 0xFE: never UTF-8; ED A0 80: a UTF-16 surrogate encoded (CESU-8); C0 AF: overlong "/".
            label: "that is not valid UTF-8 is refused (not stored rewritten)",
            problem: "the answer is not valid UTF-8",
            answers: () => ({
                token: bytesAnswer({ ...tokenAnswer(), token: `abc${MARK}` }, Buffer.from([0xff, 0xfe])),
                registry: bytesAnswer({ ...registryAnswer(), password: `pw${MARK}` }, Buffer.from([0xed, 0xa0, 0x80])),
                image: bytesAnswer({ image: `${REGISTRY}${MARK}prod-worker:1` }, Buffer.from([0xc0, 0xaf])),
            }),
        },
    ];
    for (const form of FORMS) {
        for (const c of BYTE_CASES) {
            it(`an answer ${c.label}, ${form.label}`, async () => {
                const problem = `${c.problem}$`;
                const r = await expectAllRefused(
                    c.answers(),
                    { token: problem, registry: problem, image: problem },
                    form.chunked,
                );
                assert.deepEqual(
                    r.requests.map((q) => q.answer?.chunked),
                    [form.chunked, form.chunked, form.chunked],
                );
            });
        }
    }

    it("valid UTF-8 beyond ASCII (é, U+FFFD itself, an emoji) is stored byte for byte", async () => {
        await t.seedStale();
        const token: TokenAnswer = { token: secretValue("jwt-é-\uFFFD-😀"), expiresAt: at(3600) };
        const registry: RegistryAnswer = { ...registryAnswer(), password: secretValue("pw-ü-\uFFFD-😀") };
        addSecret(b64(`${registry.username}:${registry.password}`));
        addSecret(b64(dockerConfigJson(registry)));
        t.answer("token", { body: token, chunked: true });
        t.answer("registry", { body: registry });
        t.answer("image", { body: { image: IMAGE_A } });
        const r = await t.run();
        assert.equal(r.code, 0, show(r));
        const stored = Buffer.from(dataOf(await t.kube.get("Secret", "jwt-token")).token, "base64");
        assert.ok(stored.equals(Buffer.from(token.token, "utf8")), `stored token bytes ${stored.toString("hex")}`);
        const dc = Buffer.from(dataOf(await t.kube.get("Secret", "dockerconfig"))[".dockerconfigjson"], "base64");
        assert.ok(
            dc.equals(Buffer.from(dockerConfigJson(registry), "utf8")),
            `stored .dockerconfigjson ${dc.toString()}`,
        );
    });

    // --- bounds before any string work: 1 MiB values, registry limits ------------------------
    it("1 MiB image and expiresAt values are refused by their bounds, in linear time", async () => {
        const t0 = Date.now();
        /** `fields` with MARK (in one value) replaced by as many zeros as make the answer 1 MiB. */
        const fill = (fields: object): Buffer => {
            const text = JSON.stringify(fields);
            return Buffer.from(
                text.replace(MARK, "0".repeat(MAX_ANSWER_BYTES - Buffer.byteLength(text) + MARK.length)),
            );
        };
        const longTime = `${at(3600).slice(0, 19)}.${MARK}Z`;
        const answers = {
            token: fill({ ...tokenAnswer(), expiresAt: longTime }),
            registry: fill({ ...registryAnswer(), expiresAt: longTime }),
            image: fill({ image: `registry.example.com/w${MARK}:v1` }),
        };
        for (const s of STEPS) assert.equal(answers[s].length, MAX_ANSWER_BYTES, `${s} answer size`);
        const imageLength = MAX_ANSWER_BYTES - Buffer.byteLength('{"image":""}');
        const { durationMs: ms } = await expectAllRefused(answers, {
            token: 'field "expiresAt" is not an RFC 3339 time \\("\\d{4}-',
            registry: 'field "expiresAt" is not an RFC 3339 time \\("\\d{4}-',
            image: `field "image" is ${imageLength} characters long; a registry accepts at most 384 \\(name 255, tag 128\\) \\("registry\\.example\\.com/w0+"…\\)$`,
        });
        // Measured about 0.3 s with the stand-in (jq 1.6, 2 loaded cores); bash's quadratic
        // split took minutes. The bound is generous for a loaded machine.
        assert.ok(ms < 6000, `the run took ${ms} ms`);
        console.log(
            `      (3 answers of 1 MiB refused by their bounds in ${ms.toFixed(0)} ms; case ${Date.now() - t0} ms)`,
        );
    });

    const IMAGES: { label: string; image: string; problem?: string }[] = [
        { label: "name of 255 characters and tag of 128 (384 in all)", image: imageWithName(255, TAG_128) },
        { label: "name of 255 characters, digest form", image: imageWithName(255, DIGEST) },
        {
            label: "name of 256 characters",
            image: imageWithName(256, ":v1"),
            problem: "has a name of 256 characters; a registry accepts at most 255",
        },
        {
            label: "385 characters in all",
            image: imageWithName(256, TAG_128),
            problem: "is 385 characters long; a registry accepts at most 384 (name 255, tag 128)",
        },
        {
            label: "tag of 129 characters",
            image: imageWithName(100, `${TAG_128}1`),
            problem: "is not <registry>/<name>:<tag> or <registry>/<name>@sha256:<digest>",
        },
        {
            label: "digest of 65 hex digits",
            image: imageWithName(100, `${DIGEST}0`),
            problem: "is not <registry>/<name>:<tag> or <registry>/<name>@sha256:<digest>",
        },
    ];
    for (const c of IMAGES) {
        it(`image reference at a registry's limits: ${c.label} is ${c.problem ? "refused" : "accepted"}`, async () => {
            await t.seedFresh(IMAGE_A);
            t.answer("image", { body: { image: c.image } });
            const before = await t.snapshot();
            const r = await t.run();
            if (c.problem === undefined) {
                assert.equal(r.code, 0, show(r));
                assert.equal(r.stdoutLines[2], `image: updated worker from ${IMAGE_A} to ${c.image}`);
                assert.equal(containerImage(await t.kube.get("Deployment", "worker")), c.image);
                return;
            }
            assert.equal(r.code, 1, show(r));
            const excerpt = `${JSON.stringify(c.image.slice(0, 200))}${c.image.length > 200 ? "…" : ""}`;
            assert.deepEqual(r.stderrLines, [
                `image: FAILED: malformed answer from GET ${t.saas.baseUrl}${API.image.path}: field "image" ${c.problem} (${excerpt})`,
                "janitor: 1 of 3 steps failed: image",
            ]);
            assert.deepEqual(r.writes, []);
            await t.assertUnchanged(before);
        });
    }

    it("expiresAt of 64 characters is accepted, of 65 refused (RFC 3339 bounds no fraction)", async () => {
        await t.seedStale();
        const time = (length: number): string => `${at(3600).slice(0, 19)}.${"5".repeat(length - 21)}Z`;
        const token = { ...tokenAnswer(), expiresAt: time(64) };
        const registry = { ...registryAnswer(), expiresAt: time(65) };
        t.answer("token", { body: token });
        t.answer("registry", { body: registry });
        t.answer("image", { body: { image: IMAGE_A } });
        const before = await t.snapshot();
        const r = await t.run();
        assert.equal(r.code, 1, show(r));
        assert.match(
            r.stdoutLines[0] ?? "",
            new RegExp(`^token: refreshed \\(.*\\), valid until ${escapeRe(token.expiresAt)}$`),
        );
        assertLines(r, [
            malformed(
                "registry",
                `field "expiresAt" is not an RFC 3339 time \\(${escapeRe(JSON.stringify(registry.expiresAt))}\\)$`,
            ),
        ]);
        assert.equal(
            (await t.kube.get("Secret", "jwt-token"))?.object.metadata.annotations?.["backline.ai/expires-at"],
            token.expiresAt,
        );
        await t.assertUnchanged(before, ["Secret/dockerconfig", "Deployment/worker"]);
    });

    // --- redaction: an error that quotes the secrets JSON-escaped -----------------------------
    it("a denied Secret write whose error quotes the secrets JSON-escaped is redacted in every form", async function () {
        const failEnv = await t.kube.failWritesEnv([
            { verb: "apply", resource: "secrets", name: "jwt-token" },
            { verb: "apply", resource: "secrets", name: "dockerconfig" },
        ]);
        if (!failEnv) this.skip();
        await t.seedStale();
        // Quotes and backslashes change under JSON escaping; é does not (jq and JSON.stringify agree).
        const token: TokenAnswer = { token: secretValue('jwt"q\\é'), expiresAt: at(3600) };
        const registry: RegistryAnswer = { ...registryAnswer(), password: secretValue('pw"X\\x-é') };
        addSecret(b64(`${registry.username}:${registry.password}`));
        addSecret(b64(dockerConfigJson(registry)));
        t.answer("token", { body: token });
        t.answer("registry", { body: registry });
        t.answer("image", { body: { image: IMAGE_A } });
        const before = await t.snapshot();
        const r = await t.run(failEnv); // the suite's invariant: no line holds any form of a secret
        assert.equal(r.code, 1, show(r));
        const lines: [Step, string, string][] = [
            ["token", "jwt-token", 'token="[redacted]"'],
            ["registry", "dockerconfig", 'password="[redacted]"'],
        ];
        for (const [step, secret, echo] of lines) {
            const line = r.stderrLines.find((l) => l.startsWith(`${step}: FAILED: could not write Secret ${secret}: `));
            assert.ok(line, show(r));
            assert.match(line, /simulated failure/);
            // The backend did echo it JSON-quoted, and that echo was cut out.
            assert.ok(line.includes(echo), `expected ${echo} in\n${line}`);
        }
        await t.assertUnchanged(before);
    });
}
