export { BacklineStack } from "./backline-stack";
export type { BacklineStackArgs, BacklineStackOutputs } from "./backline-stack";
export { BacklineNamespace } from "./namespace";
export type { BacklineNamespaceArgs } from "./namespace";
export { WorkerStorage } from "./storage";
export type { WorkerStorageArgs } from "./storage";
export { Observability } from "./observability";
export type { ObservabilityArgs } from "./observability";
export { Worker } from "./worker";
export type { WorkerArgs } from "./worker";
export { Janitor } from "./janitor";
export type { JanitorArgs } from "./janitor";
export { JobAdmission } from "./job-admission";
export type { JobAdmissionArgs } from "./job-admission";
export { Outbound } from "./outbound";
export type { OutboundArgs } from "./outbound";
export { NetworkPolicies } from "./network-policies";
export type { NetworkPoliciesArgs } from "./network-policies";
export {
    ConfigValidationError,
    formatProblems,
    loadBacklineConfig,
    parseBacklineConfig,
    readStackConfig,
} from "./config";
export type { BacklineConfig, ConfigProblem, ParseResult, ResolvedConfig, StackConfigInput } from "./config";
export { kubernetesProviderArgs } from "./provider";
export { ClusterPreflightError, preflightCluster } from "./preflight";
export type { PreflightOptions } from "./preflight";
export { AdoptionRefusedError, HelmReleaseRemoval, HelmTakeover, prepareAdoption } from "./adoption";
export type {
    HelmReleaseRemovalArgs,
    HelmReleaseRemovalResult,
    HelmTakeoverArgs,
    PreparedAdoption,
    PrepareOptions,
} from "./adoption";
export { names } from "./model";
