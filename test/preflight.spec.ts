/**
 * The cluster preflight (components/preflight): the messages it gives for what a cluster says, how
 * it reads a kubeconfig (as the provider does), and when it does not run. Against a real API
 * server — missing API, missing rights, in `pulumi preview` — it is proven in
 * test/e2e/admission.e2e.ts.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ClusterPreflightError, jobAdmissionProblem, preflightCluster } from "../components/preflight";
import { connectionFor } from "../components/cluster";
import { kubeconfigYaml as kubeconfig, useTempDir } from "./fixtures/kubeconfig";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

describe("cluster preflight: messages", () => {
    it("says the cluster lacks the API, with its version, and what to do", () => {
        const m = jobAdmissionProblem({ served: false, serverVersion: "v1.29.4", denied: [] }, 'context "x"');
        assert.match(m ?? "", /^`security\.jobAdmissionPolicy` is on \(the default\), but this cluster does not serve/);
        assert.match(m ?? "", /Kubernetes has from 1\.30 \(the API server is v1\.29\.4\)\. Upgrade the cluster/);
        assert.match(m ?? "", /`pulumi config set --path security\.jobAdmissionPolicy false`; then the worker/);
        assert.match(m ?? "", /Nothing was changed\.$/);
    });

    it("says who may not manage the policy objects, and which verbs are missing", () => {
        const m = jobAdmissionProblem(
            {
                served: true,
                username: "system:serviceaccount:ci:deployer",
                denied: ["create validatingadmissionpolicies", "patch validatingadmissionpolicies"],
            },
            'context "ci" (user "deployer")',
        );
        assert.match(
            m ?? "",
            /but `system:serviceaccount:ci:deployer` \(context "ci" \(user "deployer"\)\) may not manage/,
        );
        assert.match(m ?? "", /no create validatingadmissionpolicies, patch validatingadmissionpolicies in API group/);
        assert.match(m ?? "", /a ClusterRole with these verbs/);
    });

    it("has nothing to say when the API is served and every verb allowed", () => {
        assert.equal(jobAdmissionProblem({ served: true, denied: [] }, "x"), undefined);
    });

    it("is a RunError, printed without a stack trace", () => {
        assert.equal(new ClusterPreflightError("m").name, "ClusterPreflightError");
        assert.ok((new ClusterPreflightError("m") as Any).__pulumiRunError);
    });
});

describe("cluster preflight: reading the kubeconfig as the provider does", () => {
    const tmp = useTempDir("backline-preflight-");
    beforeEach(() => tmp.write("ca.pem", "CA"));
    const write = (name: string, text: string) => tmp.write(name, text, 0o700);
    const connection = (r: ReturnType<typeof connectionFor>) => {
        assert.ok(r.ok, r.ok ? "" : r.reason);
        return r.connection;
    };

    it("takes `kubernetes.kubeconfig` as a path, with file paths relative to it, and the current context", () => {
        const c = connection(connectionFor({ kubeconfig: write("config", kubeconfig()) }, {}));
        assert.equal(c.server, "https://10.1.2.3:6443");
        assert.equal(String(c.tls.ca), "CA");
        assert.equal(c.tls.rejectUnauthorized, true);
        assert.deepEqual(c.headers, { Authorization: "Bearer t0ken" });
        assert.equal(c.describe, 'context "main" (user "u")');
    });

    it("takes `kubernetes.kubeconfig` as contents, and `kubernetes.context` over the current one", () => {
        const text = kubeconfig({
            clusters: [{ name: "c", cluster: { server: "https://h", "insecure-skip-tls-verify": true } }],
            users: [
                { name: "u", user: { token: "a" } },
                { name: "v", user: { token: "b", as: "alice", "as-groups": ["g1", "g2"] } },
            ],
        });
        const c = connection(connectionFor({ kubeconfig: text, context: "other" }, {}));
        assert.equal(c.tls.rejectUnauthorized, false);
        assert.deepEqual(c.headers, {
            Authorization: "Bearer b",
            "Impersonate-User": "alice",
            // One header per group: the API server takes each value as one group name.
            "Impersonate-Group": ["g1", "g2"],
        });
    });

    it("merges the files of $KUBECONFIG first-wins, like client-go", () => {
        const first = write(
            "a",
            kubeconfig({ current: "", contexts: [], users: [{ name: "u", user: { token: "first" } }] }),
        );
        const second = write("b", kubeconfig({ users: [{ name: "u", user: { token: "second" } }] }));
        const c = connection(
            connectionFor({}, { KUBECONFIG: [first, path.join(tmp.path(), "missing"), second].join(":") }),
        );
        assert.deepEqual(c.headers, { Authorization: "Bearer first" });
        assert.equal(c.describe, 'context "main" (user "u")');
    });

    it("runs an exec credential plugin with its env and KUBERNETES_EXEC_INFO", () => {
        const plugin = write(
            "plugin.sh",
            '#!/bin/bash\nset -euo pipefail\ngrep -q \'"interactive":false\' <<<"$KUBERNETES_EXEC_INFO"\n' +
                'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\' "$TOKEN_FROM_ENV"\n',
        );
        const exec = {
            apiVersion: "client.authentication.k8s.io/v1",
            command: plugin,
            env: [{ name: "TOKEN_FROM_ENV", value: "exec-token" }],
        };
        const clusters = [{ name: "c", cluster: { server: "https://h" } }];
        const c = connection(
            connectionFor({ kubeconfig: kubeconfig({ clusters, users: [{ name: "u", user: { exec } }] }) }, {}),
        );
        assert.deepEqual(c.headers, { Authorization: "Bearer exec-token" });

        const failing = { command: write("fail.sh", "#!/bin/bash\necho 'no credentials' >&2\nexit 3\n") };
        const r = connectionFor(
            { kubeconfig: kubeconfig({ clusters, users: [{ name: "u", user: { exec: failing } }] }) },
            {},
        );
        assert.ok(
            !r.ok && /user "u": the exec credential plugin .*fail\.sh exited 3: no credentials$/.test(r.reason),
            JSON.stringify(r),
        );
    });

    it("says why it cannot connect rather than guess: unknown context, proxy-url, no kubeconfig", () => {
        const reason = (r: ReturnType<typeof connectionFor>) => (r.ok ? "connected" : r.reason);
        assert.match(
            reason(connectionFor({ kubeconfig: kubeconfig(), context: "nope" }, {})),
            /context "nope" is not in the kubeconfig/,
        );
        const proxied = kubeconfig({
            clusters: [{ name: "c", cluster: { server: "https://h", "proxy-url": "http://p" } }],
        });
        assert.match(reason(connectionFor({ kubeconfig: proxied }, {})), /uses a `proxy-url`/);
        assert.match(reason(connectionFor({}, { KUBECONFIG: path.join(tmp.path(), "none") })), /no kubeconfig found/);
    });
});

describe("cluster preflight: when it runs", () => {
    const on = { kubernetes: { skipAwait: false }, jobAdmission: { allowedSecrets: [] } };
    const never = () => {
        throw new Error("the preflight connected");
    };

    it("does nothing with the switch off or in render mode", async () => {
        await preflightCluster({ ...on, jobAdmission: undefined }, { connect: never });
        await preflightCluster(
            { ...on, kubernetes: { skipAwait: false, renderYamlToDirectory: "out" } },
            { connect: never },
        );
    });

    it("warns, and lets the program go on, when it cannot reach the cluster", () => {
        const warnings: string[] = [];
        preflightCluster(on, {
            connect: () => ({ ok: false, reason: "no kubeconfig found" }),
            warn: (m) => warnings.push(m),
        });
        assert.equal(warnings.length, 1);
        assert.match(
            warnings[0],
            /Could not check .*`security\.jobAdmissionPolicy`\): no kubeconfig found\. `pulumi up` creates the policy before anything else/,
        );

        const closed = { server: "https://127.0.0.1:1", describe: "x", tls: { rejectUnauthorized: true }, headers: {} };
        preflightCluster(on, {
            connect: () => ({ ok: true, connection: closed }),
            warn: (m) => warnings.push(m),
        });
        assert.match(warnings[1], /https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    });
});
