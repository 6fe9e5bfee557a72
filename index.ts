/**
 * The Backline stack as a Pulumi program: read and validate the stack configuration, then build
 * everything. Other tools import `components/` instead and build the same `BacklineStack`.
 */
import * as k8s from "@pulumi/kubernetes";
import { BacklineStack, kubernetesProviderArgs, loadBacklineConfig } from "./components";

const config = loadBacklineConfig();
const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(config.kubernetes));
const stack = new BacklineStack("backline", { config }, { providers: [provider] });

export const namespace = stack.namespace;
export const workerDeployment = stack.workerDeploymentName;
export const workerService = stack.workerServiceName;
export const janitorCronJob = stack.janitorCronJobName;
export const claimName = stack.claimName;
export const storageClassName = stack.storageClassName;
export const efsFileSystemId = stack.fileSystemId;
export const collectorRoleArn = stack.collectorRoleArn;
export const logGroupName = stack.logGroupName;
export const workerImageUpdates = stack.workerImageUpdates;
