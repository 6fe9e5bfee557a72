/**
 * The program (`index.ts`) under Pulumi mocks for its two storage variants: a cluster's own RWX
 * class (or an existing claim) with nothing made in AWS, and everything on AWS, where the stack
 * creates EFS, the collector's role and its log group and must scope each of them.
 */
import { strict as assert } from "assert";
import { ProgramRun, runProgram } from "./support/mocks";
import * as examples from "./fixtures/examples";
import { Any, assertCommonShape, container, deployment, envOf, T } from "./support/stack-shape";

describe("BacklineStack program", function () {
    this.timeout(30_000);

    describe("No-AWS storage: an existing RWX storage class", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.noAwsStorage);
        });

        it("claims on the named class and creates nothing in AWS", () => {
            assertCommonShape(run, "backline");
            const pvc = run.mocks.one(T.pvc, "worker-storage").inputs;
            assert.equal(pvc.spec.storageClassName, "nfs-client");
            assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
            assert.equal(
                run.mocks.resources.filter((r) => r.type.startsWith("aws:") || r.type.startsWith("random:")).length,
                0,
            );
            assert.equal(run.outputs.storageClassName, "nfs-client");
        });

        it("uses an existing claim by name when `worker.storage.pvc.create` is false", async () => {
            const existing = await runProgram({
                ...examples.noAwsStorage,
                worker: { storage: { pvc: { create: false, name: "team-share" } }, otel: { enabled: false } },
            });
            assert.equal(existing.mocks.ofType(T.pvc).length, 0);
            const pod = deployment(existing.mocks).spec.template.spec;
            assert.equal(
                pod.volumes.find((v: Any) => v.name === "storage").persistentVolumeClaim.claimName,
                "team-share",
            );
            assert.equal(envOf(container(pod, "worker")).BACKLINE_PVC_NAME, "team-share");
        });
    });

    describe("Everything on AWS: EFS and a collector role made by the stack", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(examples.fullAws);
        });

        it("creates an encrypted EFS filesystem with a mount target per subnet", () => {
            assertCommonShape(run, "backline");
            const fs = run.mocks.one(T.efs).inputs;
            assert.equal(fs.encrypted, true);
            assert.equal(fs.throughputMode, "elastic");
            const targets = run.mocks.ofType(T.mountTarget).map((t) => t.inputs);
            assert.deepEqual(
                targets.map((t) => t.subnetId),
                ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            );
            assert.ok(targets.every((t) => t.fileSystemId === "fs-0123456789abcdef0"));
            assert.equal(run.outputs.efsFileSystemId, "fs-0123456789abcdef0");
            assert.equal(run.outputs.storageClassName, "backline-efs-backline");
        });

        it("admits NFS only from the allowed CIDRs and security groups", () => {
            const sg = run.mocks.one(T.securityGroup).inputs;
            assert.equal(sg.vpcId, "vpc-0123456789abcdef0");
            assert.deepEqual(sg.egress, []);
            assert.deepEqual(
                sg.ingress.map((r: Any) => [r.protocol, r.fromPort, r.toPort, r.cidrBlocks ?? r.securityGroups]),
                [
                    ["tcp", 2049, 2049, ["10.0.0.0/16"]],
                    ["tcp", 2049, 2049, ["sg-0123456789abcdef0"]],
                ],
            );
        });

        it("binds the claim to an EFS CSI class with TLS and the worker's uid/gid", () => {
            const sc = run.mocks.one(T.storageClass).inputs;
            assert.equal(sc.metadata.name, "backline-efs-backline");
            assert.equal(sc.provisioner, "efs.csi.aws.com");
            assert.deepEqual(sc.mountOptions, ["tls"]);
            assert.equal(sc.reclaimPolicy, "Retain");
            assert.equal(sc.parameters.fileSystemId, "fs-0123456789abcdef0");
            assert.equal(sc.parameters.provisioningMode, "efs-ap");
            assert.equal(sc.parameters.uid, "1000");
            assert.equal(sc.parameters.gid, "1000");
            const pvc = run.mocks.one(T.pvc, "worker-storage").inputs;
            assert.equal(pvc.spec.storageClassName, "backline-efs-backline");
            const pod = deployment(run.mocks).spec.template.spec;
            assert.equal(pod.securityContext.runAsUser, 1000);
            assert.equal(pod.securityContext.fsGroup, 1000);
        });

        it("creates a log group with the retention and a role only Backline's tokens can assume", () => {
            const lg = run.mocks.one(T.logGroup).inputs;
            assert.deepEqual(
                { name: lg.name, retentionInDays: lg.retentionInDays },
                { name: "/backline/backline/worker", retentionInDays: 90 },
            );
            const trust = JSON.parse(run.mocks.one(T.iamRole).inputs.assumeRolePolicy);
            assert.deepEqual(trust.Statement, [
                {
                    Sid: "BacklineCollectorWebIdentity",
                    Effect: "Allow",
                    Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/app.backline.ai" },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "app.backline.ai:aud": "sts.amazonaws.com",
                            "app.backline.ai:sub": "tenant:acme",
                        },
                    },
                },
            ]);
        });

        it("allows the role to write to its log group and to X-Ray, nothing else", () => {
            const policy = JSON.parse(run.mocks.one(T.iamRolePolicy).inputs.policy);
            const group = "arn:aws:logs:us-east-1:123456789012:log-group:/backline/backline/worker";
            assert.deepEqual(policy.Statement[0].Resource, [group, `${group}:log-stream:*`]);
            assert.deepEqual(policy.Statement[0].Action, [
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ]);
            assert.ok(policy.Statement[1].Action.every((a: string) => a.startsWith("xray:")));
            assert.equal(policy.Statement.length, 2);
            const env = envOf(container(deployment(run.mocks).spec.template.spec, "adot-collector"));
            assert.match(env.AWS_ROLE_ARN, /^arn:aws:iam::123456789012:/);
            const config = JSON.parse(run.mocks.one(T.configMap, "adot-collector-config").inputs.data["config.json"]);
            assert.equal(
                config.exporters.awscloudwatchlogs.log_retention,
                undefined,
                "the stack created the group with its retention",
            );
        });
    });
});
