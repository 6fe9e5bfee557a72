/**
 * The end-to-end run fails when a test did not run. Suites skip (`this.skip()`, which mocha reports
 * as pending) when a tool they need is missing, so that one file can run on a machine with only part
 * of the tools; but `npm run test:e2e` (the run CI makes) must not pass because the engine or the
 * control plane was not built. This root hook plugin (`require`d by .mocharc.e2e.json) looks at every
 * test once all have run and fails the run, in an "after all" hook, naming each pending test that is
 * not in PENDING_ALLOWED below, and each entry there that no longer names a test of its file.
 *
 * Runs of single files with `--no-config` do not load it: they still skip with the reason.
 */
import * as path from "path";

/** A test that may be pending in the end-to-end run, and why it cannot run here. */
export interface PendingAllowance {
    /** The test file, relative to the repository. */
    readonly file: string;
    /** The test's own title (the `it` string). */
    readonly title: string;
    /** Why it cannot run on the machines CI runs on, and what proves its subject instead. */
    readonly why: string;
}

export const PENDING_ALLOWED: readonly PendingAllowance[] = [
    {
        file: "test/e2e/policy.e2e.ts",
        title: "everything on AWS (EFS, collector role): needs the AWS provider plugin",
        // The AWS provider plugin is not built from Go modules here (it is not among the binaries
        // scripts/build-engine.sh makes), so a preview of the AWS stack cannot run.
        why: "no pulumi-resource-aws is built here; the AWS policies are proven on the program by test/policies.spec.ts",
    },
];

/** What the gate needs of a test: where it is, its titles, and how it ended (undefined: not run). */
export interface TestOutcome {
    readonly file: string;
    readonly title: string;
    readonly fullTitle: string;
    readonly state: "passed" | "failed" | "pending" | undefined;
}

export interface PendingVerdict {
    /** Pending tests no allowance names. */
    readonly unexpected: readonly TestOutcome[];
    /** Allowances of a file that ran whose test no longer exists (renamed or removed). */
    readonly stale: readonly PendingAllowance[];
}

/** The rule itself, without mocha: which pending tests fail the run, and which allowances are stale. */
export function pendingVerdict(
    outcomes: readonly TestOutcome[],
    allowed: readonly PendingAllowance[] = PENDING_ALLOWED,
): PendingVerdict {
    const names = (a: { file: string; title: string }) => `${a.file}\0${a.title}`;
    const allowedNames = new Set(allowed.map(names));
    const testNames = new Set(outcomes.map(names));
    const files = new Set(outcomes.map((o) => o.file));
    return {
        unexpected: outcomes.filter((o) => o.state === "pending" && !allowedNames.has(names(o))),
        stale: allowed.filter((a) => files.has(a.file) && !testNames.has(names(a))),
    };
}

/** The message the run fails with, or undefined when nothing is wrong. */
export function pendingReport(v: PendingVerdict): string | undefined {
    const parts: string[] = [];
    if (v.unexpected.length > 0) {
        parts.push(
            `${v.unexpected.length} test(s) did not run (pending), and test/support/pending-gate.ts does not allow it:`,
            ...v.unexpected.map((o) => `  - ${o.file}: ${o.fullTitle}`),
            "A suite skips when a tool it needs is missing; its `skipped: …` line above names the tool and the " +
                "script that builds it. A case that cannot run on these machines goes into PENDING_ALLOWED, with why.",
        );
    }
    if (v.stale.length > 0) {
        parts.push(
            "PENDING_ALLOWED names test(s) that no longer exist; update test/support/pending-gate.ts:",
            ...v.stale.map((a) => `  - ${a.file}: ${a.title}`),
        );
    }
    return parts.length > 0 ? parts.join("\n") : undefined;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");

function outcomesOf(suite: Mocha.Suite): TestOutcome[] {
    return [
        ...suite.tests.map((t) => ({
            file: path.relative(REPO_ROOT, t.file ?? ""),
            title: t.title,
            fullTitle: t.fullTitle(),
            state: t.state,
        })),
        ...suite.suites.flatMap(outcomesOf),
    ];
}

/** Mocha's root hook plugin interface: runs after every suite of the run (its name titles the hook). */
export const mochaHooks = {
    afterAll: function everyTestRanOrIsAllowedPending(this: Mocha.Context): void {
        const root = this.test?.parent;
        if (!root) {
            return;
        }
        const report = pendingReport(pendingVerdict(outcomesOf(root)));
        if (report !== undefined) {
            throw new Error(report);
        }
    },
};
