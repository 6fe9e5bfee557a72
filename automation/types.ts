/**
 * The public types of the Backline Automation API: the typed configuration (the same shape as the
 * stack configuration of `Pulumi.<stack>.yaml`, see the README's configuration reference), the
 * Kubernetes target, the options every operation takes, and what operations return.
 */
import type * as automation from "@pulumi/pulumi/automation";
import type { StackOutputValues } from "../components/outputs";
import type { StackConfigInput } from "../components/config";

// ---------------------------------------------------------------------------------------------
// The configuration: the input type of the program's own schema (components/config/schema.ts),
// so it cannot drift from what `Pulumi.<stack>.yaml` holds. Every key is optional except
// `baseUrl` and `accessKey`; the defaults are the program's (the Helm chart's).
// ---------------------------------------------------------------------------------------------

/**
 * The Backline configuration, in the shape of the stack configuration (`backline:*` keys).
 * Where Kubernetes is reached is not part of it: see {@link KubernetesTarget}.
 */
export type BacklineSettings = Omit<StackConfigInput, "kubernetes">;
export type JanitorSettings = NonNullable<BacklineSettings["janitor"]>;
export type WorkerSettings = NonNullable<BacklineSettings["worker"]>;
export type LoggingSettings = NonNullable<BacklineSettings["logging"]>;
export type EfsSettings = NonNullable<BacklineSettings["efs"]>;

/**
 * Where the stack is deployed; becomes the program's `kubernetes` config key.
 *
 * - `{ kubeconfig }`: a kubeconfig file path (`~/` is expanded, relative paths are resolved
 *   against the current directory) or the kubeconfig's contents (then stored as a secret);
 *   optionally with a `context` in it.
 * - `{ context }`: a context of the default kubeconfig (`$KUBECONFIG` or `~/.kube/config`).
 * - `{ renderToDirectory }`: write the manifests to this folder instead of applying them
 *   (`kubernetes.renderYamlToDirectory`); no cluster is contacted.
 *
 * `skipAwait`: do not wait for workloads to become ready (clusters without nodes, tests).
 */
export type KubernetesTarget =
    | { readonly kubeconfig: string; readonly context?: string; readonly skipAwait?: boolean }
    | { readonly context: string; readonly kubeconfig?: undefined; readonly skipAwait?: boolean }
    | { readonly renderToDirectory: string; readonly skipAwait?: boolean };

/** AWS provider settings (`aws:region`, `aws:profile`), needed only with `efs` or `logging.oidc`. */
export interface AwsSettings {
    readonly region?: string;
    readonly profile?: string;
}

// ---------------------------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------------------------

/** A stdout line of the engine (no trailing newline). */
export type OutputCallback = (line: string) => void;
export type EventCallback = (event: automation.EngineEvent) => void;

/** What every operation needs to find the stack. */
export interface StackOptions {
    /** The stack's name (`dev`, `prod`, `customer-a`): letters, digits, `-`, `_`, `.`. */
    readonly stackName: string;
    /**
     * This tool's own folder (`~` expanded): `<dataDir>/project` holds the project the operations run
     * (a `Pulumi.yaml` written from the package's, pointing at its program) and each stack's
     * `Pulumi.<stackName>.yaml` (its settings and encryption salt); `<dataDir>/state` is the local
     * file backend unless `stateDir` or `backendUrl` say otherwise. Never inside the installed
     * package. Default: `~/.backline`.
     */
    readonly dataDir?: string;
    /**
     * A Pulumi project directory of your own (a folder holding `Pulumi.yaml` and its program), used
     * as it is instead of `<dataDir>/project`. The stack configuration is written to
     * `<workDir>/Pulumi.<stackName>.yaml`, as `pulumi config set` would. Not inside `node_modules`;
     * this repository's folder only for stacks other than its committed `dev` and `prod`.
     */
    readonly workDir?: string;
    /** The state backend, e.g. `file:///var/lib/backline`, `s3://bucket`, `https://api.pulumi.com`. Wins over `stateDir`. */
    readonly backendUrl?: string;
    /** Folder of a local file backend (created if missing). Default: `<dataDir>/state` (`~/.backline/state`). */
    readonly stateDir?: string;
    /** Secrets provider of a new stack: `passphrase` (default), `awskms://…`, `gcpkms://…`, … */
    readonly secretsProvider?: string;
    /** The passphrase of the `passphrase` provider. Default: `PULUMI_CONFIG_PASSPHRASE(_FILE)` of the environment. */
    readonly passphrase?: string;
    /** Folder holding the `pulumi` binary to use. Default: see `locateEngine`. */
    readonly engineBinDir?: string;
    /** `PULUMI_HOME` of the engine (plugins, workspace selection). Default: the engine's own (`~/.pulumi`). */
    readonly pulumiHome?: string;
    /** Extra environment of the engine and the program (e.g. `AWS_PROFILE`, `KUBECONFIG`); wins over defaults. */
    readonly env?: Readonly<Record<string, string>>;
    /** Each stdout line of the engine, as it comes. Secrets are shown as `[secret]`. */
    readonly onOutput?: OutputCallback;
    /** Each engine event (resource steps, diagnostics, summary). */
    readonly onEvent?: EventCallback;
    /** Cancels the operation (the engine is interrupted and stops cleanly). */
    readonly signal?: AbortSignal;
    /** For tests and embedding: how a stack is opened. Default: a `LocalWorkspace` on the project folder. */
    readonly workspaceFactory?: WorkspaceFactory;
}

