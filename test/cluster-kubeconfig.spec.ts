/**
 * The one kubeconfig resolver (components/cluster/kubeconfig.ts): contents or path, what it says
 * about a kubeconfig it cannot use (and that it never shows a credential), `$KUBECONFIG` lists,
 * `~`, the pod's ServiceAccount, and the kubeconfig kubectl is given. Credentials and the
 * transports are in test/cluster-credentials.spec.ts and test/cluster-transports.spec.ts.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    KubeconfigError,
    KubeconfigSource,
    credentialsSync,
    isInlineKubeconfig,
    resolveKubeAccess,
    resolveKubeconfig,
} from "../components/cluster";
import { kubeconfigYaml, useTempDir } from "./fixtures/kubeconfig";

/** In every user of these kubeconfigs: no message may show it. */
const secret = "s3cr3t-t0ken-never-shown";
const kubeconfig = (over: Parameters<typeof kubeconfigYaml>[0] = {}) => kubeconfigYaml({ token: secret, ...over });

describe("kubeconfig resolver: contents or path (isInlineKubeconfig)", () => {
    const table: [string, boolean][] = [
        ["~/.kube/config", false],
        ["/etc/kube/prod.yaml", false],
        ["kubeconfig", false],
        ["./configs/apiVersion.yaml", false],
        ["C:\\Users\\me\\.kube\\config", false],
        ["apiVersion: v1\nkind: Config\n", true],
        ["clusters: []\r\n", true],
        ['{"apiVersion":"v1","kind":"Config"}', true],
        ["  apiVersion: v1", true],
        ["kind: Config", true],
        ["clusters: []", true],
    ];
    for (const [value, inline] of table) {
        it(`${JSON.stringify(value)} is ${inline ? "contents" : "a path"}`, () => {
            assert.equal(isInlineKubeconfig(value), inline);
        });
    }
});

