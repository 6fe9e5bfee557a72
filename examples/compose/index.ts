/**
 * Backline as one part of a platform program: the storage class, the collector's role ARN and the
 * access key are outputs of other resources and of the stack's secrets, handed to `BacklineStack`
 * as they are. `pulumi preview` shows every object; each value is checked when it resolves.
 *
 *   pulumi config set baseUrl https://app.backline.ai
 *   pulumi config set --secret accessKey <key>
 *   pulumi config set collectorRoleArn arn:aws:iam::123456789012:role/backline-otel
 *   pulumi up
 *
 * Generated instead of stored: `accessKey: new random.RandomPassword("backline-key", { length: 48,
 * special: false }).result` (@pulumi/random) takes the same place.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BacklineStack } from "../../components";

const config = new pulumi.Config();

// The platform's shared-files class (here NFS through its CSI driver), named by Pulumi: its name
// is known only once it exists, and reaches the claim as it is.
const sharedFiles = new k8s.storage.v1.StorageClass("shared-files", {
    provisioner: "nfs.csi.k8s.io",
    parameters: { server: "nfs.internal", share: "/exports" },
    reclaimPolicy: "Retain",
});

// What the platform publishes for the workloads on this cluster; another stack or module may own it.
const platform = new k8s.core.v1.ConfigMap("platform-facts", {
    metadata: { namespace: "default" },
    data: { collectorRoleArn: config.require("collectorRoleArn"), region: "us-west-1" },
});

const backline = new BacklineStack("backline", {
    baseUrl: config.require("baseUrl"),
    namespaceOverride: config.get("namespace"),
    accessKey: config.requireSecret("accessKey"),
    worker: { storage: { pvc: { storageClassName: sharedFiles.metadata.name } } },
    logging: {
        // Read from another resource: known once it exists, checked when it resolves.
        region: platform.data.apply((d) => d.region),
        roleArn: platform.data.apply((d) => d.collectorRoleArn),
    },
    commonLabels: { "platform.example.com/owner": "platform-team" },
    kubernetes: { skipAwait: config.getBoolean("skipAwait") ?? false },
});

export const namespace = backline.outputs.namespace;
export const claimName = backline.outputs.claimName;
export const collectorRoleArn = backline.outputs.collectorRoleArn;
export const storageClassName = sharedFiles.metadata.name;
