/**
 * The three ways components/cluster reaches a cluster — the preflight's synchronous transport, the
 * health gate's asynchronous one and the adoption's kubectl — against a real kube-apiserver, with
 * real kubectl, from one kubeconfig: a token user, a user whose token an exec credential plugin
 * prints, and a user impersonating another with two groups (the API server's SelfSubjectReview says
 * who it took each for). And that a mistyped kubeconfig path fails the three the same way.
 *
 * Needs the API server and kubectl (scripts/build-kube.sh); skips with the reason otherwise. Run alone
 * with `npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 600000 test/e2e/cluster-client.e2e.ts`.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { KubeClient, KubeRequestError, KubeconfigSource, connectionFor, requestsSync } from "../../components/cluster";
import { kubectl } from "../../components/cluster/kubectl";
import { useApiServer } from "../support/apiserver";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const review = {
    method: "POST" as const,
    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
};

describe("the cluster clients on a real API server", function () {
    this.timeout(600_000);
    const kube = useApiServer({ controllerManager: false });
    let dir: string;
    let file: string;
    const savedPath = process.env.PATH;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-cluster-client-"));
        fs.writeFileSync(path.join(dir, "ca.pem"), kube().caPem);
        const out = JSON.stringify({ kind: "ExecCredential", status: { token: kube().token } });
        fs.writeFileSync(path.join(dir, "get-token.sh"), `#!/bin/bash\necho '${out}'\n`, { mode: 0o755 });
        file = path.join(dir, "config");
        fs.writeFileSync(
            file,
            stringify({
                clusters: [{ name: "test", cluster: { server: kube().server, "certificate-authority": "ca.pem" } }],
                users: [
                    { name: "admin", user: { token: kube().token } },
                    {
                        name: "plugin",
                        user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./get-token.sh" } },
                    },
                    { name: "jane", user: { token: kube().token, as: "jane", "as-groups": ["dev", "ops"] } },
                ],
                contexts: ["admin", "plugin", "jane"].map((u) => ({ name: u, context: { cluster: "test", user: u } })),
                "current-context": "admin",
            }),
        );
        // The adoption runs the `kubectl` on PATH: the one built with the API server.
        process.env.PATH = `${path.dirname(kube().kubectl)}${path.delimiter}${savedPath}`;
    });
    after(() => {
        process.env.PATH = savedPath;
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const who = (userInfo: Any) => ({ username: userInfo.username, groups: [...userInfo.groups].sort() });
    const expected: [string, { username: string; groups: string[] }][] = [
        ["plugin", { username: "admin", groups: ["system:authenticated", "system:masters"] }],
        ["jane", { username: "jane", groups: ["dev", "ops", "system:authenticated"] }],
    ];

    for (const [context, identity] of expected) {
        it(`the synchronous transport acts as ${identity.username} with context ${context}`, () => {
            const r = connectionFor({ kubeconfig: file, context });
            assert.ok(r.ok, r.ok ? "" : r.reason);
            const [version, answer] = requestsSync(r.connection, [{ method: "GET", path: "/version" }, review]);
            assert.ok("status" in version && version.status === 200 && /^v1\./.test(version.body.gitVersion));
            assert.ok("status" in answer && answer.status === 201, JSON.stringify(answer));
            assert.deepEqual(who(answer.body.status.userInfo), identity);
        });

        it(`the asynchronous transport reads as ${identity.username} with context ${context}`, async () => {
            const client = KubeClient.forTarget({ kubeconfig: file, context });
            if (identity.username === "jane") {
                // Nobody gave jane any rights: the API server took the request for hers.
                await assert.rejects(
                    client.get("/api/v1/namespaces/default"),
                    (e: Error) =>
                        e instanceof KubeRequestError && e.status === 403 && /User "jane" cannot get/.test(e.message),
                );
                return;
            }
            const ns = await client.get<Any>("/api/v1/namespaces/default");
            assert.equal(ns.metadata.name, "default");
            assert.equal(await client.get("/api/v1/namespaces/no-such-namespace"), undefined);
        });

        it(`kubectl acts as ${identity.username} with context ${context}`, () => {
            const r = kubectl({ kubeconfig: file, context }, ["auth", "whoami", "-o", "json"]);
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(who(JSON.parse(r.stdout).status.userInfo), identity);
        });
    }

    it("the three say the same about a kubeconfig path that does not exist", async () => {
        const typo: KubeconfigSource = { kubeconfig: path.join(dir, "confg") };
        const message = `cannot read the kubeconfig ${typo.kubeconfig} (\`kubernetes.kubeconfig\`): the file does not exist`;
        const sync = connectionFor(typo);
        assert.ok(!sync.ok && sync.reason.startsWith(message), JSON.stringify(sync));
        assert.throws(
            () => KubeClient.forTarget(typo),
            (e: Error) => e.message.startsWith(message),
        );
        assert.throws(
            () => kubectl(typo, ["version"]),
            (e: Error) => e.message.startsWith(message),
        );
    });
});
