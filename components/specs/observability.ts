/**
 * The ADOT collector sidecar: its container, its configuration and the IAM policies of the role
 * it assumes. Pure functions of the configuration.
 *
 * The collector authenticates with AssumeRoleWithWebIdentity, using the Backline JWT the janitor
 * keeps in Secret `jwt-token` as the web identity token file:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
 */
import type * as k8s from "@pulumi/kubernetes";
import { collectorConfigDir, collectorConfigFile, jwtTokenDir, names, scratchDir, workerVolumeNames } from "../model";
import type { CollectorSidecar, ObservabilityConfig, OidcTrust } from "../model";
import { resourceRequirements, restrictedContainerSecurityContext } from "./common";

/**
 * The collector configuration. JSON is valid YAML, and the collector reads YAML, so the program
 * needs no YAML library. Receivers listen on loopback only: the worker shares the pod's network.
 * Exporters: https://aws-otel.github.io/docs/getting-started/cloudwatch-metrics and
 * https://aws-otel.github.io/docs/getting-started/x-ray
 */
export function buildCollectorConfig(o: ObservabilityConfig): Record<string, unknown> {
    const region = o.region;
    const cloudwatch: Record<string, unknown> = {
        region,
        log_group_name: o.logGroupName,
        log_stream_name: "worker",
    };
    if (o.role.kind === "existing") {
        // Nobody created the group: the exporter does, and sets this retention when it does.
        cloudwatch.log_retention = o.retentionInDays;
    }
    return {
        extensions: { health_check: { endpoint: "127.0.0.1:13133" } },
        receivers: {
            otlp: {
                protocols: {
                    grpc: { endpoint: "127.0.0.1:4317" },
                    http: { endpoint: "127.0.0.1:4318" },
                },
            },
        },
        processors: {
            memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
            batch: {},
        },
        exporters: {
            awscloudwatchlogs: cloudwatch,
            awsxray: { region },
        },
        service: {
            extensions: ["health_check"],
            pipelines: {
                logs: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", "batch"],
                    exporters: ["awscloudwatchlogs"],
                },
                traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["awsxray"] },
            },
        },
    };
}

export function renderCollectorConfig(config: Record<string, unknown>): string {
    return `${JSON.stringify(config, null, 2)}\n`;
}

export function buildCollectorContainer(s: CollectorSidecar): k8s.types.input.core.v1.Container {
    return {
        name: names.collectorContainer,
        image: s.collector.image,
        imagePullPolicy: "IfNotPresent",
        args: [`--config=${collectorConfigDir}/${collectorConfigFile}`],
        env: [
            { name: "AWS_REGION", value: s.region },
            { name: "AWS_ROLE_ARN", value: s.roleArn },
            { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: `${jwtTokenDir}/token` },
            { name: "AWS_ROLE_SESSION_NAME", value: "backline-adot-collector" },
            { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
        ],
        resources: resourceRequirements(s.collector.resources),
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [
            { name: workerVolumeNames.collectorConfig, mountPath: collectorConfigDir, readOnly: true },
            { name: workerVolumeNames.jwtToken, mountPath: jwtTokenDir, readOnly: true },
            { name: workerVolumeNames.collectorTmp, mountPath: scratchDir },
        ],
    };
}

export function collectorVolumes(): k8s.types.input.core.v1.Volume[] {
    return [
        { name: workerVolumeNames.collectorConfig, configMap: { name: names.collectorConfigMap, defaultMode: 0o444 } },
        // Optional: on a fresh install the janitor may not have written the token yet; the kubelet
        // refreshes the files once it exists, and the pod must not be stuck waiting for it.
        {
            name: workerVolumeNames.jwtToken,
            secret: { secretName: names.jwtSecret, optional: true, defaultMode: 0o440 },
        },
        { name: workerVolumeNames.collectorTmp, emptyDir: {} },
    ];
}

/**
 * Who may assume the collector's role: only web-identity tokens from Backline's issuer, for our
 * audience and our subject. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
 */
export function buildCollectorTrustPolicy(oidc: OidcTrust): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "BacklineCollectorWebIdentity",
                Effect: "Allow",
                Principal: { Federated: oidc.providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${oidc.issuer}:aud`]: oidc.audience,
                        [`${oidc.issuer}:sub`]: oidc.subject,
                    },
                },
            },
        ],
    };
}

/**
 * Least privilege: write to this stack's log group only, and send traces. X-Ray's write actions
 * have no resource-level permissions, hence `*` there.
 * https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html
 */
export function buildCollectorPolicy(logGroupArn: string): Record<string, unknown> {
    const group = logGroupArn.replace(/:\*$/, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "WriteWorkerLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                Resource: [group, `${group}:log-stream:*`],
            },
            {
                Sid: "WriteTraces",
                Effect: "Allow",
                Action: [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                Resource: "*",
            },
        ],
    };
}
