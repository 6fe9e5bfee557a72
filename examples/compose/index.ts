/**
 * Backline as one part of a platform program: the claim's storage class, the collector's role ARN
 * and the access key are other resources' outputs and a secret, handed to `BacklineStack` as they
 * are (README "Use it from your own program"; the e2e suite test/e2e/compose.e2e.ts runs it).
 *
 *   pulumi config set baseUrl https://app.backline.ai
 *   pulumi config set --secret accessKey <key>
 *   pulumi config set collectorRoleArn arn:aws:iam::123456789012:role/backline-otel
 *   pulumi up
 *
 * A generated key takes the same place: `new random.RandomPassword("key", { length: 48 }).result`.
 */
// README:start
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BacklineStack } from "../../components";

const config = new pulumi.Config();
// Named by Pulumi: the name is known once the class exists.
const sharedFiles = new k8s.storage.v1.StorageClass("shared-files", {
    provisioner: "nfs.csi.k8s.io",
    parameters: { server: "nfs.internal", share: "/exports" },
});
// What the platform publishes for workloads; another module or stack may own it.
const platform = new k8s.core.v1.ConfigMap("platform-facts", {
    data: { roleArn: config.require("collectorRoleArn") },
});

const backline = new BacklineStack("backline", {
    baseUrl: config.require("baseUrl"),
    accessKey: config.requireSecret("accessKey"),
    worker: { storage: { pvc: { storageClassName: sharedFiles.metadata.name } } },
    logging: { region: "us-west-1", roleArn: platform.data.roleArn },
});

export const { namespace, claimName, collectorRoleArn, storageClassName } = backline.outputs;
// README:end
