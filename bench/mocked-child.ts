/**
 * The child process of bench/mocked.ts: does one kind of work and prints its timings as JSON. It
 * imports nothing else up front, so that what it measures is all it loads.
 *
 *   node -r ts-node/register/transpile-only bench/mocked-child.ts sdk|sdk+kubernetes|program
 */
import { performance } from "perf_hooks";

async function child(kind: string): Promise<void> {
    const t0 = performance.now();
    if (kind === "sdk" || kind === "sdk+kubernetes") {
        await import("@pulumi/pulumi");
        if (kind === "sdk+kubernetes") await import("@pulumi/kubernetes");
        console.log(JSON.stringify({ firstMs: performance.now() - t0 }));
        return;
    }
    const { runProgram } = await import("../test/support/mocks");
    const { minimal } = await import("../test/fixtures/examples");
    const first = await runProgram(minimal);
    const t1 = performance.now();
    await runProgram(minimal);
    const t2 = performance.now();
    console.log(JSON.stringify({ firstMs: t1 - t0, warmMs: t2 - t1, resources: first.mocks.resources.length }));
}

child(process.argv[2]).catch((err) => {
    console.error(err);
    process.exit(1);
});
