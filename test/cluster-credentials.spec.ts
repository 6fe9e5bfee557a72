/**
 * The credentials of a resolved kubeconfig user (components/cluster/credentials.ts): tokens, token
 * files, basic auth, client certificates, impersonation, and exec credential plugins — each plugin
 * case run both ways, synchronously (the preflight, kubectl) and not (the health gate), with tiny
 * bash plugins: success, failure, a plugin that hangs (the timeout), one that is not installed.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import {
    Credentials,
    KubeconfigError,
    credentialsFor,
    credentialsSync,
    resolveKubeconfig,
} from "../components/cluster";
import { useTempDir } from "./fixtures/kubeconfig";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const tmp = useTempDir("backline-credentials-");
const write = tmp.write;

/** A kubeconfig file of one context whose user is `user`. */
function accessFor(user: Any, cluster: Any = {}) {
    const file = write(
        "config",
        stringify({
            clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", ...cluster } }],
            users: [{ name: "u", user }],
            contexts: [{ name: "main", context: { cluster: "c", user: "u" } }],
            "current-context": "main",
        }),
    );
    return resolveKubeconfig({ kubeconfig: file }, {});
}

describe("cluster credentials: the user's own", () => {
    const cases: { name: string; user: (w: typeof write) => Any; headers: Record<string, Any>; cert?: string }[] = [
        { name: "no credentials: anonymous", user: () => ({}), headers: {} },
        { name: "a token", user: () => ({ token: "t0ken" }), headers: { Authorization: "Bearer t0ken" } },
        {
            name: "a token file, relative to the kubeconfig, trimmed",
            user: (w) => ({ tokenFile: path.basename(w("token", "file-token\n")) }),
            headers: { Authorization: "Bearer file-token" },
        },
        {
            name: "a token over a token file and an exec plugin (neither read nor run)",
            user: () => ({ token: "t", tokenFile: "/no/such", exec: { command: "false" } }),
            headers: { Authorization: "Bearer t" },
        },
        {
            name: "basic authentication",
            user: () => ({ username: "admin", password: "pw" }),
            headers: { Authorization: `Basic ${Buffer.from("admin:pw").toString("base64")}` },
        },
        {
            name: "a client certificate from files",
            user: (w) => ({ "client-certificate": w("c.pem", "CERT"), "client-key": w("k.pem", "KEY") }),
            headers: {},
            cert: "CERT/KEY",
        },
        {
            name: "a client certificate inline, with a token",
            user: () => ({
                "client-certificate-data": Buffer.from("CERT").toString("base64"),
                "client-key-data": Buffer.from("KEY").toString("base64"),
                token: "t",
            }),
            headers: { Authorization: "Bearer t" },
            cert: "CERT/KEY",
        },
        {
            name: "impersonation: user, uid, one header per group and per extra value",
            user: () => ({
                token: "t",
                as: "alice",
                "as-uid": "42",
                "as-groups": ["dev", "ops"],
                "as-user-extra": { scopes: ["view", "edit"], "team/name": ["a b"] },
            }),
            headers: {
                Authorization: "Bearer t",
                "Impersonate-User": "alice",
                "Impersonate-Uid": "42",
                "Impersonate-Group": ["dev", "ops"],
                "Impersonate-Extra-scopes": ["view", "edit"],
                "Impersonate-Extra-team%2Fname": ["a b"],
            },
        },
    ];
    for (const c of cases) {
        it(c.name, async () => {
            const a = accessFor(c.user(write));
            for (const creds of [credentialsSync(a, {}), await credentialsFor(a, {})]) {
                assert.deepEqual(creds.headers, c.headers);
                assert.equal(creds.cert && `${creds.cert}/${creds.key}`, c.cert);
                assert.equal(creds.expires, undefined);
            }
        });
    }

    it("reads a token file at each use (a projected token rotates)", () => {
        const a = accessFor({ tokenFile: write("token", "one") });
        assert.deepEqual(credentialsSync(a, {}).headers, { Authorization: "Bearer one" });
        write("token", "two");
        assert.deepEqual(credentialsSync(a, {}).headers, { Authorization: "Bearer two" });
        fs.rmSync(path.join(tmp.path(), "token"));
        assert.throws(
            () => credentialsSync(a, {}),
            (e: Error) =>
                e instanceof KubeconfigError &&
                e.message === `cannot read the \`tokenFile\` of user "u", ${tmp.path()}/token: the file does not exist`,
        );
    });
});

/** Both ways of running a plugin, as one function of the access. */
const ways: [
    string,
    (a: ReturnType<typeof accessFor>, env: NodeJS.ProcessEnv, timeoutMs?: number) => Promise<Credentials>,
][] = [
    ["synchronously", async (a, env, t) => credentialsSync(a, env, { execTimeoutMs: t })],
    ["asynchronously", (a, env, t) => credentialsFor(a, env, { execTimeoutMs: t })],
];

