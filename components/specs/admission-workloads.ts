/**
 * The job admission policy's rules about the stack's own workloads (the pod-spec rules are in
 * `admission.ts`, which puts both together): the worker's Jobs may not carry the labels that select
 * the worker's or the janitor's pods, nor pose as runs of CronJob `janitor`; and the worker may not
 * delete the janitor's Jobs.
 *
 * Why: the Jobs run untrusted code by design (generated code, dependency upgrades). A pod with the
 * worker's selector, once Ready, gets the worker Service's traffic and counts toward its
 * PodDisruptionBudget. A Job named like one of the CronJob's runs (`janitor-<minutes since the
 * epoch>`) keeps that run from starting: the CronJob controller takes a Job of that name that it
 * does not control for someone else's and skips the run. And `delete jobs`, which the worker needs
 * for its own runs, also reaches the janitor's: deleting them keeps `jwt-token` and `dockerconfig`
 * from being refreshed. Selectors match by all of their pairs, so a part of one alone is admitted.
 */
import { janitorComponent, names, workerComponent } from "../model";
import type { JobAdmissionInputs } from "../model";
import { celHasAllLabels, celString, labelPairs } from "./cel";
import { selectorFor } from "./common";
import { workerSelector } from "./worker";

export type Variable = { name: string; expression: string };
export type Validation = { expression: string; messageExpression: string; message: string };

/** A selector of the stack's workloads, and how a refusal names it. */
export interface ReservedSelector {
    readonly labels: Readonly<Record<string, string>>;
    readonly says: string;
}

/**
 * The selectors the worker's Jobs may not match: the one Deployment `worker` really uses (an
 * adopted release's, or the stack's), the stack's own for the worker (when the live one differs)
 * and the janitor's. Each once, none empty (an empty selector would match every pod).
 */
