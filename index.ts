/**
 * The Backline stack as a Pulumi program: read and validate the stack configuration, then build
 * everything. Other tools import `components/` instead and build the same `BacklineStack`.
 *
 * An async program: with `adopt.helmRelease` it first reads the live Helm release from the cluster
 * (`prepareAdoption`), refusing with every reason before any resource is declared.
 *
 * The stack outputs are `BacklineStackOutputs`: only the features in use have one.
 */
import * as k8s from "@pulumi/kubernetes";
import { BacklineStack, kubernetesProviderArgs, loadBacklineConfig, prepareAdoption } from "./components";

export = async () => {
    const config = loadBacklineConfig();
    const adoption = await prepareAdoption(config);
    const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(config.kubernetes));
    const stack = new BacklineStack("backline", { config, adoption }, { providers: [provider] });
    return stack.outputs;
};
