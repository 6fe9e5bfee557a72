/**
 * The Backline stack as a Pulumi program: read and validate the stack configuration, check the
 * cluster, then build everything. Other tools import `components/` instead and build the same
 * `BacklineStack` (after `preflightCluster`, to get the same early errors).
 *
 * With `adopt.helmRelease` the program first reads the live Helm release (`prepareAdoption`) and
 * refuses, with every reason, before any resource is declared.
 *
 * The stack outputs are `BacklineStackOutputs`: only the features in use have one.
 */
import * as k8s from "@pulumi/kubernetes";
import {
    BacklineStack,
    ConfigValidationError,
    kubernetesProviderArgs,
    parseBacklineConfig,
    preflightCluster,
    prepareAdoption,
    readStackConfig,
} from "./components";

// Read once: the adoption compares the values as given with the release's.
const { values, ...secrecy } = readStackConfig();
const parsed = parseBacklineConfig(values, secrecy);
if (!parsed.ok) throw new ConfigValidationError(parsed.problems);
const config = parsed.config;
// Before any resource, while the program loads: a refusal here changes nothing.
preflightCluster(config);
const adoption = prepareAdoption(config, { values });
const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(config.kubernetes));
const stack = new BacklineStack("backline", { config, adoption }, { providers: [provider] });

export = stack.outputs;