export function reservedSelectors(i: JobAdmissionInputs): ReservedSelector[] {
    const candidates: ReservedSelector[] = [
        {
            labels: workerSelector(i.workerSelectorOverride),
            says: `the selector of Deployment ${names.workerDeployment}, its Service and its PodDisruptionBudget`,
        },
        { labels: selectorFor(workerComponent), says: "the stack's labels of the worker's pods" },
        { labels: selectorFor(janitorComponent), says: "the labels of the janitor's Jobs and pods" },
    ];
    const seen = new Set<string>();
    return candidates.filter((s) => {
        const key = JSON.stringify(Object.entries(s.labels).sort());
        if (Object.keys(s.labels).length === 0 || seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

/** CEL: the label map at `path` of `object`, or `{}` where the object has none. */
function labelsAt(path: string): string {
    const steps = path.split(".");
    const present = steps.map((_, n) => `has(object.${steps.slice(0, n + 1).join(".")})`).join(" && ");
    return `(${present} ? object.${path} : {})`;
}

/** The pods' labels of each kind that has a pod template (a Pod's are its own labels). */
const podLabelPaths = {
    Job: "spec.template.metadata.labels",
    CronJob: "spec.jobTemplate.spec.template.metadata.labels",
} as const;

/** The label maps an object carries, each with the CEL of its path for messages. */
const labelSets = [
    { variable: "ownLabels", path: celString("metadata.labels") },
    { variable: "jobLabels", path: celString("spec.jobTemplate.metadata.labels") },
    { variable: "podLabels", path: "variables.podLabelsPath" },
] as const;

const janitorRunPrefix = `${names.janitorCronJob}-`;
const ownedByJanitor = `r.kind == 'CronJob' && r.name == ${celString(names.janitorCronJob)}`;

export function buildWorkloadVariables(i: JobAdmissionInputs): Variable[] {
    const janitor = selectorFor(janitorComponent);
    const findings = labelSets.flatMap(({ variable, path }) =>
        reservedSelectors(i).map(
            (s) =>
                `(${celHasAllLabels(`variables.${variable}`, s.labels)} ? ` +
                `[${path} + ${celString(` has ${labelPairs(s.labels)} (${s.says})`)}] : [])`,
        ),
    );
    return [
        { name: "ownLabels", expression: labelsAt("metadata.labels") },
        {
            name: "jobLabels",
            expression: `object.kind == 'CronJob' ? ${labelsAt("spec.jobTemplate.metadata.labels")} : {}`,
        },
        {
            name: "podLabels",
            expression: `object.kind == 'Job' ? ${labelsAt(podLabelPaths.Job)} : object.kind == 'CronJob' ? ${labelsAt(podLabelPaths.CronJob)} : {}`,
        },
        {
            name: "podLabelsPath",
            expression: `object.kind == 'Job' ? ${celString(podLabelPaths.Job)} : ${celString(podLabelPaths.CronJob)}`,
        },
        { name: "labelFindings", expression: findings.join(" + ") },
        {
            name: "janitorRunMarks",
            expression:
                `(object.kind != 'Pod' && has(object.metadata.name) && object.metadata.name.startsWith(${celString(janitorRunPrefix)}) ? ` +
                `['metadata.name is ' + object.metadata.name + ', how CronJob ${names.janitorCronJob} names its runs (${janitorRunPrefix}<minutes>)'] : []) + ` +
                `(has(object.metadata.ownerReferences) ? object.metadata.ownerReferences.filter(r, ${ownedByJanitor})` +
                `.map(r, 'metadata.ownerReferences names CronJob ${names.janitorCronJob}') : [])`,
        },
        {
            // Only read on DELETE, where `oldObject` is the Job to be deleted.
            name: "janitorMarks",
            expression:
                `(has(oldObject.metadata.ownerReferences) && oldObject.metadata.ownerReferences.exists(r, ${ownedByJanitor}) ? ` +
                `['a run of CronJob ${names.janitorCronJob} (metadata.ownerReferences)'] : []) + ` +
                `((has(oldObject.metadata.labels) && ${celHasAllLabels("oldObject.metadata.labels", janitor)}) ? ` +
                `[${celString(`labelled ${labelPairs(janitor)}`)}] : []) + ` +
                `((oldObject.kind == 'Job' && has(oldObject.spec.template.spec.serviceAccountName) && ` +
                `oldObject.spec.template.spec.serviceAccountName == ${celString(names.janitorServiceAccount)}) ? ` +
                `['run as ServiceAccount ${names.janitorServiceAccount}'] : [])`,
        },
    ];
}

/** The rules on what the worker creates or updates: labels, and no Job posing as a janitor run. */
export function buildWorkloadValidations(i: JobAdmissionInputs): Validation[] {
    const reserved = reservedSelectors(i)
        .map((s) => labelPairs(s.labels))
        .join("; ");
    return [
        {
            expression: "size(variables.labelFindings) == 0",
            messageExpression:
                "'labels: the worker\\'s ' + object.kind + 's may not carry the labels that select the stack\\'s workloads; ' + " +
                "variables.labelFindings.join('; ') + '. Label them with a key of their own instead (e.g. backline.ai/job: <run>); " +
                "a part of such a selector alone is fine.'",
            message: `labels: the worker's Jobs may not carry the labels that select the stack's workloads (${reserved}); label them with a key of their own.`,
        },
        {
            expression: "size(variables.janitorRunMarks) == 0",
            messageExpression:
                `'janitor-run: the worker\\'s ' + object.kind + 's may not pose as runs of CronJob ${names.janitorCronJob}; ' + ` +
                `variables.janitorRunMarks.join('; ') + '. A Job of such a name keeps the CronJob\\'s run of that minute from starting. ` +
                `Name them otherwise (not ${janitorRunPrefix}…), without an owner reference to CronJob ${names.janitorCronJob}.'`,
            message: `janitor-run: the worker's Jobs may not be named ${janitorRunPrefix}… nor name CronJob ${names.janitorCronJob} as their owner.`,
        },
    ];
}

/** The rule on what the worker deletes: not the janitor's Jobs (its runs, manual runs, the install Job). */
export function buildJanitorDeleteValidation(): Validation {
    const tail =
        `They refresh ${names.jwtSecret} and ${names.dockerconfigSecret}: CronJob ${names.janitorCronJob} removes its finished runs itself ` +
        "(janitor.successfulJobsHistoryLimit, janitor.failedJobsHistoryLimit) and pulumi the install Job. " +
        `The worker may delete the Jobs it ran (ServiceAccount ${names.jobsServiceAccount}).`;
    return {
        expression: "size(variables.janitorMarks) == 0",
        messageExpression:
            "'janitor-delete: the worker may not delete the janitor\\'s Jobs; Job ' + oldObject.metadata.name + ' is ' + " +
            `variables.janitorMarks.join(', ') + '. ${tail}'`,
        message: `janitor-delete: the worker may not delete the janitor's Jobs. ${tail}`,
    };
}
