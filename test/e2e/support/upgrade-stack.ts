/**
 * One stack of the upgrade suite (test/e2e/upgrade.e2e.ts): a shape (the release's own
 * `Pulumi.dev.yaml` or `Pulumi.prod.yaml`) deployed with a release's own program, its janitor run
 * once, then upgraded with the working tree's program on the same state. The steps run one after
 * the other as soon as the object is made; the suite's tests await each step's promise and judge
 * what it recorded, so that stacks of several releases and shapes run side by side.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, parseDocument } from "yaml";
import type { ApiServer } from "../../support/apiserver";
import { WatchEvent, watchEvents } from "../../support/watch";
import { Engine, RunResult, describeRun, runPulumi } from "./engine";
import { ProjectCopy, copyProject } from "./project";
import {
    Any,
    EXPECTED_REPLACEMENTS,
    PreviewStep,
    StateObject,
    forbiddenSteps,
    stateObjects,
    uidsOf,
    urnParts,
} from "./upgrade-checks";
import { ExecResult, ReleaseCheckout, exec, execOk } from "./upgrade-release";

/** A shape: one of the committed stack files, as each release has it. */
export interface Shape {
    readonly name: "dev" | "prod";
    /** The committed file's passphrase; none for prod (never committed): its secrets are made anew. */
    readonly passphrase?: string;
}

export const SHAPES: readonly Shape[] = [{ name: "dev", passphrase: "backline-dev" }, { name: "prod" }];

/** Worker replicas of every stack: an upgrade must keep them all available. */
export const REPLICAS = 2;
const SUITE_PASSPHRASE = "upgrade-e2e";
const ACCESS_KEY = "bk_upgrade_0123456789abcdefSECRET";

export interface SuiteContext {
    readonly kube: ApiServer;
    readonly engine: Engine;
    /** The fake SaaS's URL, for the janitor's run. */
    readonly saasUrl: string;
    /** Bounds how many engines run at once. */
    readonly limit: <T>(f: () => Promise<T>) => Promise<T>;
    /** The engine environment (PULUMI_HOME, file backend) of this release's stacks. */
    readonly env: NodeJS.ProcessEnv;
}

/** What a stack looked like: its objects' UIDs, the worker's image, its URNs. */
export interface Snapshot {
    readonly uids: Map<string, string>;
    readonly image: string;
    readonly urns: string[];
    /** Every URN an alias of a resource keeps. */
    readonly aliases: string[];
    /** The worker's pods (a change of its pod template replaces them all). */
    readonly pods: string[];
}

export interface Deployed extends Snapshot {
    /** The release's Kubernetes objects whose UIDs must stay (the expected replacements left out). */
    readonly objects: StateObject[];
    readonly janitor: ExecResult;
}

export interface Upgraded extends Snapshot {
    readonly run: RunResult;
    readonly events: WatchEvent[];
    readonly watchErrors: string[];
}

