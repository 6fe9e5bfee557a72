/**
 * The rule that fails the end-to-end run on a test that did not run (test/support/pending-gate.ts):
 * the rule on its own, table-driven; that its allowlist names real tests; and the gate as
 * .mocharc.e2e.json wires it, on a stand-in file run by mocha itself.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PENDING_ALLOWED, PendingAllowance, TestOutcome, pendingReport, pendingVerdict } from "./support/pending-gate";

const REPO_ROOT = path.resolve(__dirname, "..");

const outcome = (file: string, title: string, state: TestOutcome["state"]): TestOutcome => ({
    file,
    title,
    fullTitle: `suite ${title}`,
    state,
});
const aws: PendingAllowance = { file: "test/e2e/policy.e2e.ts", title: "needs AWS", why: "no AWS plugin here" };

describe("the pending gate of the end-to-end run", function () {
    // [case, outcomes, allowances, pending tests that fail the run, stale allowances]
    const cases: [string, TestOutcome[], PendingAllowance[], string[], string[]][] = [
        ["every test ran", [outcome("a.e2e.ts", "x", "passed"), outcome("a.e2e.ts", "y", "failed")], [aws], [], []],
        ["a suite skipped for a missing tool", [outcome("a.e2e.ts", "x", "pending")], [aws], ["x"], []],
        ["the allowed case pending", [outcome(aws.file, aws.title, "pending")], [aws], [], []],
        ["the allowed case ran (the tool is there)", [outcome(aws.file, aws.title, "passed")], [aws], [], []],
        [
            "the allowed title pending in another file",
            [outcome("b.e2e.ts", aws.title, "pending")],
            [aws],
            [aws.title],
            [],
        ],
        [
            "another test of the allowed file pending",
            [outcome(aws.file, "other", "pending")],
            [aws],
            ["other"],
            [aws.title],
        ],
        ["the allowed test renamed", [outcome(aws.file, "renamed", "passed")], [aws], [], [aws.title]],
        ["the allowed file not in this run", [outcome("a.e2e.ts", "x", "passed")], [aws], [], []],
        ["a test left out by --grep (never run)", [outcome("a.e2e.ts", "x", undefined)], [], [], []],
        ["no allowances: the allowed case pending", [outcome(aws.file, aws.title, "pending")], [], [aws.title], []],
    ];
    for (const [name, outcomes, allowed, unexpected, stale] of cases) {
        it(`${name}: ${unexpected.length + stale.length === 0 ? "passes" : "fails the run"}`, () => {
            const v = pendingVerdict(outcomes, allowed);
            assert.deepEqual(
                v.unexpected.map((o) => o.title),
                unexpected,
            );
            assert.deepEqual(
                v.stale.map((a) => a.title),
                stale,
            );
            const report = pendingReport(v);
            if (unexpected.length + stale.length === 0) {
                assert.equal(report, undefined);
            } else {
                for (const o of v.unexpected) assert.ok(report?.includes(`${o.file}: ${o.fullTitle}`), report);
                for (const a of v.stale) assert.ok(report?.includes(`${a.file}: ${a.title}`), report);
            }
        });
    }

    it("allows only tests that exist, each with its reason", () => {
        assert.ok(PENDING_ALLOWED.length > 0);
        for (const a of PENDING_ALLOWED) {
            const source = fs.readFileSync(path.join(REPO_ROOT, a.file), "utf8");
            assert.ok(source.includes(JSON.stringify(a.title)), `${a.file} has no test "${a.title}"`);
            assert.ok(a.why.length > 20, `no reason given for "${a.title}"`);
        }
    });

    describe("wired into `npm run test:e2e`", function () {
        this.timeout(60_000);
        const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, ".mocharc.e2e.json"), "utf8"));
        const runFixture = (skip: boolean) => {
            const args = [
                path.join(REPO_ROOT, "node_modules", "mocha", "bin", "mocha.js"),
                "--no-config",
                ...(config.require as string[]).flatMap((r) => ["--require", r]),
                "--extension",
                "ts",
                "--reporter",
                "spec",
                "test/fixtures/pending-gate/run.fixture.ts",
            ];
            const r = spawnSync(process.execPath, args, {
                cwd: REPO_ROOT,
                encoding: "utf8",
                env: { ...process.env, PENDING_GATE_FIXTURE_SKIP: skip ? "1" : "0" },
                timeout: 50_000,
            });
            return { status: r.status, out: `${r.stdout}${r.stderr}` };
        };

        it("requires the gate", () => {
            assert.ok(
                (config.require as string[]).some(
                    (r) => path.resolve(REPO_ROOT, r) === require.resolve("./support/pending-gate"),
                ),
                JSON.stringify(config.require),
            );
        });

        it("fails a run in which a suite skipped, naming its test", () => {
            const r = runFixture(true);
            assert.notEqual(r.status, 0, r.out);
            assert.match(r.out, /1 passing/);
            assert.match(r.out, /1 pending/);
            assert.match(r.out, /"after all" hook/);
            assert.ok(
                r.out.includes(
                    "test/fixtures/pending-gate/run.fixture.ts: pending gate fixture a suite needing a tool uses the tool",
                ),
                r.out,
            );
        });

        it("passes the same run when every test ran", () => {
            const r = runFixture(false);
            assert.equal(r.status, 0, r.out);
            assert.match(r.out, /2 passing/);
            assert.doesNotMatch(r.out, /\d+ pending|failing/);
        });
    });
});
