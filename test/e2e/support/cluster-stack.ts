/**
 * The one stack cluster.e2e.ts deploys and examines, and how its tests look at it: a control plane
 * with simulated nodes, the engine, a throw-away copy of the project and a fake SaaS (started by
 * `useClusterStack`'s before hook, stopped by its after hook), kubectl as admin and as the stack's
 * ServiceAccounts, the janitor run as its CronJob would run it, and the worker Deployment watched
 * during a `pulumi up`. The tests build on each other's state (one `pulumi up` after another on
 * the same stack), so they stay in one suite file; this keeps its setup out of the way.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ApiServer, KubectlResult, OlderMinor, canIAnswer, useApiServer } from "../../support/apiserver";
import { FakeSaas } from "../../support/fake-saas";
import { Engine, EngineEnv, REPO_ROOT, describeRun, engineEnv, findEngine, runPulumi } from "./engine";
import { ProjectCopy, copyProject } from "./project";

export const accessKey = "bk_cluster_0123456789abcdefSECRET";
export const ns = "backline";
export const defaultImage = "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:2faf8c5-1757332651";
export const janitorImage = "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:3abc123-1767000000";
/** The janitor image (`janitor.image.tag` in the suite's failing-install test) whose Job Pods kwok ends Failed. */
export const failingTag = "kwok-fails";
export const failingJanitorImage = `docker.io/dtzar/helm-kubectl:${failingTag}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

/**
 * The stack's fixture, for one `describe`: registers its before hook (the control plane first, then
 * the engine, the project copy and the fake SaaS; skips without the engine) and its after hooks.
 * `minor`: the control plane of an older supported Kubernetes minor instead of the newest.
 * `devStack`: the project's own Pulumi.dev.yaml and its documented passphrase, as `npm run local:up`
 * deploys it (`pulumi stack init dev` finds its settings), instead of an empty stack's.
 */
export function useClusterStack(opts: { readonly minor?: OlderMinor; readonly devStack?: boolean } = {}) {
    // A readiness delay long enough that a skipped await would be seen (timestamps have 1 s resolution).
    const kube = useApiServer({
        minor: opts.minor,
        kwok: { podReadyDelayMs: 1500, failImages: [failingJanitorImage] },
    });
    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let saas: FakeSaas;
    let janitorDir: string;

    const pulumi = async (args: string[], opts: { expectFailure?: boolean } = {}) => {
        const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 900_000 });
        if (!opts.expectFailure) assert.equal(r.code, 0, describeRun(args, r));
        return r;
    };

    const kubectl = (args: string[], input?: string) => {
        const r = kube().run(args, { input });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    const getJson = (kind: string, name: string): Any =>
        JSON.parse(kubectl(["get", kind, name, "-n", ns, "-o", "json", "--show-managed-fields"]));
    const exists = (kind: string, name: string, namespace = ns): boolean =>
        kube().run(["get", kind, name, "-n", namespace, "-o", "name"]).status === 0;
    const canI = (sa: string, verb: string, resource: string, extra: string[] = []): boolean => {
        const question = [verb, resource, "-n", ns, `--as=system:serviceaccount:${ns}:${sa}`, ...extra];
        return canIAnswer(kube().run(["auth", "can-i", ...question]), question.join(" "));
    };

    /**
     * Runs janitor/janitor.sh as the janitor ServiceAccount, with the env the CronJob gives it.
     * Asynchronously: the fake SaaS answers from this very process.
     */
    const runJanitor = async (): Promise<{ code: number | null; out: string }> => {
        const cron = getJson("cronjob", "janitor");
        const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
        const vars: Record<string, string> = {};
        for (const e of container.env as { name: string; value?: string }[]) {
            if (e.value !== undefined) vars[e.name] = e.value;
        }
        const token = kubectl(["create", "token", "janitor", "-n", ns]).trim();
        const config = parse(fs.readFileSync(kube().kubeconfig, "utf8"));
        config.users = [{ name: "janitor", user: { token } }];
        config.contexts = [{ name: "janitor", context: { cluster: config.clusters[0].name, user: "janitor" } }];
        config["current-context"] = "janitor";
        const kubeconfig = path.join(janitorDir, "kubeconfig");
        fs.writeFileSync(kubeconfig, JSON.stringify(config), { mode: 0o600 });
        const child = spawn("bash", [path.join(REPO_ROOT, "janitor", "janitor.sh")], {
            stdio: ["ignore", "pipe", "pipe"],
            env: {
                PATH: `${path.dirname(kube().kubectl)}:${process.env.PATH}`,
                HOME: janitorDir,
                TMPDIR: janitorDir,
                KUBECONFIG: kubeconfig,
                ...vars,
                BACKLINE_BASE_URL: saas.baseUrl,
                BACKLINE_ACCESS_KEY: accessKey,
                JANITOR_NAMESPACE: ns,
            },
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        return { code, out };
    };

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject(opts.devStack ? ["Pulumi.dev.yaml"] : []);
        env = engineEnv(engine, { passphrase: opts.devStack ? "backline-dev" : "cluster-e2e" });
        saas = await FakeSaas.start();
        janitorDir = fs.mkdtempSync(path.join(env.pulumiHome, "..", "janitor-"));
        const in1h = new Date(Date.now() + 3_600_000).toISOString();
        saas.set("POST", "/api/v1/onprem/token", { body: { token: "jwt.e2e.token", expiresAt: in1h } });
        saas.set("GET", "/api/v1/onprem/registry-credentials", {
            body: {
                registry: "580550010989.dkr.ecr.us-west-1.amazonaws.com",
                username: "AWS",
                password: "ecr-password",
                expiresAt: in1h,
            },
        });
        saas.set("GET", "/api/v1/onprem/worker-image", { body: { image: janitorImage } });
    });

    after(async () => {
        await saas?.close();
        project?.cleanup();
        env?.cleanup();
    });

    /** Every state of the Deployment `worker` while `during` runs, from `kubectl get --watch`. */
    const watchWorker = async <T>(during: () => Promise<T>): Promise<{ result: T; states: WorkerState[] }> => {
        const fields =
            "{.metadata.generation}|{.spec.replicas}|{.status.replicas}|{.status.updatedReplicas}|{.status.availableReplicas}";
        const child: ChildProcess = spawn(
            kube().kubectl,
            ["get", "deployment", "worker", "-n", ns, "--watch", "-o", `jsonpath=${fields}{"\\n"}`],
            { env: kube().env(), stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
        const closed = new Promise((resolve) => child.on("close", resolve));
        try {
            const result = await during();
            await new Promise((r) => setTimeout(r, 500)); // the last events
            return {
                result,
                states: out
                    .split("\n")
                    .filter((l) => l.includes("|"))
                    .map(parseWorkerState),
            };
        } finally {
            child.kill();
            await closed;
        }
    };
    return { kube, pulumi, kubectl, getJson, exists, canI, runJanitor, watchWorker };
}

export interface WorkerState {
    generation: number;
    specReplicas: number;
    replicas: number;
    updated: number;
    available: number;
}

/** One line of `generation|spec.replicas|status.replicas|updatedReplicas|availableReplicas` (absent = 0). */
function parseWorkerState(line: string): WorkerState {
    const [generation, specReplicas, replicas, updated, available] = line.split("|").map((f) => Number(f || "0"));
    return { generation, specReplicas, replicas, updated, available };
}

/** Polls `ok` every 250 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
        assert.ok(Date.now() < deadline, `timed out after ${timeoutMs / 1000} s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** A server-side dry run of `object` as ServiceAccount `account` of `ns`: admission runs, nothing is stored. */
export function dryRunAs(kube: ApiServer, account: string, object: Any): KubectlResult {
    return kube.run(["create", "--dry-run=server", "-f", "-", `--as=system:serviceaccount:${ns}:${account}`], {
        input: JSON.stringify({ metadata: { name: "dry-run", namespace: ns }, ...object }),
    });
}

export function condition(o: Any, type: string): Any {
    return (o.status?.conditions ?? []).find((c: Any) => c.type === type);
}