describe("kubeconfig resolver: what it says about a kubeconfig it cannot use", () => {
    const tmp = useTempDir("backline-kubeconfig-");
    beforeEach(() => tmp.write("ca.pem", "CA"));
    const write = (name: string, text: string) => tmp.write(name, text);

    const cases: {
        name: string;
        source: (w: typeof write) => KubeconfigSource;
        env?: (d: string) => NodeJS.ProcessEnv;
        message: (d: string) => RegExp;
        /** Only the REST transports refuse it; kubectl is given it. */
        restOnly?: boolean;
    }[] = [
        {
            name: "a path that does not exist (never read as contents)",
            source: () => ({ kubeconfig: path.join(tmp.path(), "no-such-file") }),
            message: (d) =>
                new RegExp(
                    `^cannot read the kubeconfig ${d}/no-such-file \\(\`kubernetes\\.kubeconfig\`\\): the file does not exist\\. A one-line \`kubernetes\\.kubeconfig\` .* is a path: give the path of an existing kubeconfig file, or the kubeconfig's contents$`,
                ),
        },
        {
            name: "a `~` path that does not exist, named expanded",
            source: () => ({ kubeconfig: "~/.kube/typo" }),
            message: (d) =>
                new RegExp(`^cannot read the kubeconfig ${d}/\\.kube/typo \\(\`kubernetes\\.kubeconfig\`\\)`),
        },
        {
            name: "a folder",
            source: () => ({ kubeconfig: tmp.path() }),
            message: (d) => new RegExp(`^cannot read the kubeconfig ${d} \\(\`kubernetes\\.kubeconfig\`\\): EISDIR$`),
        },
        {
            name: "inline contents that are not YAML (no source line quoted)",
            source: () => ({ kubeconfig: `apiVersion: v1\nusers:\n- name: u\n  user: {token: ${secret}\n` }),
            message: () =>
                /^the kubeconfig `kubernetes\.kubeconfig` \(given inline\) is not valid YAML at line \d+ \([A-Z_]+\)$/,
        },
        {
            name: "a file that is not YAML",
            source: (w) => ({ kubeconfig: w("broken", `users:\n  - name: u\n    user: {token: "${secret}\n`) }),
            message: (d) => new RegExp(`^the kubeconfig ${d}/broken is not valid YAML at line \\d+`),
        },
        {
            name: "YAML that is not a kubeconfig",
            source: (w) => ({ kubeconfig: w("list", `- ${secret}\n- b\n`) }),
            message: (d) => new RegExp(`^the kubeconfig ${d}/list is not a kubeconfig`),
        },
        {
            name: "a `clusters` that is not a list",
            source: (w) => ({ kubeconfig: w("map", "clusters:\n  c: {}\n") }),
            message: (d) => new RegExp(`^the kubeconfig ${d}/map has a \`clusters\` that is not a list$`),
        },
        {
            name: "an unknown `kubernetes.context`, with the ones there are",
            source: (w) => ({ kubeconfig: w("config", kubeconfig()), context: "nope" }),
            message: (d) =>
                new RegExp(
                    `^context "nope" is not in the kubeconfig \\(${d}/config\\); \`kubernetes\\.context\` must name one of "main", "other"$`,
                ),
        },
        {
            name: "a `current-context` that names no context",
            source: (w) => ({ kubeconfig: w("config", kubeconfig({ current: "gone" })) }),
            message: () => /^context "gone" is not in the kubeconfig .*; the `current-context` must name one of "main"/,
        },
        {
            name: "no `current-context` and no `kubernetes.context`",
            source: (w) => ({ kubeconfig: w("config", kubeconfig({ current: "" })) }),
            message: () => /has no `current-context`: set `kubernetes\.context` to one of "main", "other"$/,
        },
        {
            name: "a context whose cluster is not there",
            source: (w) => ({
                kubeconfig: w("config", kubeconfig({ contexts: [{ name: "main", context: { cluster: "gone" } }] })),
            }),
            message: (d) =>
                new RegExp(`^context "main" \\(${d}/config\\) names cluster "gone", which is not in the kubeconfig$`),
        },
        {
            name: "a cluster without a server",
            source: (w) => ({ kubeconfig: w("config", kubeconfig({ clusters: [{ name: "c", cluster: {} }] })) }),
            message: (d) => new RegExp(`^cluster "c" \\(${d}/config\\) has no \`server\`$`),
        },
        {
            name: "a CA file that is not there, relative to its kubeconfig",
            source: (w) => {
                fs.rmSync(path.join(tmp.path(), "ca.pem"));
                return { kubeconfig: w("config", kubeconfig()) };
            },
            message: (d) =>
                new RegExp(
                    `^cannot read the \`certificate-authority\` of cluster "c" \\(${d}/config\\) ${d}/ca\\.pem: the file does not exist$`,
                ),
        },
        {
            name: "a client key file that is not there",
            source: (w) => ({
                kubeconfig: w(
                    "config",
                    kubeconfig({
                        users: [{ name: "u", user: { "client-certificate-data": "Q0VSVA==", "client-key": "k.pem" } }],
                    }),
                ),
            }),
            message: (d) => new RegExp(`^cannot read the \`client-key\` of user "u" \\(${d}/config\\) ${d}/k\\.pem`),
        },
        {
            name: "an `exec` without a command",
            source: (w) => ({ kubeconfig: w("config", kubeconfig({ users: [{ name: "u", user: { exec: {} } }] })) }),
            message: () => /^user "u" has an `exec` without a `command`$/,
        },
        {
            name: "no kubeconfig anywhere, outside a pod",
            source: () => ({}),
            env: (d) => ({ KUBECONFIG: `${d}/none${path.delimiter}${d}/neither` }),
            message: (d) =>
                new RegExp(
                    `^no kubeconfig found: \`kubernetes\\.kubeconfig\` is not set, no file at \\$KUBECONFIG=${d}/none:${d}/neither, and not running in a pod$`,
                ),
        },
        {
            name: "a `proxy-url` (REST transports only)",
            source: (w) => ({
                kubeconfig: w(
                    "config",
                    kubeconfig({
                        clusters: [{ name: "c", cluster: { server: "https://h", "proxy-url": "http://p:3128" } }],
                    }),
                ),
            }),
            message: () =>
                /^cluster "c" \(context "main" \(user "u"\)\) uses a `proxy-url`, which this client does not support$/,
            restOnly: true,
        },
        {
            name: "an `auth-provider` (REST transports only)",
            source: (w) => ({
                kubeconfig: w(
                    "config",
                    kubeconfig({
                        users: [
                            { name: "u", user: { "auth-provider": { name: "oidc", config: { "id-token": secret } } } },
                        ],
                    }),
                ),
            }),
            message: () =>
                /^user "u" uses an `auth-provider` \(oidc\), which Kubernetes removed; switch it to an `exec` plugin/,
            restOnly: true,
        },
    ];
    for (const c of cases) {
        it(`${c.name}: a KubeconfigError that says so`, () => {
            const dir = tmp.path();
            const source = c.source(write);
            const env = c.env?.(dir) ?? {};
            const opts = { home: dir, inClusterDir: path.join(dir, "no-pod") };
            if (c.restOnly) {
                const a = resolveKubeconfig(source, env, opts);
                assert.equal(a.kubeconfig.clusters.length, 1, "kubectl is given it");
            }
            let thrown: unknown;
            try {
                resolveKubeAccess(source, env, opts);
            } catch (err) {
                thrown = err;
            }
            assert.ok(thrown instanceof KubeconfigError, `expected a KubeconfigError, got ${String(thrown)}`);
            assert.match(thrown.message, c.message(dir));
            assert.ok(!thrown.message.includes(secret), thrown.message);
            assert.ok(!thrown.message.includes("\n"), "one line");
        });
    }
});

