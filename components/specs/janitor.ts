/**
 * The janitor's Job template, CronJob and RBAC, as pure functions of the configuration and of
 * the script's text. The script itself lives in `janitor/janitor.sh`; its environment contract
 * is documented in `janitor/README.md`.
 */
import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import {
    contentHash,
    janitorComponent,
    janitorHome,
    janitorObjectNames,
    janitorScriptDir,
    janitorScriptFile,
    names,
    scratchDir,
} from "../model";
import type { JanitorObjectNames, JanitorSpecInputs } from "../model";
import { packageRoot } from "../package-root";
import {
    canonicalJson,
    imageReference,
    labelsFor,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./common";
import { withJanitorJobSettings } from "./pod-settings";

/** A numeric non-root user: the image runs as root by default. */
export const janitorUid = 65532;

/**
 * The script as shipped in this package (`janitor/`, next to the sources and to `dist/`). Read when
 * a component is built, never at import.
 */
export function janitorScriptPath(): string {
    return path.join(packageRoot, "janitor", janitorScriptFile);
}

export function readJanitorScript(): string {
    return fs.readFileSync(janitorScriptPath(), "utf8");
}

export function buildJanitorEnv(i: JanitorSpecInputs): k8s.types.input.core.v1.EnvVar[] {
    const j = i.janitor;
    return [
        { name: "BACKLINE_BASE_URL", value: i.baseUrl },
        {
            name: "BACKLINE_ACCESS_KEY",
            valueFrom: { secretKeyRef: { name: names.accessKeySecret, key: names.accessKeySecretKey } },
        },
        { name: "JANITOR_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "JANITOR_REFRESH_WINDOW_SECONDS", value: String(j.refreshWindowSeconds) },
        { name: "JANITOR_HTTP_TIMEOUT_SECONDS", value: String(j.httpTimeoutSeconds) },
        { name: "JANITOR_UPDATE_WORKER_IMAGE", value: String(i.updateWorkerImage) },
        { name: "JANITOR_JWT_SECRET", value: janitorObjectNames.jwtSecret },
        { name: "JANITOR_DOCKERCONFIG_SECRET", value: janitorObjectNames.dockerconfigSecret },
        { name: "JANITOR_WORKER_DEPLOYMENT", value: janitorObjectNames.workerDeployment },
        { name: "JANITOR_WORKER_CONTAINER", value: names.workerContainer },
        { name: "HOME", value: janitorHome },
    ];
}

/**
 * The Job template shared by the CronJob and the install-time Job. The script's hash is an
 * annotation, so a change to the script is visible in the diff of `pulumi up`.
 */
export function buildJanitorJobSpec(i: JanitorSpecInputs, scriptHash: string): k8s.types.input.batch.v1.JobSpec {
    const j = i.janitor;
    const jobSpec: k8s.types.input.batch.v1.JobSpec = {
        backoffLimit: j.backoffLimit,
        activeDeadlineSeconds: j.activeDeadlineSeconds,
        template: {
            metadata: {
                labels: labelsFor(janitorComponent),
                annotations: { "backline.ai/janitor-script-sha256": scriptHash },
            },
            spec: {
                serviceAccountName: names.janitorServiceAccount,
                automountServiceAccountToken: true,
                restartPolicy: "Never",
                securityContext: restrictedPodSecurityContext({ runAsUser: janitorUid, runAsGroup: janitorUid }),
                containers: [
                    {
                        name: names.janitorContainer,
                        image: imageReference(j.image),
                        imagePullPolicy: j.image.pullPolicy,
                        command: ["bash", `${janitorScriptDir}/${janitorScriptFile}`],
                        env: buildJanitorEnv(i),
                        resources: resourceRequirements(j.resources),
                        securityContext: restrictedContainerSecurityContext(),
                        volumeMounts: [
                            { name: "script", mountPath: janitorScriptDir, readOnly: true },
                            { name: "home", mountPath: janitorHome },
                            { name: "tmp", mountPath: scratchDir },
                        ],
                    },
                ],
                volumes: [
                    { name: "script", configMap: { name: names.janitorScriptConfigMap, defaultMode: 0o555 } },
                    { name: "home", emptyDir: {} },
                    { name: "tmp", emptyDir: {} },
                ],
            },
        },
    };
    return withJanitorJobSettings(jobSpec, j, i.site);
}

export function buildJanitorCronJobSpec(
    i: JanitorSpecInputs,
    scriptHash: string,
): k8s.types.input.batch.v1.CronJobSpec {
    const j = i.janitor;
    return {
        schedule: j.schedule,
        // Two janitors racing on the same secrets would only waste SaaS calls.
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: j.startingDeadlineSeconds,
        successfulJobsHistoryLimit: j.successfulJobsHistoryLimit,
        failedJobsHistoryLimit: j.failedJobsHistoryLimit,
        jobTemplate: {
            metadata: { labels: labelsFor(janitorComponent) },
            spec: buildJanitorJobSpec(i, scriptHash),
        },
    };
}

/**
 * The install-time Job's name carries a hash of its spec: Jobs are immutable, so a changed
 * template (new script, new image) is a new Job that runs once more during `pulumi up`.
 */
export function janitorInstallJobName(jobSpec: k8s.types.input.batch.v1.JobSpec): string {
    return `${names.janitorInstallJobPrefix}-${contentHash(canonicalJson(jobSpec), 10)}`;
}

/**
 * The janitor may touch exactly two Secrets and, when it keeps the image fresh, one Deployment.
 * It writes Secrets with server-side apply (one call that creates or replaces), which the API
 * server authorizes as `patch`, plus `create` when the object does not exist yet; both are
 * limited to the two names because the apply request carries the name.
 */
export function buildJanitorRoleRules(
    updateWorkerImage: boolean,
    objects: JanitorObjectNames = janitorObjectNames,
): k8s.types.input.rbac.v1.PolicyRule[] {
    const rules: k8s.types.input.rbac.v1.PolicyRule[] = [
        {
            apiGroups: [""],
            resources: ["secrets"],
            resourceNames: [objects.jwtSecret, objects.dockerconfigSecret],
            verbs: ["get", "create", "patch"],
        },
    ];
    if (updateWorkerImage) {
        rules.push({
            apiGroups: ["apps"],
            resources: ["deployments"],
            resourceNames: [objects.workerDeployment],
            verbs: ["get", "patch"],
        });
    }
    return rules;
}
