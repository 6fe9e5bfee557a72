/**
 * The mandatory AWS policies, each on resources that pass and on ones that fail: EFS encrypted,
 * NFS not open to the world, the collector role's trust conditions and the scope of its policy
 * (values unknown during a preview included). In the pack's order (policies.spec.ts checks it).
 */
import { TestResource, unknownValue } from "../harness";
import { collectorPolicyScoped, collectorTrustConditions, efsEncrypted, nfsNotOpen } from "../../src/aws";
import * as f from "../fixtures";
import { PolicyCases } from "./case";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

function sg(ingress: any[]): TestResource {
    return { type: f.T.securityGroup, name: "nfs", props: { vpcId: "vpc-1", ingress, egress: [] } };
}

const nfs = (cidrBlocks: string[], extra: any = {}) => ({
    protocol: "tcp",
    fromPort: 2049,
    toPort: 2049,
    cidrBlocks,
    ...extra,
});

export const awsCases: PolicyCases[] = [
    [
        efsEncrypted,
        [
            {
                title: "encrypted",
                resources: [{ type: f.T.fileSystem, name: "efs", props: { encrypted: true } }],
                expect: null,
            },
            {
                title: "not encrypted",
                resources: [{ type: f.T.fileSystem, name: "efs", props: { encrypted: false } }],
                expect: [/^EFS filesystem efs is not encrypted at rest: set encrypted: true/],
            },
        ],
    ],
    [
        nfsNotOpen,
        [
            { title: "NFS from the VPC", resources: [sg([nfs(["10.0.0.0/16"])])], expect: null },
            {
                title: "HTTPS from anywhere (not NFS)",
                resources: [sg([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }])],
                expect: null,
            },
            {
                title: "NFS from anywhere",
                resources: [sg([nfs(["0.0.0.0/0"])])],
                expect: [/^Security group nfs admits NFS \(port 2049\) from 0.0.0.0\/0: .*`efs.allowedCidrBlocks`/],
            },
            {
                title: "all traffic from ::/0",
                resources: [sg([{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }])],
                expect: [/from ::\/0/],
            },
            {
                title: "a separate rule opening every port",
                resources: [
                    {
                        type: f.T.securityGroupRule,
                        name: "r",
                        props: {
                            type: "ingress",
                            protocol: "tcp",
                            fromPort: 0,
                            toPort: 65535,
                            cidrBlocks: ["0.0.0.0/0"],
                        },
                    },
                ],
                expect: [/^Security group rule r admits NFS/],
            },
            {
                title: "an egress rule",
                resources: [
                    {
                        type: f.T.securityGroupRule,
                        name: "r",
                        props: { type: "egress", protocol: "-1", cidrBlocks: ["0.0.0.0/0"] },
                    },
                ],
                expect: null,
            },
            {
                title: "a VPC ingress rule",
                resources: [
                    {
                        type: f.T.ingressRule,
                        name: "v",
                        props: { ipProtocol: "tcp", fromPort: 2049, toPort: 2049, cidrIpv4: "0.0.0.0/0" },
                    },
                ],
                expect: [/rule v admits NFS/],
            },
        ],
    ],
    [
        collectorTrustConditions,
        [
            { title: "audience and subject", resources: [f.collectorRole()], expect: null },
            {
                title: "a service role (no web identity)",
                resources: [
                    {
                        type: f.T.iamRole,
                        props: {
                            assumeRolePolicy: JSON.stringify({
                                Statement: [
                                    {
                                        Effect: "Allow",
                                        Principal: { Service: "ec2.amazonaws.com" },
                                        Action: "sts:AssumeRole",
                                    },
                                ],
                            }),
                        },
                    },
                ],
                expect: null,
            },
            {
                title: "no subject",
                resources: [f.collectorRole({ StringEquals: { [`${f.issuer}:aud`]: "sts.amazonaws.com" } })],
                expect: [
                    /^IAM role collector: web-identity statement 0 does not check the token's sub, .*`logging.oidc.subject`/,
                ],
            },
            {
                title: "no condition",
                resources: [f.collectorRole(null)],
                expect: [/does not check the token's aud and sub/],
            },
            {
                title: "not JSON",
                resources: [{ type: f.T.iamRole, name: "broken", props: { assumeRolePolicy: "{" } }],
                expect: [/^IAM role broken: assumeRolePolicy is not a policy document/],
            },
        ],
    ],
    [
        collectorPolicyScoped,
        [
            {
                title: "its log group and X-Ray",
                resources: [f.collectorRole(), f.logGroup(), f.collectorPolicy([f.logsStatement, f.xrayStatement])],
                expect: null,
            },
            {
                title: "not known yet (preview)",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    { ...f.collectorPolicy([]), props: { role: "collector-1234567", policy: unknownValue } },
                ],
                expect: null,
            },
            {
                title: "a policy of another role",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    f.collectorPolicy([{ ...f.logsStatement, Resource: "*" }], "other"),
                ],
                expect: null,
            },
            {
                title: "every log group",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    f.collectorPolicy([{ ...f.logsStatement, Resource: "*" }]),
                ],
                expect: [
                    /^IAM role policy collector-policy of the collector role: statement 0 lets it write logs to \*; scope logs actions to arn:aws:logs:eu-central-1:123456789012:log-group:\/backline\/worker and/,
                ],
            },
            {
                title: "found through the role's property dependency",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    {
                        ...f.collectorPolicy(
                            [
                                {
                                    ...f.logsStatement,
                                    Resource: "arn:aws:logs:eu-central-1:123456789012:log-group:other",
                                },
                            ],
                            "unknown-name",
                        ),
                        propertyDependencies: { role: ["urn:pulumi:test::backline::aws:iam/role:Role::collector"] },
                    },
                ],
                expect: [/lets it write logs to arn:aws:logs:eu-central-1:123456789012:log-group:other;/],
            },
            {
                title: "S3 too",
                resources: [
                    f.collectorRole(),
                    f.logGroup(),
                    f.collectorPolicy([f.logsStatement, { Effect: "Allow", Action: "s3:GetObject", Resource: "*" }]),
                ],
                expect: [/statement 1 grants s3:GetObject; the collector needs only logs and xray actions/],
            },
        ],
    ],
];
