/**
 * How the janitor's cases drive one backend: describeJanitorSuite (janitor-cases.ts) fills a
 * `JanitorBackends` in its before hook and hands every group of cases the `JanitorCaseSuite` made
 * from it. Its run() is where the invariants listed in janitor-cases.ts are checked, after every
 * run of every case; the seeds and answers here are the starting points most cases share.
 */
import { strict as assert } from "node:assert";

import { EndpointBehaviour, FakeSaas } from "./fake-saas";
import { KubeBackend, StoredObject, runJanitor } from "./kube-backend";
import {
    ACCESS_KEY,
    API,
    IMAGE_A,
    IMAGE_B,
    JanitorSuite,
    OBJECTS,
    RegistryAnswer,
    Run,
    SECRETS,
    Step,
    TokenAnswer,
    at,
    escapeRe,
    registryAnswer,
    registrySecret,
    show,
    tokenAnswer,
    tokenSecret,
    workerDeployment,
} from "./janitor-fixtures";

/** The fake SaaS and the Kubernetes backend a suite runs against (set in its before hook). */
export interface JanitorBackends {
    saas: FakeSaas;
    kube: KubeBackend;
}

/** JanitorSuite plus what only the shared cases use. */
export interface JanitorCaseSuite extends JanitorSuite {
    /** Every endpoint answers validly: a fresh token and registry credentials, and `image`. */
    answerAllValid(image?: string): { token: TokenAnswer; registry: RegistryAnswer };
}

export function janitorCaseSuite(backends: JanitorBackends): JanitorCaseSuite {
    const answer = (step: Step, b: EndpointBehaviour): void => backends.saas.set(API[step].method, API[step].path, b);
    const url = (step: Step, base = "http://127\\.0\\.0\\.1:\\d+"): string =>
        `${API[step].method} ${base}${escapeRe(API[step].path)}`;

    /** Runs the script and checks the invariants that hold for every run. */
    async function run(extraEnv: Record<string, string | undefined> = {}): Promise<Run> {
        const writesBefore = (await backends.kube.writes()).length;
        const callsBefore = (await backends.kube.kubectlCalls())?.length ?? 0;
        const requestsBefore = backends.saas.requests.length;
        const env = {
            BACKLINE_BASE_URL: backends.saas.baseUrl,
            BACKLINE_ACCESS_KEY: ACCESS_KEY,
            JANITOR_NAMESPACE: backends.kube.namespace,
            JANITOR_HTTP_TIMEOUT_SECONDS: "2",
            ...extraEnv,
        };
        const r = await runJanitor(backends.kube, env);
        const result: Run = {
            ...r,
            stdoutLines: r.stdout.split("\n").filter((l) => l !== ""),
            stderrLines: r.stderr.split("\n").filter((l) => l !== ""),
            writes: (await backends.kube.writes()).slice(writesBefore),
            calls: (await backends.kube.kubectlCalls())?.slice(callsBefore),
            requests: backends.saas.requests.slice(requestsBefore),
        };
        for (const line of [...result.stdoutLines, ...result.stderrLines]) {
            for (const secret of SECRETS) {
                assert.ok(!line.includes(secret), `an output line contains a secret value:\n${line}\n\n${show(r)}`);
            }
        }
        assert.ok(
            !result.stderr.includes("UNSUPPORTED"),
            `the kubectl stand-in met an unknown invocation:\n${show(r)}`,
        );
        for (const argv of result.calls ?? []) {
            const i = argv.indexOf("-n");
            assert.ok(
                i >= 0 && argv[i + 1] === backends.kube.namespace,
                `kubectl call without -n ${backends.kube.namespace}: ${argv.join(" ")}`,
            );
            for (const secret of SECRETS) {
                assert.ok(!argv.some((a) => a.includes(secret)), `a kubectl argv contains a secret: ${argv.join(" ")}`);
            }
        }
        if (env.BACKLINE_ACCESS_KEY === ACCESS_KEY) {
            for (const req of result.requests) {
                assert.equal(
                    req.headers.authorization,
                    `Bearer ${ACCESS_KEY}`,
                    `Authorization of ${req.method} ${req.path}`,
                );
                assert.equal(req.headers.accept, "application/json", `Accept of ${req.method} ${req.path}`);
            }
        }
        return result;
    }

    async function snapshot(): Promise<Map<string, StoredObject | undefined>> {
        const snap = new Map<string, StoredObject | undefined>();
        for (const [kind, name] of OBJECTS) snap.set(`${kind}/${name}`, await backends.kube.get(kind, name));
        return snap;
    }
    async function assertUnchanged(before: Map<string, StoredObject | undefined>, keys?: string[]): Promise<void> {
        for (const [key, was] of before) {
            if (keys && !keys.includes(key)) continue;
            const [kind, name] = key.split("/") as ["Secret" | "Deployment", string];
            const now = await backends.kube.get(kind, name);
            assert.equal(now?.resourceVersion, was?.resourceVersion, `${key}: resourceVersion changed`);
            assert.equal(now?.raw, was?.raw, `${key}: content changed`);
        }
    }

    /** Both secrets fresh for 2 h, the worker running `image`. */
    async function seedFresh(image = IMAGE_A): Promise<{ token: TokenAnswer; registry: RegistryAnswer }> {
        const token = tokenAnswer(at(7200));
        const registry = registryAnswer(at(7200));
        await backends.kube.seed(tokenSecret(token));
        await backends.kube.seed(registrySecret(registry));
        await backends.kube.seed(workerDeployment(image));
        return { token, registry };
    }
    /** Every step would write if the SaaS answered: both secrets expire in 2 min, worker on IMAGE_A. */
    async function seedStale(): Promise<void> {
        await backends.kube.seed(tokenSecret(tokenAnswer(at(120))));
        await backends.kube.seed(registrySecret(registryAnswer(at(120))));
        await backends.kube.seed(workerDeployment(IMAGE_A));
    }
    function answerAllValid(image = IMAGE_B): { token: TokenAnswer; registry: RegistryAnswer } {
        const token = tokenAnswer();
        const registry = registryAnswer(at(3600, { offsetMinutes: 120, fraction: ".250" }));
        answer("token", { body: token });
        answer("registry", { body: registry });
        answer("image", { body: { image } });
        return { token, registry };
    }

    return {
        get saas() {
            return backends.saas;
        },
        get kube() {
            return backends.kube;
        },
        answer,
        url,
        run,
        snapshot,
        assertUnchanged,
        seedFresh,
        seedStale,
        answerAllValid,
    };
}