describe("kubeconfig resolver: finding and merging kubeconfigs as kubectl does", () => {
    const tmp = useTempDir("backline-kubeconfig-");
    const write = (name: string, text: string) => tmp.write(name, text);
    const opts = () => ({ home: tmp.path(), cwd: tmp.path(), inClusterDir: path.join(tmp.path(), "pod") });

    it("merges $KUBECONFIG first-wins (entries and current-context), skips missing files, paths relative to each file", () => {
        write("a/ca.pem", "CA of a");
        write("b/ca.pem", "CA of b");
        const a = write(
            "a/config",
            kubeconfig({
                current: "",
                clusters: [{ name: "c", cluster: { server: "https://a", "certificate-authority": "ca.pem" } }],
                users: [{ name: "u", user: { token: "from-a" } }],
                contexts: [],
            }),
        );
        const b = write(
            "b/config",
            kubeconfig({
                current: "main",
                clusters: [
                    { name: "c", cluster: { server: "https://b", "certificate-authority": "ca.pem" } },
                    { name: "d", cluster: { server: "https://d", "certificate-authority": "ca.pem" } },
                ],
                users: [{ name: "u", user: { token: "from-b" } }],
                contexts: [
                    { name: "main", context: { cluster: "c", user: "u" } },
                    { name: "dee", context: { cluster: "d", user: "u" } },
                ],
            }),
        );
        const env = { KUBECONFIG: [a, path.join(tmp.path(), "missing"), "", b].join(path.delimiter) };
        const main = resolveKubeconfig({}, env, opts());
        assert.equal(main.server, "https://a");
        assert.equal(String(main.ca), "CA of a");
        assert.equal(main.user.token, "from-a");
        assert.equal(main.describe, 'context "main" (user "u")');
        const dee = resolveKubeconfig({ context: "dee" }, env, opts());
        assert.equal(dee.server, "https://d");
        assert.equal(String(dee.ca), "CA of b");
    });

    it("expands `~` in `kubernetes.kubeconfig`, in $KUBECONFIG and in the paths a kubeconfig names", () => {
        write(".kube/ca.pem", "home CA");
        write(".kube/token", "home-token\n");
        const text = kubeconfig({
            clusters: [{ name: "c", cluster: { server: "https://h", "certificate-authority": "~/.kube/ca.pem" } }],
            users: [{ name: "u", user: { tokenFile: "~/.kube/token" } }],
        });
        write(".kube/prod", text);
        for (const [source, env] of [
            [{ kubeconfig: "~/.kube/prod" }, {}],
            [{}, { KUBECONFIG: "~/.kube/prod" }],
            [{ kubeconfig: text }, {}],
        ] as [KubeconfigSource, NodeJS.ProcessEnv][]) {
            const a = resolveKubeconfig(source, env, opts());
            assert.equal(String(a.ca), "home CA");
            assert.deepEqual(credentialsSync(a, {}).headers, { Authorization: "Bearer home-token" });
        }
    });

    it("reads ~/.kube/config when neither `kubernetes.kubeconfig` nor $KUBECONFIG is set", () => {
        write(".kube/config", kubeconfig({ clusters: [{ name: "c", cluster: { server: "https://home" } }] }));
        assert.equal(resolveKubeconfig({}, {}, opts()).server, "https://home");
    });

    it("takes a context's user that no file defines as anonymous", () => {
        const f = write("config", kubeconfig({ clusters: [{ name: "c", cluster: { server: "https://h" } }] }));
        const a = resolveKubeconfig({ kubeconfig: f, context: "other" }, {}, opts());
        assert.equal(a.describe, 'context "other" (user "v")');
        assert.deepEqual(credentialsSync(a, {}).headers, {});
    });

    describe("in a pod, without a kubeconfig: the ServiceAccount", () => {
        const pod = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443", KUBECONFIG: "/no/such" };
        beforeEach(() => {
            write("pod/token", "sa-token\n");
            write("pod/ca.crt", "cluster CA");
        });

        it("uses its token and CA", () => {
            const a = resolveKubeconfig({}, pod, opts());
            assert.equal(a.server, "https://10.96.0.1:443");
            assert.equal(String(a.ca), "cluster CA");
            assert.equal(a.describe, "the pod's ServiceAccount");
            assert.deepEqual(credentialsSync(a, {}).headers, { Authorization: "Bearer sa-token" });
            assert.deepEqual(a.kubeconfig.users, [
                { name: "in-cluster", user: { tokenFile: path.join(tmp.path(), "pod/token") } },
            ]);
            assert.equal(
                a.kubeconfig.clusters[0].cluster["certificate-authority"],
                path.join(tmp.path(), "pod/ca.crt"),
            );
        });

        it("brackets an IPv6 service address", () => {
            const a = resolveKubeconfig({}, { ...pod, KUBERNETES_SERVICE_HOST: "fd00::1" }, opts());
            assert.equal(a.server, "https://[fd00::1]:443");
        });

        const notInPod: [string, KubeconfigSource, NodeJS.ProcessEnv][] = [
            ["a context was asked for", { context: "prod" }, pod],
            ["no service port", {}, { ...pod, KUBERNETES_SERVICE_PORT: "" }],
            ["no service host", {}, { ...pod, KUBERNETES_SERVICE_HOST: undefined }],
        ];
        for (const [name, source, env] of notInPod) {
            it(`not when ${name}`, () => {
                assert.throws(() => resolveKubeconfig(source, env, opts()), /^KubeconfigError: no kubeconfig found/);
            });
        }

        it("not when a kubeconfig is found", () => {
            const f = write("config", kubeconfig({ clusters: [{ name: "c", cluster: { server: "https://h" } }] }));
            assert.equal(resolveKubeconfig({}, { ...pod, KUBECONFIG: f }, opts()).server, "https://h");
        });
    });
});

