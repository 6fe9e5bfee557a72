/**
 * Upgrades from every release of CHANGELOG.md to the working tree, on a real control plane with
 * simulated nodes. For each release (./support/releases.ts maps its version to its commit): `git
 * worktree add --detach` of its commit and `npm ci` of its own lock file; its dev and prod shapes
 * (its own `Pulumi.dev.yaml` and `Pulumi.prod.yaml`, whatever keys and format that release had)
 * deployed by its own program with 2 worker replicas, and its own janitor run once (so the
 * janitor's Secrets exist and the worker runs the image the janitor set). Then, on the same state
 * and stack file, the working tree's program: `pulumi preview --json` deletes and replaces nothing
 * but the expected replacements (./support/upgrade-checks.ts, the install Job), `pulumi up`
 * succeeds while a watch sees the worker never below its replicas and no object deleted, every
 * object the release made (and the janitor's Secrets) keeps its UID, no URN is lost, the worker
 * keeps the janitor's image, and a second preview has no changes.
 *
 * Every stack has its own namespace (the shape's, suffixed with the release) and every release its
 * own file backend, so all of them share one control plane and run side by side, at most
 * UPGRADE_E2E_ENGINES engines at a time (default 4, every stack of two releases: 107 s for the
 * whole file at load 3 on 2 cores, against 121 s with 2). Needs the engine
 * (scripts/build-engine.sh), the control plane (scripts/build-kube.sh) and the release commits in
 * the clone; skips with the reason without the first two; UPGRADE_E2E_TRACE=1 prints each step as
 * it ends. Run (`--config .mocharc.e2e.json` would add every other suite):
 * npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 600000 test/e2e/upgrade.e2e.ts
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { useApiServer } from "../support/apiserver";
import { FakeSaas } from "../support/fake-saas";
import { janitorImage } from "./support/cluster-stack";
import { Engine, EngineEnv, REPO_ROOT, describeRun, engineEnv, findEngine } from "./support/engine";
import { Release, releasesOf } from "./support/releases";
import {
    PreviewStep,
    belowReplicas,
    changesReport,
    changingSteps,
    forbiddenReport,
    uidChanges,
    unexpectedDeletions,
    urnParts,
} from "./support/upgrade-checks";
import { ReleaseCheckout, checkOutRelease, limiter } from "./support/upgrade-release";
import { REPLICAS, SHAPES, StackUpgrade } from "./support/upgrade-stack";

/** `update: a, b; replace: c` of the steps that change something, by logical name. */
function summary(steps: readonly PreviewStep[]): string {
    const byOp = new Map<string, string[]>();
    for (const step of changingSteps(steps)) {
        const diff = step.op === "update" && step.diff?.length ? ` (${step.diff.join(", ")})` : "";
        byOp.set(step.op, [...(byOp.get(step.op) ?? []), `${urnParts(step.urn).name}${diff}`]);
    }
    return [...byOp].map(([op, names]) => `${op}: ${[...new Set(names)].join(", ")}`).join("; ") || "no changes";
}

let releases: Release[] = [];
let releasesError: Error | undefined;
try {
    releases = releasesOf(REPO_ROOT);
} catch (err) {
    releasesError = err as Error;
}

