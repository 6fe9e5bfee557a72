/**
 * The Backline stack as a Pulumi program: read and validate the stack configuration, check the
 * cluster, then build everything. Other tools import `components/` instead and build the same
 * `BacklineStack` (after `preflightCluster`, to get the same early errors).
 *
 * The stack outputs are `BacklineStackOutputs`: only the features in use have one.
 */
import * as k8s from "@pulumi/kubernetes";
import { BacklineStack, kubernetesProviderArgs, loadBacklineConfig, preflightCluster } from "./components";

const config = loadBacklineConfig();
// Before any resource, while the program loads: a refusal here changes nothing.
preflightCluster(config);
const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(config.kubernetes));
const stack = new BacklineStack("backline", { config }, { providers: [provider] });

export = stack.outputs;