describe("kubeconfig resolver: the kubeconfig kubectl is given", () => {
    const tmp = useTempDir("backline-kubeconfig-");

    it("holds the one context, its cluster and user, as written but with absolute paths", () => {
        for (const f of ["ca.pem", "cert.pem", "key.pem"]) tmp.write(f, f);
        const file = tmp.write(
            "config",
            kubeconfig({
                clusters: [
                    {
                        name: "c",
                        cluster: { server: "https://h", "certificate-authority": "ca.pem", "proxy-url": "http://p" },
                    },
                    { name: "unused", cluster: { server: "https://x" } },
                ],
                users: [
                    {
                        name: "v",
                        user: {
                            "client-certificate": "cert.pem",
                            "client-key": "./key.pem",
                            tokenFile: "token",
                            exec: { command: "./bin/plugin", args: ["a"] },
                            as: "alice",
                        },
                    },
                    { name: "u", user: { token: secret } },
                ],
                contexts: [{ name: "other", context: { cluster: "c", user: "v", namespace: "ns" } }],
                current: "other",
            }),
        );
        assert.deepEqual(resolveKubeconfig({ kubeconfig: file }, {}).kubeconfig, {
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    name: "c",
                    cluster: {
                        server: "https://h",
                        "certificate-authority": path.join(tmp.path(), "ca.pem"),
                        "proxy-url": "http://p",
                    },
                },
            ],
            users: [
                {
                    name: "v",
                    user: {
                        "client-certificate": path.join(tmp.path(), "cert.pem"),
                        "client-key": path.join(tmp.path(), "key.pem"),
                        tokenFile: path.join(tmp.path(), "token"),
                        exec: { command: path.join(tmp.path(), "bin/plugin"), args: ["a"] },
                        as: "alice",
                    },
                },
            ],
            contexts: [{ name: "other", context: { cluster: "c", user: "v", namespace: "ns" } }],
            "current-context": "other",
        });
    });
});
