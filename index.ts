/**
 * The Backline stack as a Pulumi program: read and validate the stack configuration, then build
 * everything. Other tools import `components/` instead and build the same `BacklineStack`.
 *
 * The stack outputs are `BacklineStackOutputs`: only the features in use have one.
 */
import * as k8s from "@pulumi/kubernetes";
import { BacklineStack, kubernetesProviderArgs, loadBacklineConfig } from "./components";

const config = loadBacklineConfig();
const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(config.kubernetes));
const stack = new BacklineStack("backline", { config }, { providers: [provider] });

export = stack.outputs;
