export { BacklineStack } from "./backlineStack";
export type { BacklineStackArgs, BacklineStackOutputs } from "./backlineStack";
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
export { JobAdmission } from "./jobAdmission";
export type { JobAdmissionArgs } from "./jobAdmission";
export { Outbound } from "./outbound";
export type { OutboundArgs } from "./outbound";
export { NetworkPolicies } from "./networkPolicies";
export type { NetworkPoliciesArgs } from "./networkPolicies";
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
export { names } from "./specs/common";