/** `preview` and `up`: the desired configuration too. */
export interface DeployOptions extends StackOptions {
    readonly config: BacklineSettings;
    readonly kubernetes: KubernetesTarget;
    readonly aws?: AwsSettings;
    /** Number of resource operations run in parallel (engine default when unset). */
    readonly parallel?: number;
    /** A message recorded with the update in the stack history. */
    readonly message?: string;
    /** Policy packs to run (docs/operate/policies.md). Default: none. */
    readonly policies?: PolicySettings;
}

/** Which policy packs a `preview` or `up` runs. */
export interface PolicySettings {
    /** Backline's own pack (`policy/` of this repository). Default: `true`. */
    readonly backline?: boolean;
    /** Your own packs: each a folder holding `PulumiPolicy.yaml` or an executable analyzer. Default: none. */
    readonly packs?: readonly string[];
}

/** A policy violation the engine reported. */
export interface PolicyViolation {
    /** `<pack>@v<version>`, e.g. `backline@v0.1.0`. */
    readonly policyPack: string;
    readonly policyName: string;
    /** The resource in violation; `undefined` for the stack as a whole. */
    readonly resourceUrn?: string;
    /** What the policy checks. */
    readonly description?: string;
    /** What is wrong and what to change (secrets redacted). */
    readonly message: string;
    /** `mandatory` violations fail the operation; `advisory` ones are only reported. */
    readonly enforcementLevel: "mandatory" | "advisory";
}

export interface DestroyOptions extends StackOptions {
    /** Also delete the stack (its history and `Pulumi.<stack>.yaml`) once empty. */
    readonly removeStack?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Results.
// ---------------------------------------------------------------------------------------------

/**
 * The stack outputs of `index.ts`, as values (`components/outputs.ts` declares them, for
 * `BacklineStackOutputs` too). Optional ones are absent when the feature is off.
 */
export type BacklineOutputs = StackOutputValues;

export interface OperationSummary {
    readonly created: number;
    readonly updated: number;
    readonly deleted: number;
    /** Replaced resources (delete + create of one resource). */
    readonly replaced: number;
    readonly same: number;
    /** Wall-clock time of the engine operation, in milliseconds. */
    readonly durationMs: number;
    /** The engine's counts per operation type, as reported (`create`, `update`, `same`, …). */
    readonly resourceChanges: Readonly<Record<string, number>>;
}

export interface UpResult {
    readonly stackName: string;
    readonly summary: OperationSummary;
    readonly outputs: BacklineOutputs;
    /** Advisory violations of the policy packs run (`policies`); empty when none ran. */
    readonly policyViolations: readonly PolicyViolation[];
}

export interface PreviewResult {
    readonly stackName: string;
    /** What an `up` would do now. */
    readonly summary: OperationSummary;
    /** The stack's current outputs (a preview changes nothing); `undefined` if never deployed. */
    readonly outputs: BacklineOutputs | undefined;
    /** Advisory violations of the policy packs run (`policies`); empty when none ran. */
    readonly policyViolations: readonly PolicyViolation[];
}

export interface RefreshResult {
    readonly stackName: string;
    readonly summary: OperationSummary;
    /** Why the engine was not run (a stack that renders manifests has no cluster to read). */
    readonly skipped?: string;
}

export interface DestroyResult {
    readonly stackName: string;
    readonly summary: OperationSummary;
    /** Always `undefined` after a destroy: the stack has no outputs left. */
    readonly outputs: undefined;
}

// ---------------------------------------------------------------------------------------------
// The stack port: what an operation needs from the engine. `LocalWorkspace` implements it
// (engine.ts); unit tests inject fakes through `workspaceFactory`.
// ---------------------------------------------------------------------------------------------

export interface WorkspaceRequest {
    readonly stackName: string;
    readonly workDir: string;
    /** `workDir` is the generated project: write its `Pulumi.yaml` (automation/project.ts) before opening it. */
    readonly generateProject: boolean;
    readonly backendUrl: string;
    readonly secretsProvider: string;
    /** Create the stack if it does not exist (`preview`, `up`); otherwise it must exist. */
    readonly create: boolean;
    /** Environment of the engine: backend, passphrase, plugin settings, the caller's `env`. */
    readonly envVars: Readonly<Record<string, string>>;
    readonly engineBinDir?: string;
    readonly pulumiHome?: string;
}

export interface EngineStack {
    readonly name: string;
    /** Every key of the stack configuration (`backline:worker`, `aws:region`, …). */
    configKeys(): Promise<string[]>;
    /** `pulumi config set-all --json` (the format of `pulumi config --json`). */
    setConfigJson(configJson: string): Promise<void>;
    /** Sets one secret value (with `path`: inside an object) without putting it on a command line. */
    setSecretConfig(key: string, value: string, path: boolean): Promise<void>;
    removeConfig(keys: readonly string[]): Promise<void>;
    /** One value of the stack configuration (decrypted), `undefined` when not set. */
    configValue(key: string): Promise<string | undefined>;
    /** Extra CLI arguments of the next `up`/`preview`/`refresh`/`destroy` call (once). */
    setExtraArgs(args: readonly string[]): void;
    /** Saves the stack configuration file; the returned function puts it back. */
    snapshotConfig(): Promise<() => Promise<void>>;
    up(opts: automation.UpOptions): Promise<automation.UpResult>;
    preview(opts: automation.PreviewOptions): Promise<automation.PreviewResult>;
    refresh(opts: automation.RefreshOptions): Promise<automation.RefreshResult>;
    destroy(opts: automation.DestroyOptions): Promise<automation.DestroyResult>;
    outputs(): Promise<automation.OutputMap>;
    /** The newest `pageSize` entries of `pulumi stack history`, newest first, secrets not decrypted. */
    history(pageSize: number): Promise<automation.UpdateSummary[]>;
    removeStack(): Promise<void>;
}

export type WorkspaceFactory = (request: WorkspaceRequest) => Promise<EngineStack>;
