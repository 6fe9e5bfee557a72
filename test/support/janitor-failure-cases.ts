/**
 * The janitor when the SaaS or the cluster fails, registered by describeJanitorSuite for every
 * backend: a failing step names its cause (rejected key, HTTP error, refused or closed connection,
 * timeout, non-JSON answer) and changes nothing, the access key never reaches a process's argv,
 * and one failing step does not stop the others from doing their work.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";

import { EndpointBehaviour, unusedPort } from "./fake-saas";

import {
    ACCESS_KEY,
    API,
    IMAGE_A,
    IMAGE_B,
    STEPS,
    Step,
    dataOf,
    dockerConfigJson,
    escapeRe,
    show,
    unb64,
    workerDeployment,
} from "./janitor-fixtures";
import { JanitorCaseSuite } from "./janitor-suite";

/** Every step fails the same way (or each its own way); the cause is named, nothing changes. */
export function describeSaasFailureCases(t: JanitorCaseSuite): void {
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
            expect: (s, base) => new RegExp(`^${s}: FAILED: SaaS unavailable: ${t.url(s, base)} answered HTTP 500$`),
        },
        {
            name: "connection refused",
            behaviours: all({}),
            refused: true,
            expect: (s, base) => new RegExp(`^${s}: FAILED: SaaS unavailable: ${t.url(s, base)}: connection refused`),
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
                        `^token: FAILED: SaaS unavailable: ${t.url("token", base)}: timeout, no complete answer within 1s`,
                    ),
                    registry: new RegExp(
                        `^registry: FAILED: SaaS unavailable: ${t.url("registry", base)}: the server closed the connection`,
                    ),
                    image: new RegExp(`^image: FAILED: unexpected answer: ${t.url("image", base)} answered HTTP 404$`),
                })[s],
        },
        {
            name: "200 with a non-JSON body",
            behaviours: all({ body: "<html><body>Down for maintenance</body></html>" }),
            expect: (s, base) =>
                new RegExp(`^${s}: FAILED: malformed answer from ${t.url(s, base)}: the answer is not JSON$`),
        },
        {
            name: "200 with JSON that is not an object",
            behaviours: all({ body: ["token", "expiresAt"] }),
            expect: (s, base) =>
                new RegExp(`^${s}: FAILED: malformed answer from ${t.url(s, base)}: the answer is not a JSON object$`),
        },
    ];
    for (const c of FAILURES) {
        it(`SaaS failure, ${c.name}: each step fails naming the cause; nothing is changed`, async () => {
            await t.seedStale();
            for (const s of STEPS) t.answer(s, c.behaviours[s]);
            const base = c.refused ? `http://127.0.0.1:${await unusedPort()}` : t.saas.baseUrl;
            const argvSeen: string[] = [];
            if (c.inspectArgv) {
                // While curl waits for the hung answer, read every process's argv (world-readable).
                t.saas.onRequest = (req) => {
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
            const before = await t.snapshot();
            const r = await t.run({ BACKLINE_BASE_URL: base, JANITOR_HTTP_TIMEOUT_SECONDS: c.timeoutSeconds ?? "2" });
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
            assert.equal(r.stderrLines[r.stderrLines.length - 1], "janitor: 3 of 3 steps failed: token registry image");
            assert.deepEqual(r.writes, []);
            await t.assertUnchanged(before);
            if (c.refused) assert.deepEqual(r.requests, []);
            if (c.timeoutSeconds) {
                // The hung answer never comes: the run waited for the 1 s timeout (no less), and did not
                // wait for the janitor's default of 10 s (JANITOR_HTTP_TIMEOUT_SECONDS), which it would
                // with the setting ignored. Room enough for a loaded machine between the two.
                assert.ok(r.durationMs >= 1000, `the run did not wait for the timeout (${r.durationMs} ms)`);
                assert.ok(r.durationMs < 10_000, `the 1 s timeout did not bound the run (${r.durationMs} ms)`);
            }
            if (c.inspectArgv) {
                const curl = argvSeen.filter((a) => a.includes(API.token.path));
                assert.ok(curl.length > 0, "curl was seen in /proc while it waited");
                assert.ok(!argvSeen.some((a) => a.includes(ACCESS_KEY)), "the access key is in some process's argv");
            }
        });
    }
}

/** One step fails (SaaS error, missing container, denied write); the others still write. */
export function describePartialFailureCases(t: JanitorCaseSuite): void {
    // --- partial failures -------------------------------------------------------------------
    it("one step failing does not stop the others: exit 1, the other writes happened", async () => {
        await t.seedStale();
        const { registry } = t.answerAllValid(IMAGE_B);
        t.answer("token", { status: 502, body: "Bad Gateway" });
        const before = await t.snapshot();
        const r = await t.run();
        assert.equal(r.code, 1, show(r));
        assert.deepEqual(r.stderrLines, [
            `token: FAILED: SaaS unavailable: POST ${t.saas.baseUrl}${API.token.path} answered HTTP 502`,
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
        const dc = await t.kube.get("Secret", "dockerconfig");
        assert.equal(unb64(dataOf(dc)[".dockerconfigjson"]), dockerConfigJson(registry));
        await t.assertUnchanged(before, ["Secret/jwt-token"]);
    });

    it("the Deployment lacks the worker container: the image step fails, the others succeed", async () => {
        await t.seedStale();
        await t.kube.seed(workerDeployment(IMAGE_A, "worker", "app"));
        t.answerAllValid(IMAGE_B);
        const before = await t.snapshot();
        const r = await t.run();
        assert.equal(r.code, 1, show(r));
        assert.deepEqual(r.stderrLines, [
            "image: FAILED: Deployment worker has no container named worker",
            "janitor: 1 of 3 steps failed: image",
        ]);
        assert.deepEqual(
            r.writes.map((w) => w.name),
            ["jwt-token", "dockerconfig"],
        );
        await t.assertUnchanged(before, ["Deployment/worker"]);
    });

    it("a failed Secret write is reported with secret material redacted; the other step still writes", async function () {
        const failEnv = await t.kube.failWritesEnv([
            { verb: "apply", resource: "secrets", name: "jwt-token" },
            { verb: "apply", resource: "secrets", name: "dockerconfig" },
        ]);
        if (!failEnv) this.skip();
        await t.seedStale();
        t.answerAllValid(IMAGE_B);
        const before = await t.snapshot();
        const r = await t.run(failEnv);
        assert.equal(r.code, 1, show(r));
        for (const [step, secret] of [
            ["token", "jwt-token"],
            ["registry", "dockerconfig"],
        ]) {
            const line = r.stderrLines.find((l) => l.startsWith(`${step}: FAILED: could not write Secret ${secret}: `));
            assert.ok(line, show(r));
            assert.match(line, /simulated failure/);
            assert.match(line, /\[redacted\]/, "the quoted request body had its secret values cut out");
        }
        assert.equal(r.stdoutLines[0], `image: updated worker from ${IMAGE_A} to ${IMAGE_B}`);
        await t.assertUnchanged(before, ["Secret/jwt-token", "Secret/dockerconfig"]);
    });
}