const credential = (status: object) =>
    JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status });

describe("cluster credentials: exec credential plugins", () => {
    const env = { PATH: process.env.PATH, FROM_CALLER: "caller" };
    for (const [way, run] of ways) {
        describe(way, () => {
            it("runs the plugin (relative to its kubeconfig) with its args, env and KUBERNETES_EXEC_INFO", async () => {
                write(
                    "plugin.sh",
                    "#!/bin/bash\nset -euo pipefail\n" +
                        'printf \'%s\' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info.json"\n' +
                        `printf '${credential({ token: "%s-%s-%s" })}' "$1" "$REGION" "$FROM_CALLER"\n`,
                    0o755,
                );
                const a = accessFor(
                    {
                        exec: {
                            apiVersion: "client.authentication.k8s.io/v1beta1",
                            command: "./plugin.sh",
                            args: ["arg"],
                            env: [{ name: "REGION", value: "eu" }],
                            provideClusterInfo: true,
                        },
                    },
                    {
                        "certificate-authority-data": Buffer.from("CA").toString("base64"),
                        extensions: [{ name: "client.authentication.k8s.io/exec", extension: { audience: "x" } }],
                    },
                );
                const creds = await run(a, env);
                assert.deepEqual(creds.headers, { Authorization: "Bearer arg-eu-caller" });
                assert.deepEqual(JSON.parse(fs.readFileSync(path.join(tmp.path(), "info.json"), "utf8")), {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    kind: "ExecCredential",
                    spec: {
                        interactive: false,
                        cluster: {
                            server: "https://10.0.0.1:6443",
                            "insecure-skip-tls-verify": false,
                            "certificate-authority-data": Buffer.from("CA").toString("base64"),
                            config: { audience: "x" },
                        },
                    },
                });
            });

            it("takes a client certificate and the expiry from the plugin", async () => {
                const out = credential({
                    clientCertificateData: "CERT",
                    clientKeyData: "KEY",
                    expirationTimestamp: "2030-01-02T03:04:05Z",
                });
                write("plugin.sh", `#!/bin/bash\necho '${out}'\n`, 0o755);
                const creds = await run(accessFor({ exec: { command: path.join(tmp.path(), "plugin.sh") } }), env);
                assert.deepEqual(creds.headers, {});
                assert.equal(`${creds.cert}/${creds.key}`, "CERT/KEY");
                assert.equal(creds.expires, Date.parse("2030-01-02T03:04:05Z"));
            });

            const failures: [string, string, Any, RegExp][] = [
                [
                    "exits non-zero: its last line of stderr",
                    "#!/bin/bash\necho 'starting' >&2\necho 'no credentials' >&2\nexit 3\n",
                    {},
                    /^user "u": the exec credential plugin \.\/plugin\.sh exited 3: no credentials$/,
                ],
                [
                    "prints no JSON",
                    "#!/bin/bash\necho 'token: x'\n",
                    {},
                    /^user "u": the exec credential plugin \.\/plugin\.sh printed no ExecCredential JSON$/,
                ],
                [
                    "issues neither a token nor a certificate",
                    `#!/bin/bash\necho '${credential({})}'\n`,
                    {},
                    /returned neither a token nor a client certificate$/,
                ],
                [
                    "is not installed: with its install hint",
                    "",
                    { command: "backline-no-such-plugin", installHint: "Install it with: brew install x\n" },
                    /^user "u": the exec credential plugin backline-no-such-plugin did not start: .*ENOENT \(Install it with: brew install x\)$/,
                ],
            ];
            for (const [name, script, exec, message] of failures) {
                it(`says so when the plugin ${name}`, async () => {
                    if (script) write("plugin.sh", script, 0o755);
                    const a = accessFor({ exec: { command: "./plugin.sh", ...exec } });
                    await assert.rejects(run(a, env), (e: Error) => {
                        assert.ok(e instanceof KubeconfigError, String(e));
                        assert.match(e.message, message);
                        return true;
                    });
                });
            }

            it("stops a plugin that hangs after the timeout, and says so", async () => {
                // `sleep` is a child of the script: it keeps the output open after the script is killed.
                write("plugin.sh", "#!/bin/bash\nsleep 20\n", 0o755);
                const started = Date.now();
                await assert.rejects(
                    run(accessFor({ exec: { command: "./plugin.sh" } }), env, 300),
                    /^KubeconfigError: user "u": the exec credential plugin \.\/plugin\.sh gave no credential within 0\.3 s and was stopped$/,
                );
                assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
            });
        });
    }
});
