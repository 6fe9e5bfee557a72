/**
 * The Backline Automation API: deploy the Backline stack from another tool, with typed
 * configuration, progress callbacks, typed results and typed errors.
 *
 * ```ts
 * import { up } from "@backline/pulumi/automation";
 * const result = await up({
 *     stackName: "customer-a",
 *     config: { baseUrl: "https://app.backline.ai", accessKey, worker: { replicaCount: 2 } },
 *     kubernetes: { kubeconfig: "~/.kube/customer-a" },
 *     passphrase,
 *     onOutput: (line) => console.log(line),
 * });
 * console.log(result.summary, result.outputs.namespace);
 * ```
 *
 * Every operation runs the same program as `pulumi up` in this repository (`index.ts`, compiled to
 * `dist/index.js` in the installed package), through a `LocalWorkspace` on a project folder of the
 * tool's own: `<dataDir>/project` (default `~/.backline/project`, see ./project.ts), or `workDir`.
 * An operation is prepared (./prepare.ts: the options resolved and checked, every problem at once
 * as an `InvalidConfigError`, before anything else happens), then executed (./execute.ts). This
 * module only says what the package exports.
 */
export * from "./types";
export { destroy, outputs, preview, refresh, stackHistory, up } from "./operations";
export * from "./fleet";
export {
    BacklineAutomationError,
    ConcurrentUpdateError,
    EngineMissingError,
    InvalidConfigError,
    PassphraseError,
    PolicyViolationError,
    StackNotFoundError,
    UpdateFailedError,
    classifyEngineError,
    formatInvalidConfig,
} from "./errors";
export { redact } from "./text";
export type { Operation } from "./errors";
export { backlinePolicyPack } from "./policy";
export {
    PROJECT,
    isInlineKubeconfig,
    kubernetesConfigFor,
    planStackConfig,
    toStackConfigValues,
    validateDeployment,
} from "./config";
export type { ConfigValueJson, SecretConfigValue, StackConfigPlan } from "./config";
export { localWorkspaceFactory, locateEngine } from "./engine";
export { packageRoot } from "../components/package-root";
export { committedStacks, defaultDataDir, programPath, projectDirOf, stackConfigFile } from "./project";
export type { EngineLocation } from "./engine";
export type { ConfigProblem } from "../components/config";