describe("upgrades from every release of CHANGELOG.md to the working tree", function () {
    this.timeout(1_800_000);

    const started = Date.now();
    let engine: Engine;
    let tmp: string;
    let saas: FakeSaas;
    const envs: EngineEnv[] = [];
    const checkouts = new Map<string, Promise<ReleaseCheckout>>();
    const stacks = new Map<string, Promise<StackUpgrade[]>>();

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "backline-upgrade-"));
        // The installs run while the control plane starts.
        for (const r of releases) {
            const checkout = checkOutRelease(REPO_ROOT, r, tmp);
            checkout.catch(() => undefined);
            checkouts.set(r.version, checkout);
        }
    });

    // Runs before the control plane stops (after hooks run in the order they are declared).
    after(async function () {
        const all = (await Promise.allSettled([...stacks.values()])).flatMap((s) =>
            s.status === "fulfilled" ? s.value : [],
        );
        await Promise.all(all.map((s) => s.done()));
        const done = await Promise.allSettled([...checkouts.values()]);
        for (const c of done) if (c.status === "fulfilled") await c.value.remove();
        console.log(`      wall time ${Math.round((Date.now() - started) / 1000)} s, control plane included`);
        if (controlPlaneMs) console.log(`      control plane started in ${controlPlaneMs} ms`);
        for (const c of done) {
            if (c.status === "fulfilled") {
                const { release, worktreeMs, installMs } = c.value;
                console.log(`      ${release.version}: git worktree add ${worktreeMs} ms, npm ci ${installMs} ms`);
            }
        }
        for (const s of all) {
            const steps = Object.entries(s.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
            console.log(`      ${s.label}: ${steps.join(", ")}`);
        }
    });

    const kube = useApiServer({ kwok: { nodes: 2, podReadyDelayMs: 1000 } });

    let controlPlaneMs: number | undefined;
    before(async function () {
        controlPlaneMs = kube().timings.totalMs;
        saas = await FakeSaas.start();
        const in1h = new Date(Date.now() + 3_600_000).toISOString();
        saas.set("POST", "/api/v1/onprem/token", { body: { token: "jwt.upgrade.token", expiresAt: in1h } });
        saas.set("GET", "/api/v1/onprem/registry-credentials", {
            body: {
                registry: "580550010989.dkr.ecr.us-west-1.amazonaws.com",
                username: "AWS",
                password: "ecr-password",
                expiresAt: in1h,
            },
        });
        saas.set("GET", "/api/v1/onprem/worker-image", { body: { image: janitorImage } });
        const limit = limiter(Number(process.env.UPGRADE_E2E_ENGINES) || 4);
        for (const r of releases) {
            // One file backend per release: each release's stacks are named as its files (dev, prod).
            const env = engineEnv(engine, {
                passphrase: "set-per-stack",
                tmpRoot: tmp,
                extra: {
                    PATH: [path.dirname(kube().kubectl), engine.binDir, process.env.PATH ?? ""].join(path.delimiter),
                    // Only transpiled: 0.1.0 type-checked its program on every run, which changes nothing deployed.
                    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
                },
            });
            envs.push(env);
            const ctx = { kube: kube(), engine, saasUrl: saas.baseUrl, limit, env: env.env };
            const upgrades = (checkouts.get(r.version) as Promise<ReleaseCheckout>).then((c) =>
                SHAPES.map((shape) => new StackUpgrade(ctx, c, shape)),
            );
            upgrades.catch(() => undefined);
            stacks.set(r.version, upgrades);
        }
    });

    after(async () => {
        await saas?.close();
        for (const e of envs) e.cleanup();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    if (releasesError) {
        it("finds the commit of every release of CHANGELOG.md", () => {
            throw releasesError;
        });
    }

    for (const release of releases) {
        describe(`from ${release.version} (${release.commit.slice(0, 7)}, by its ${release.source})`, () => {
            for (const [i, shape] of SHAPES.entries()) {
                const stack = async () => ((await stacks.get(release.version)) as StackUpgrade[])[i];

                it(`${shape.name}: deploys its own Pulumi.${shape.name}.yaml with its own program (${REPLICAS} worker replicas), and its janitor runs`, async () => {
                    const s = await stack();
                    const d = await s.deployed;
                    for (const key of [
                        `Namespace ${s.namespace}`,
                        `PersistentVolumeClaim ${s.namespace}/worker-storage`,
                        `Deployment ${s.namespace}/worker`,
                        `Service ${s.namespace}/worker`,
                        `CronJob ${s.namespace}/janitor`,
                        `Secret ${s.namespace}/backline-access-key`,
                        `Secret ${s.namespace}/jwt-token`,
                        `Secret ${s.namespace}/dockerconfig`,
                    ]) {
                        assert.ok(d.uids.has(key), `${s.label}: no ${key} (have ${[...d.uids.keys()].join(", ")})`);
                    }
                    assert.equal(d.image, janitorImage, `${s.label}: the janitor did not set the worker's image`);
                });

                it(`${shape.name}: the working tree's preview deletes and replaces nothing but the install Job`, async () => {
                    const s = await stack();
                    const steps = await s.previewed;
                    assert.ok(steps.length > 0, `${s.label}: the preview listed no steps`);
                    const report = forbiddenReport(`upgrading ${s.label} to the working tree`, steps);
                    if (report) assert.fail(report);
                    console.log(`      ${s.label}: ${summary(steps)}`);
                });

                it(`${shape.name}: the working tree's up succeeds, the worker never below ${REPLICAS} available, every UID kept`, async () => {
                    const s = await stack();
                    const d = await s.deployed;
                    const u = await s.upgraded;
                    assert.equal(u.run.code, 0, `${s.label}: ${describeRun(["up"], u.run)}`);
                    assert.deepEqual(u.watchErrors, [], `${s.label}: the watch broke`);
                    const seen = u.events.filter((e) => e.object?.kind === "Deployment").length;
                    assert.ok(seen > 0, `${s.label}: the watch saw no Deployment`);
                    const below = belowReplicas(u.events, s.namespace, "worker", REPLICAS);
                    if (below.length)
                        assert.fail([`${s.label}: the worker went below its replicas:`, ...below].join("\n"));
                    const owns = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
                        o.metadata?.namespace === s.namespace ||
                        (o.kind === "Namespace" && o.metadata?.name === s.namespace) ||
                        o.metadata?.name === `backline-worker-jobs-${s.namespace}`;
                    const deleted = unexpectedDeletions(u.events, owns);
                    if (deleted.length) assert.fail([`${s.label}: the upgrade deleted:`, ...deleted].join("\n"));
                    const changed = uidChanges(d.uids, u.uids);
                    if (changed.length) assert.fail([`${s.label}: objects lost their UID:`, ...changed].join("\n"));
                    // A default provider the new program no longer needs (0.1.0's `pulumi` provider) is
                    // dropped from the state: it is no object in the cluster.
                    const kept = new Set([...u.urns, ...u.aliases]);
                    const lost = d.urns.filter(
                        (urn) => !kept.has(urn) && !urnParts(urn).type.startsWith("pulumi:providers:"),
                    );
                    assert.deepEqual(lost, [], `${s.label}: URNs of the release neither in the state nor aliased`);
                    assert.equal(u.image, d.image, `${s.label}: the upgrade changed the image the janitor set`);
                    const restarted = d.pods.filter((p) => !u.pods.includes(p)).length;
                    console.log(
                        `      ${s.label}: ${restarted} of ${d.pods.length} worker pods replaced, ${d.uids.size} UIDs kept`,
                    );
                });

                it(`${shape.name}: a second preview has no changes`, async () => {
                    const s = await stack();
                    const report = changesReport(`after upgrading ${s.label}`, await s.previewedAgain);
                    if (report) assert.fail(report);
                });
            }
        });
    }
});
