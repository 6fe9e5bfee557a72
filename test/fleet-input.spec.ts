/**
 * The pure half of fleet rollouts (automation/fleet-plan.ts): input refused before any engine
 * starts, waves, the merge patch, secrets hidden in reports, and reading what a stack runs from
 * the configuration its last update recorded.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import type * as automation from "@pulumi/pulumi/automation";
import {
    BacklineSettings,
    FleetStack,
    InvalidConfigError,
    InvalidRolloutError,
    RolloutOptions,
    WaveSize,
    WorkspaceFactory,
    mergePatch,
    packageRoot,
    resolveWaves,
    rollout,
} from "../automation";
import { deployedState, planFor, recordedMatches, redactSettings } from "../automation/fleet-plan";

const ACCESS_KEY = "bk_live_fleet_0123456789SECRET";

const config: BacklineSettings = {
    baseUrl: "https://app.backline.ai",
    accessKey: ACCESS_KEY,
    worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
};

function stack(name: string, over: Partial<FleetStack> = {}): FleetStack {
    return { stackName: name, config, kubernetes: { kubeconfig: `/etc/kube/${name}.yaml` }, ...over };
}

const neverCalled: WorkspaceFactory = async () => {
    throw new Error("an engine was started");
};

async function refused(opts: Partial<RolloutOptions>): Promise<InvalidRolloutError> {
    const err = await rollout({
        stacks: [stack("a"), stack("b")],
        change: { janitor: { schedule: "@hourly" } },
        passphrase: "a passphrase of the fleet",
        workspaceFactory: neverCalled,
        ...opts,
    } as RolloutOptions).then(
        () => assert.fail("the rollout was not refused"),
        (e: unknown) => e,
    );
    assert.ok(err instanceof InvalidRolloutError, `got ${String(err)}`);
    assert.ok(err instanceof InvalidConfigError, "one catch handles both");
    assert.match(err.message, /^Invalid fleet rollout/);
    assert.ok(!err.message.includes(ACCESS_KEY));
    return err;
}

describe("fleet rollouts: input refused before any engine starts", function () {
    const cases: { name: string; opts: Partial<RolloutOptions>; key: string; message: RegExp }[] = [
        { name: "no stacks", opts: { stacks: [] }, key: "stacks", message: /an empty list; pass at least one stack/ },
        { name: "stacks missing", opts: { stacks: undefined }, key: "stacks", message: /pass at least one stack/ },
        {
            name: "a stack twice",
            opts: { stacks: [stack("a"), stack("b"), stack("a")] },
            key: "stacks[2].stackName",
            message: /"a" a second time \(also `stacks\[0\]`\)/,
        },
        {
            name: "two stacks on one namespace of one cluster",
            opts: { stacks: [stack("a"), stack("b", { kubernetes: { kubeconfig: "/etc/kube/a.yaml" } })] },
            key: "stacks[1].config.namespaceOverride",
            message: /"a" and "b" deploy to the same namespace/,
        },
        {
            name: "waves that do not reach the whole fleet",
            opts: { waves: [1] },
            key: "waves[0]",
            message: /cover 1 of the 2 stack\(s\); end the list with "100%"/,
        },
        { name: "waves that do not grow", opts: { waves: [1, 1, 2] }, key: "waves[1]", message: /must grow/ },
        {
            name: "waves that shrink",
            opts: { waves: [2, "50%"] },
            key: "waves[1]",
            message: /\(1 stack\(s\)\) after a wave of 2/,
        },
        {
            name: "a wave larger than the fleet",
            opts: { waves: [1, 3] },
            key: "waves[1]",
            message: /more than the 2 stack\(s\)/,
        },
        { name: "a share over 100%", opts: { waves: ["150%"] }, key: "waves[0]", message: /at most 100%/ },
        { name: "a share of 0%", opts: { waves: ["0%", "100%"] }, key: "waves[0]", message: /more than 0%/ },
        {
            name: "a wave that is not a count",
            opts: { waves: [0.5, "100%"] as WaveSize[] },
            key: "waves[0]",
            message: /whole number/,
        },
        { name: "a wave in words", opts: { waves: ["half" as WaveSize] }, key: "waves[0]", message: /"half"/ },
        { name: "no waves", opts: { waves: [] }, key: "waves", message: /non-empty list/ },
        {
            name: "concurrency 0",
            opts: { concurrency: 0 },
            key: "concurrency",
            message: /got 0; expected a whole number of stacks of at least 1/,
        },
        { name: "concurrency 1.5", opts: { concurrency: 1.5 }, key: "concurrency", message: /got 1.5/ },
        { name: "a gate timeout of 0", opts: { gateTimeoutMs: 0 }, key: "gateTimeoutMs", message: /at least 1/ },
        { name: "an empty change", opts: { change: {} }, key: "change", message: /changes something/ },
        {
            name: "a secret in the change",
            opts: { change: { accessKey: "bk_new_key_0123456789" } },
            key: "change.accessKey",
            message: /a secret cannot be rolled out/,
        },
        {
            name: "the target in the change",
            opts: { change: { kubernetes: { context: "x" } } as never },
            key: "change.kubernetes.context",
            message: /each stack has its own target/,
        },
        {
            name: "a change the schema refuses",
            opts: { change: { worker: { replicaCount: -1 } } },
            key: "change.worker.replicaCount",
            message: /^with stack "a": got -1/,
        },
        {
            name: "an unknown key in the change",
            opts: { change: { worker: { replicas: 2 } } as never },
            key: "change.worker.replicas",
            message: /did you mean `worker.replicaCount`/,
        },
        {
            name: "a stack whose own configuration is refused",
            opts: { stacks: [stack("a"), stack("b", { config: { ...config, baseUrl: "ftp://x" } })] },
            key: "stacks[1].config.baseUrl",
            message: /ftp:\/\/x/,
        },
        {
            name: "a bad stack name",
            opts: { stacks: [stack("a b")], waves: ["100%"] },
            key: "stacks[0].stackName",
            message: /letters, digits/,
        },
        {
            name: "a stack without a target",
            opts: { stacks: [stack("a", { kubernetes: undefined as never })], waves: ["100%"] },
            key: "stacks[0].kubernetes",
            message: /missing/,
        },
        { name: "no passphrase", opts: { passphrase: undefined }, key: "passphrase", message: /missing/ },
        {
            name: "a stack the repository commits, in the repository's folder",
            opts: { workDir: packageRoot, stacks: [stack("a"), stack("dev")] },
            key: "stackName",
            message: /"dev", one of the repository's committed stacks/,
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.name}, naming \`${c.key}\``, async function () {
            const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
            delete process.env.PULUMI_CONFIG_PASSPHRASE;
            try {
                const err = await refused(c.opts);
                const p = err.problems.find((x) => x.key === c.key);
                assert.ok(p, `no problem for \`${c.key}\`: ${JSON.stringify(err.problems)}`);
                assert.match(p.message, c.message);
                assert.ok(err.message.includes(`\`${c.key}\``), err.message);
            } finally {
                if (saved !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE = saved;
            }
        });
    }

    it("lists every problem at once", async function () {
        const err = await refused({ stacks: [stack("a"), stack("a")], waves: [5], concurrency: 0 });
        assert.deepStrictEqual(err.problems.map((p) => p.key).sort(), [
            "concurrency",
            "stacks[1].stackName",
            "waves[0]",
        ]);
    });
});

describe("fleet rollouts: waves", function () {
    const table: [readonly WaveSize[], number, number[]][] = [
        [[1, "25%", "100%"], 20, [1, 5, 20]],
        [[1, "25%", "100%"], 4, [1, 4]], // 25% of 4 is the canary already: no empty wave
        [[1, "25%", "100%"], 1, [1]],
        [[1, "50%", "100%"], 5, [1, 3, 5]],
        [["100%"], 3, [3]],
        [[1, 2, 4], 4, [1, 2, 4]],
        [["33.3%", "100%"], 3, [1, 3]],
    ];
    for (const [waves, n, sizes] of table) {
        it(`${JSON.stringify(waves)} on ${n} stack(s): ${JSON.stringify(sizes)}`, function () {
            assert.deepStrictEqual(resolveWaves(waves, n), { sizes, problems: [] });
        });
    }
});

describe("fleet rollouts: the change as a JSON merge patch (RFC 7396)", function () {
    it("merges objects, replaces values and lists, removes with null, leaves its inputs alone", function () {
        const base = { a: { b: 1, c: [1, 2], d: "x" }, e: 1 };
        const out = mergePatch(base, { a: { b: 2, c: [3], d: null }, f: { g: true } });
        assert.deepStrictEqual(out, { a: { b: 2, c: [3] }, e: 1, f: { g: true } });
        assert.deepStrictEqual(base, { a: { b: 1, c: [1, 2], d: "x" }, e: 1 });
        assert.deepStrictEqual(mergePatch({ a: 1 }, { a: { b: null } }), { a: {} });
    });
});

describe("fleet rollouts: reports hide secrets", function () {
    it("replaces the access key with [secret] and keeps everything else", function () {
        const r = redactSettings({ ...config, worker: { replicaCount: 2 } });
        assert.strictEqual(r.accessKey, "[secret]");
        assert.strictEqual(r.worker?.replicaCount, 2);
        assert.strictEqual(r.baseUrl, config.baseUrl);
    });
});

describe("fleet rollouts: what the backend says a stack runs", function () {
    const s = stack("a");
    const before = planFor(s, config);
    const after = planFor(s, { ...config, worker: { ...config.worker, image: { tag: "v2" } } });

    /** The configuration an update records, as `pulumi stack history --json` prints it (no --show-secrets). */
    function recorded(plan: typeof before, extra: automation.ConfigMap = {}): automation.ConfigMap {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(plan.plain)) {
            out[k] =
                v.objectValue !== undefined
                    ? { value: JSON.stringify(v.objectValue), objectValue: v.objectValue, secret: false }
                    : { value: v.value, secret: false };
        }
        for (const x of plan.secrets) out[x.key] = { secret: true };
        return { ...(out as automation.ConfigMap), ...extra };
    }

    function entry(kind: string, result: string, cfg: automation.ConfigMap): automation.UpdateSummary {
        return { kind, result, config: cfg } as unknown as automation.UpdateSummary;
    }

    it("matches a recorded configuration value by value, objects by content", function () {
        assert.ok(recordedMatches(recorded(before), before));
        assert.ok(!recordedMatches(recorded(before), after));
        // Key order and a JSON string without objectValue do not matter.
        const r = recorded(after);
        const reverse = (v: unknown): unknown =>
            v && typeof v === "object" && !Array.isArray(v)
                ? Object.fromEntries(
                      Object.entries(v)
                          .reverse()
                          .map(([k, x]) => [k, reverse(x)]),
                  )
                : v;
        const w = JSON.parse((r["backline:worker"] as { value: string }).value) as unknown;
        const reordered = { ...r, "backline:worker": { value: JSON.stringify(reverse(w)), secret: false } };
        assert.notStrictEqual(JSON.stringify(reverse(w)), JSON.stringify(w));
        assert.ok(recordedMatches(reordered, after));
    });

    it("a key the plan would remove, a missing secret or a plain value where a secret should be is a mismatch", function () {
        assert.ok(!recordedMatches(recorded(before, { "backline:typo": { value: "x", secret: false } }), before));
        const noSecret = recorded(before);
        delete (noSecret as Record<string, unknown>)["backline:accessKey"];
        assert.ok(!recordedMatches(noSecret, before));
        assert.ok(
            !recordedMatches(recorded(before, { "backline:accessKey": { value: "plain", secret: false } }), before),
        );
        // Pulumi.yaml's defaults, which the engine records too, and keys of other namespaces change nothing.
        assert.ok(
            recordedMatches(
                recorded(before, {
                    "backline:efs": { value: "{}", objectValue: {}, secret: false } as automation.ConfigValue,
                }),
                before,
            ),
        );
        assert.ok(recordedMatches(recorded(before, { "backline:logging": { value: "{}", secret: false } }), before));
        // Keys of other namespaces are not ours.
        assert.ok(recordedMatches(recorded(before, { "kubernetes:context": { value: "x", secret: false } }), before));
    });

    it("the engine records every default `Pulumi.yaml` declares next to the stack's values: still a match", function () {
        // As `pulumi stack history --json` shows them: objects with `objectValue`, text as text.
        const project = parseYaml(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as {
            config?: Record<string, { default?: unknown }>;
        };
        const defaults: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(project.config ?? {})) {
            if (v.default === undefined) continue;
            const text = typeof v.default === "string" ? v.default : JSON.stringify(v.default);
            defaults[k] =
                typeof v.default === "object"
                    ? { value: text, objectValue: v.default, secret: false }
                    : { value: text, secret: false };
        }
        assert.ok(Object.keys(defaults).length > 3, JSON.stringify(defaults));
        const withDefaults = { ...defaults, ...recorded(after) } as automation.ConfigMap;
        assert.ok(recordedMatches(withDefaults, after));
        assert.ok(!recordedMatches(withDefaults, before));
    });

    const table: [string, automation.UpdateSummary[], string][] = [
        ["no history", [], "none"],
        ["last update has the change", [entry("update", "succeeded", recorded(after))], "target"],
        ["last update is the previous configuration", [entry("update", "succeeded", recorded(before))], "before"],
        [
            "a refresh after the update is skipped",
            [entry("refresh", "succeeded", {}), entry("update", "succeeded", recorded(after))],
            "target",
        ],
        [
            "the last update failed",
            [entry("update", "failed", recorded(after)), entry("update", "succeeded", recorded(before))],
            "other",
        ],
        ["destroyed", [entry("destroy", "succeeded", recorded(before))], "none"],
        [
            "changed by hand",
            [
                entry(
                    "update",
                    "succeeded",
                    recorded(before, { "backline:namespaceOverride": { value: "x", secret: false } }),
                ),
            ],
            "other",
        ],
    ];
    for (const [name, history, want] of table) {
        it(`${name}: ${want}`, function () {
            assert.strictEqual(deployedState(history, before, after), want);
        });
    }
});