/** Collections watched while the working tree's `pulumi up` runs. */
function watchedPaths(ns: string): string[] {
    const core = ["secrets", "configmaps", "serviceaccounts", "services", "persistentvolumeclaims"];
    return [
        ...core.map((r) => `/api/v1/namespaces/${ns}/${r}`),
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        `/apis/batch/v1/namespaces/${ns}/cronjobs`,
        `/apis/batch/v1/namespaces/${ns}/jobs`,
        ...["roles", "rolebindings"].map((r) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${r}`),
        "/api/v1/namespaces",
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies",
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
    ];
}

/** A step that runs once `before` has succeeded, and says which step kept it from running otherwise. */
function then<A, B>(before: Promise<A>, what: string, f: (a: A) => Promise<B>): Promise<B> {
    return before.then(f, (err: Error) => {
        throw new Error(`not run: ${what} failed (${err.message.split("\n")[0]})`);
    });
}

export class StackUpgrade {
    /** `dev from 0.1.0`. */
    readonly label: string;
    /** Its own namespace, so that stacks of every release and shape share one cluster. */
    readonly namespace: string;
    /** How long each step took, ms. */
    readonly timings: Record<string, number> = {};
    readonly deployed: Promise<Deployed>;
    readonly previewed: Promise<PreviewStep[]>;
    readonly upgraded: Promise<Upgraded>;
    readonly previewedAgain: Promise<PreviewStep[]>;
    private project?: ProjectCopy;
    private readonly file: string;

    constructor(
        private readonly ctx: SuiteContext,
        private readonly checkout: ReleaseCheckout,
        readonly shape: Shape,
    ) {
        const version = checkout.release.version;
        this.label = `${shape.name} from ${version}`;
        this.file = `Pulumi.${shape.name}.yaml`;
        const base = parse(fs.readFileSync(path.join(checkout.dir, this.file), "utf8"))?.config?.[
            "backline:namespaceOverride"
        ];
        this.namespace = `${base ?? "backline"}-v${version.replace(/\./g, "-")}`;
        this.deployed = this.timed("deploy", () => this.deploy());
        this.previewed = then(this.deployed, `deploying ${this.label}`, () =>
            this.timed("preview", () => this.preview()),
        );
        this.upgraded = then(this.previewed, `the preview of ${this.label}`, (steps) =>
            this.timed("up", () => this.upgrade(steps)),
        );
        this.previewedAgain = then(this.upgraded, `the upgrade of ${this.label}`, () =>
            this.timed("preview again", () => this.previewSteps()),
        );
        // Each is awaited by a test; until then a rejection is not unhandled.
        for (const p of [this.deployed, this.previewed, this.upgraded, this.previewedAgain]) p.catch(() => undefined);
    }

    /** Settles once every step has ended, and removes the working tree's copy. */
    async done(): Promise<void> {
        await Promise.allSettled([this.previewedAgain]);
        this.project?.cleanup();
    }

    private async timed<T>(step: string, f: () => Promise<T>): Promise<T> {
        const t0 = Date.now();
        try {
            return await f();
        } finally {
            this.timings[step] = Date.now() - t0;
            this.trace(`${step} ended`);
        }
    }

    /** With UPGRADE_E2E_TRACE=1, a line per step as it ends (where the time goes). */
    private trace(what: string): void {
        if (process.env.UPGRADE_E2E_TRACE === "1") {
            console.log(`      [${new Date().toISOString().slice(11, 19)}] ${this.label}: ${what}`);
        }
    }

    /** `pulumi <args> --stack <shape>` in `cwd` with this stack's passphrase; fails unless it exits 0. */
    private async pulumi(cwd: string, args: string[], opts: { heavy?: boolean; mayFail?: boolean } = {}) {
        const full = args[0] === "stack" && args[1] === "init" ? args : [...args, "--stack", this.shape.name];
        const env = { ...this.ctx.env, PULUMI_CONFIG_PASSPHRASE: this.shape.passphrase ?? SUITE_PASSPHRASE };
        const run = () => runPulumi(full, { cwd, env, pulumi: this.ctx.engine.pulumi, timeoutMs: 900_000 });
        const r = opts.heavy ? await this.ctx.limit(run) : await run();
        if (!opts.mayFail && r.code !== 0) throw new Error(`${this.label}: ${describeRun(full, r)}`);
        return r;
    }

    private kubectl(args: string[]): Promise<ExecResult> {
        return execOk(this.ctx.kube.kubectl, args, { cwd: this.checkout.dir, env: this.ctx.kube.env() });
    }

    /** The release's own stack file and program: `stack init`, the suite's settings, `up`, the janitor once. */
    private async deploy(): Promise<Deployed> {
        const dir = this.checkout.dir;
        // The suite's settings go into the release's own file, as `pulumi config set --path` would
        // write them (fewer engine starts): its own namespace, the replicas, the test cluster.
        const stackFile = parseDocument(fs.readFileSync(path.join(dir, this.file), "utf8"));
        stackFile.setIn(["config", "backline:namespaceOverride"], this.namespace);
        stackFile.setIn(["config", "backline:worker", "replicaCount"], REPLICAS);
        stackFile.setIn(["config", "backline:kubernetes", "kubeconfig"], this.ctx.kube.kubeconfig);
        if (this.shape.passphrase === undefined) {
            // Its secrets are sealed with a passphrase nobody here has: they are left out, and the
            // access key is set again under the suite's passphrase.
            stackFile.deleteIn(["encryptionsalt"]);
            stackFile.deleteIn(["config", "backline:accessKey"]);
        }
        fs.writeFileSync(path.join(dir, this.file), stackFile.toString());
        await this.pulumi(dir, ["stack", "init", this.shape.name, "--secrets-provider", "passphrase"]);
        if (this.shape.passphrase === undefined) {
            await this.pulumi(dir, ["config", "set", "--secret", "accessKey", ACCESS_KEY]);
        }
        this.trace("stack made");
        await this.pulumi(dir, ["up", "--yes", "--skip-preview"], { heavy: true });
        this.trace("the release's up ended");
        const janitor = await this.runJanitor();
        if (janitor.code !== 0)
            throw new Error(`${this.label}: the janitor failed (exit ${janitor.code}):\n${janitor.stderr}`);
        await this.kubectl(["rollout", "status", "deployment/worker", "-n", this.namespace, "--timeout=180s"]);
        const exported = JSON.parse((await this.pulumi(dir, ["stack", "export"])).stdout);
        const objects = stateObjects(exported).filter((o) => {
            const { type, name } = urnParts(o.urn);
            return !EXPECTED_REPLACEMENTS.some((e) => e.type === type && e.name === name);
        });
        return { objects, janitor, ...(await this.snapshot(objects, exported)) };
    }

    /** UIDs of `objects` and of the janitor's Secrets, the worker's image, the URNs of `exported`. */
    private async snapshot(objects: readonly StateObject[], exported: Any): Promise<Snapshot> {
        const names = [...objects.map((o) => o.kubectl), "secret/jwt-token", "secret/dockerconfig"];
        const list = await this.kubectl(["get", "-n", this.namespace, "--ignore-not-found", "-o", "json", ...names]);
        const deployment = JSON.parse(
            (await this.kubectl(["get", "deployment", "worker", "-n", this.namespace, "-o", "json"])).stdout,
        );
        const pods = JSON.parse(
            (
                await this.kubectl([
                    "get",
                    "pods",
                    "-n",
                    this.namespace,
                    "-l",
                    "app.kubernetes.io/component=worker",
                    "-o",
                    "json",
                ])
            ).stdout,
        );
        const resources: Any[] = exported.deployment?.resources ?? [];
        return {
            pods: pods.items.map((p: Any) => p.metadata.name).sort(),
            uids: uidsOf(JSON.parse(list.stdout)),
            image: deployment.spec.template.spec.containers.find((c: Any) => c.name === "worker")?.image,
            urns: resources.map((r) => r.urn),
            aliases: resources.flatMap((r) => r.aliases ?? []),
        };
    }

    /**
     * The janitor as its CronJob runs it, once: the script the release deployed (ConfigMap
     * `janitor-script`), as ServiceAccount `janitor`, with the CronJob's environment, against the
     * fake SaaS. It writes Secrets `jwt-token` and `dockerconfig` and sets the worker's image.
     */
    private async runJanitor(): Promise<ExecResult> {
        const ns = this.namespace;
        const get = async (what: string) =>
            JSON.parse((await this.kubectl(["get", what, "-n", ns, "-o", "json"])).stdout);
        const script = (await get("configmap/janitor-script")).data["janitor.sh"];
        const container = (await get("cronjob/janitor")).spec.jobTemplate.spec.template.spec.containers[0];
        const vars: Record<string, string> = {};
        for (const e of container.env as { name: string; value?: string }[]) {
            if (e.value !== undefined) vars[e.name] = e.value;
        }
        const token = (await this.kubectl(["create", "token", "janitor", "-n", ns])).stdout.trim();
        const home = fs.mkdtempSync(path.join(path.dirname(this.checkout.dir), `janitor-${this.shape.name}-`));
        const config = parse(fs.readFileSync(this.ctx.kube.kubeconfig, "utf8"));
        config.users = [{ name: "janitor", user: { token } }];
        config.contexts = [{ name: "janitor", context: { cluster: config.clusters[0].name, user: "janitor" } }];
        config["current-context"] = "janitor";
        fs.writeFileSync(path.join(home, "kubeconfig"), JSON.stringify(config), { mode: 0o600 });
        fs.writeFileSync(path.join(home, "janitor.sh"), script);
        return exec("bash", [path.join(home, "janitor.sh")], {
            cwd: home,
            timeoutMs: 120_000,
            env: {
                PATH: `${path.dirname(this.ctx.kube.kubectl)}:${process.env.PATH}`,
                HOME: home,
                TMPDIR: home,
                KUBECONFIG: path.join(home, "kubeconfig"),
                ...vars,
                BACKLINE_BASE_URL: this.ctx.saasUrl,
                BACKLINE_ACCESS_KEY: ACCESS_KEY,
                JANITOR_NAMESPACE: ns,
            },
        });
    }

    /** The working tree's program with the stack file the release left, on the same backend. */
    private async preview(): Promise<PreviewStep[]> {
        this.project = copyProject();
        fs.copyFileSync(path.join(this.checkout.dir, this.file), path.join(this.project.dir, this.file));
        return this.previewSteps();
    }

    private async previewSteps(): Promise<PreviewStep[]> {
        const r = await this.pulumi(this.projectDir(), ["preview", "--json"], { heavy: true });
        return (JSON.parse(r.stdout).steps ?? []).map((s: Any) => ({
            op: s.op,
            urn: s.urn,
            diff: s.diffReasons ?? Object.keys(s.detailedDiff ?? {}),
        }));
    }

    private projectDir(): string {
        if (!this.project) throw new Error("the working tree's copy is made by the first preview");
        return this.project.dir;
    }

    /** `pulumi up` of the working tree, watched; refused when the preview would delete or replace. */
    private async upgrade(steps: readonly PreviewStep[]): Promise<Upgraded> {
        if (forbiddenSteps(steps).length > 0) {
            throw new Error("not run: the preview would delete or replace resources an upgrade must keep (see above)");
        }
        const deployed = await this.deployed;
        const w = watchEvents(this.ctx.kube, watchedPaths(this.namespace));
        await w.ready;
        try {
            const run = await this.pulumi(this.projectDir(), ["up", "--yes", "--skip-preview"], {
                heavy: true,
                mayFail: true,
            });
            await new Promise((r) => setTimeout(r, 1000)); // the last events
            const exported = JSON.parse((await this.pulumi(this.projectDir(), ["stack", "export"])).stdout);
            return {
                run,
                events: w.events,
                watchErrors: w.errors,
                ...(await this.snapshot(deployed.objects, exported)),
            };
        } finally {
            w.stop();
        }
    }
}
