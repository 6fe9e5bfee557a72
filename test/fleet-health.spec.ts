/**
 * The default health gate's verdicts (automation/health.ts) on Deployment and Job objects, and how
 * its client finds the cluster and credentials in a kubeconfig (components/cluster). The
 * requests themselves run against a real API server in test/e2e/fleet.e2e.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { DeploymentLike, JobLike, combineChecks, deploymentRolledOut, latestJanitorJob } from "../automation/health";
import { KubeconfigError, credentialsFor, resolveKubeAccess } from "../components/cluster";

function deployment(generation: number, status: NonNullable<DeploymentLike["status"]>, replicas = 2): DeploymentLike {
    return { metadata: { name: "worker", generation }, spec: { replicas }, status };
}

describe("default health gate: the worker Deployment", function () {
    const table: [string, DeploymentLike | undefined, boolean, RegExp, boolean?][] = [
        ["missing", undefined, false, /Deployment worker not found/],
        [
            "new generation not observed",
            deployment(3, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
            false,
            /generation 3 not observed yet/,
        ],
        [
            "half updated",
            deployment(3, { observedGeneration: 3, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }),
            false,
            /1 of 2 replicas updated/,
        ],
        // The new pod never becomes ready: the old one still serves, so "available" alone would lie.
        [
            "old replica left",
            deployment(3, { observedGeneration: 3, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
            false,
            /1 old replica\(s\) pending termination/,
        ],
        [
            "updated, not available",
            deployment(3, { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
            false,
            /1 of 2 updated replicas available/,
        ],
        [
            "progress deadline exceeded",
            deployment(3, {
                observedGeneration: 3,
                replicas: 3,
                updatedReplicas: 1,
                conditions: [
                    {
                        type: "Progressing",
                        status: "False",
                        reason: "ProgressDeadlineExceeded",
                        message: "ReplicaSet worker-2 has timed out progressing.",
                    },
                ],
            }),
            false,
            /exceeded its progress deadline: ReplicaSet worker-2 has timed out/,
            true,
        ],
        [
            "rolled out",
            deployment(3, { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
            true,
            /generation 3, 2\/2 replicas updated and available/,
        ],
        ["scaled to zero", deployment(4, { observedGeneration: 4 }, 0), true, /0\/0/],
    ];
    for (const [name, d, healthy, detail, final] of table) {
        it(`${name}: ${healthy ? "healthy" : "not healthy"}`, function () {
            const c = deploymentRolledOut(d, "worker");
            assert.strictEqual(c.healthy, healthy);
            assert.match(c.detail, detail);
            assert.strictEqual(!c.healthy && c.final === true, final === true);
        });
    }
});

function job(
    name: string,
    created: string,
    conditions: { type: string; status: string; reason?: string }[] = [],
): JobLike {
    return { metadata: { name, creationTimestamp: created }, status: { conditions } };
}

describe("default health gate: the newest janitor Job", function () {
    const done = [{ type: "Complete", status: "True" }];
    const failed = [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }];
    const table: [string, JobLike[], boolean, RegExp, boolean?][] = [
        ["no Job yet", [], false, /no janitor Job yet/],
        [
            "the newest succeeded",
            [job("janitor-1", "2026-01-01T00:00:00Z", failed), job("janitor-2", "2026-01-01T00:01:00Z", done)],
            true,
            /janitor-2 succeeded/,
        ],
        [
            "the newest failed",
            [job("janitor-1", "2026-01-01T00:00:00Z", done), job("janitor-2", "2026-01-01T00:01:00Z", failed)],
            false,
            /janitor-2 failed: BackoffLimitExceeded/,
            true,
        ],
        [
            "the newest still runs",
            [job("janitor-2", "2026-01-01T00:01:00Z"), job("janitor-1", "2026-01-01T00:00:00Z", done)],
            false,
            /janitor-2 is still running/,
        ],
    ];
    for (const [name, jobs, healthy, detail, final] of table) {
        it(`${name}: ${healthy ? "healthy" : "not healthy"}`, function () {
            const c = latestJanitorJob(jobs, true);
            assert.strictEqual(c.healthy, healthy);
            assert.match(c.detail, detail);
            assert.strictEqual(!c.healthy && c.final === true, final === true);
        });
    }
    it("no Job when the janitor does not run on install: nothing to judge yet", function () {
        assert.strictEqual(latestJanitorJob([], false).healthy, true);
    });
    it("both verdicts together: healthy only when both are, final when one is", function () {
        const ok = { healthy: true as const, detail: "a" };
        assert.deepStrictEqual(combineChecks([ok, ok]), { healthy: true, detail: "a; a" });
        assert.deepStrictEqual(combineChecks([ok, { healthy: false, detail: "b" }]), {
            healthy: false,
            detail: "a; b",
            final: false,
        });
        assert.deepStrictEqual(combineChecks([ok, { healthy: false, detail: "b", final: true }]), {
            healthy: false,
            detail: "a; b",
            final: true,
        });
    });
});

describe("default health gate: finding the cluster in a kubeconfig", function () {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-spec-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function write(name: string, doc: object): string {
        const f = path.join(dir, name);
        fs.writeFileSync(f, stringify(doc));
        return f;
    }
    const cluster = (name: string, server: string, extra: object = {}) => ({ name, cluster: { server, ...extra } });
    const context = (name: string, c: string, user: string) => ({ name, context: { cluster: c, user } });

    it("picks the current context, reads CA and token, resolves relative paths against the file", async function () {
        fs.writeFileSync(path.join(dir, "ca.pem"), "CA");
        fs.writeFileSync(path.join(dir, "token"), "file-token\n");
        const f = write("config", {
            "current-context": "one",
            clusters: [
                cluster("c1", "https://one:6443", { "certificate-authority": "ca.pem" }),
                cluster("c2", "https://two:6443"),
            ],
            users: [
                { name: "u1", user: { tokenFile: "token" } },
                { name: "u2", user: { token: "inline" } },
            ],
            contexts: [context("one", "c1", "u1"), context("two", "c2", "u2")],
        });
        const a = resolveKubeAccess({ kubeconfig: f });
        assert.strictEqual(a.server, "https://one:6443");
        assert.strictEqual(String(a.ca), "CA");
        assert.deepStrictEqual((await credentialsFor(a)).headers, { Authorization: "Bearer file-token" });
        const b = resolveKubeAccess({ kubeconfig: f, context: "two" });
        assert.strictEqual(b.server, "https://two:6443");
        assert.deepStrictEqual((await credentialsFor(b)).headers, { Authorization: "Bearer inline" });
    });

    it("merges $KUBECONFIG's files first-wins, as kubectl does; an inline kubeconfig works too", function () {
        const first = write("a", {
            "current-context": "x",
            clusters: [cluster("c", "https://first")],
            contexts: [context("x", "c", "u")],
        });
        const second = write("b", {
            "current-context": "y",
            clusters: [cluster("c", "https://second"), cluster("d", "https://d")],
            contexts: [context("y", "d", "u")],
            users: [{ name: "u", user: {} }],
        });
        const a = resolveKubeAccess({ context: "x" }, { KUBECONFIG: `${first}${path.delimiter}${second}` });
        assert.strictEqual(a.server, "https://first");
        assert.strictEqual(
            resolveKubeAccess({ context: "y" }, { KUBECONFIG: `${first}${path.delimiter}${second}` }).server,
            "https://d",
        );
        const inline = fs.readFileSync(second, "utf8");
        assert.strictEqual(resolveKubeAccess({ kubeconfig: inline, context: "y" }).server, "https://d");
    });

    it("runs an exec credential plugin with KUBERNETES_EXEC_INFO and its env, and reads its token", async function () {
        const plugin = path.join(dir, "get-token.sh");
        fs.writeFileSync(
            plugin,
            '#!/bin/bash\nset -euo pipefail\necho "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$REGION-$(echo "$KUBERNETES_EXEC_INFO" | grep -c interactive)-$1\\"}}"\n',
            { mode: 0o755 },
        );
        const f = write("config", {
            "current-context": "eks",
            clusters: [cluster("c", "https://eks")],
            users: [
                {
                    name: "u",
                    user: {
                        exec: {
                            apiVersion: "client.authentication.k8s.io/v1",
                            command: "./get-token.sh",
                            args: ["arg"],
                            env: [{ name: "REGION", value: "eu" }],
                        },
                    },
                },
            ],
            contexts: [context("eks", "c", "u")],
        });
        assert.deepStrictEqual((await credentialsFor(resolveKubeAccess({ kubeconfig: f }))).headers, {
            Authorization: "Bearer eu-1-arg",
        });
    });

    it("says what is wrong: a failing plugin, an unknown context, proxy-url, auth-provider", async function () {
        const f = write("config", {
            "current-context": "a",
            clusters: [cluster("c", "https://x"), cluster("p", "https://y", { "proxy-url": "http://proxy:3128" })],
            users: [
                { name: "fails", user: { exec: { command: "false" } } },
                { name: "old", user: { "auth-provider": { name: "gcp" } } },
            ],
            contexts: [context("a", "c", "fails"), context("p", "p", "fails"), context("old", "c", "old")],
        });
        await assert.rejects(
            credentialsFor(resolveKubeAccess({ kubeconfig: f })),
            /exec credential plugin false exited 1/,
        );
        assert.throws(
            () => resolveKubeAccess({ kubeconfig: f, context: "nope" }),
            /context "nope" is not in the kubeconfig/,
        );
        assert.throws(
            () => resolveKubeAccess({ kubeconfig: f, context: "p" }),
            (e: Error) => e instanceof KubeconfigError && /`proxy-url`/.test(e.message),
        );
        assert.throws(() => resolveKubeAccess({ kubeconfig: f, context: "old" }), /`auth-provider`/);
        assert.throws(() => resolveKubeAccess({ kubeconfig: path.join(dir, "missing") }), /cannot read the kubeconfig/);
    });
});
