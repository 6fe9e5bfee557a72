/**
 * The stack configuration, declared once: every key of the `backline` config namespace, its type,
 * default, checks and description, one file per top-level section in `sections/`. Validation, the
 * resolved types the components consume, the Automation API's input type, `Pulumi.yaml`'s
 * `config:` block, the README's reference tables and the JSON Schema of `Pulumi.<stack>.yaml` all
 * come from here (`npm run gen` writes the files).
 *
 * Keys follow the Helm chart's parameter paths (`worker.replicaCount`, `janitor.schedule`, …) so a
 * Helm user's habits carry over, and the defaults are the chart's.
 *
 * To add a key: one line in its section, e.g.
 * `revisionHistoryLimit: int(0, 100).prefault(5).describe("Old ReplicaSets kept.")` in
 * `sections/worker.ts`, then `npm run gen`. Its resolved value reaches the components as
 * `config.worker.revisionHistoryLimit`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { proxyEnvNames, workerCaEnvNames } from "../model";
import { always, object, rule, show } from "./fields";
import { adopt } from "./sections/adopt";
import { caBundle } from "./sections/ca-bundle";
import { efs } from "./sections/efs";
import { accessKey, baseUrl, namespaceOverride } from "./sections/global";
import { imagePullSecrets, imageRegistry } from "./sections/images";
import { janitor } from "./sections/janitor";
import { kubernetes } from "./sections/kubernetes";
import { logging } from "./sections/logging";
import { commonAnnotations, commonLabels } from "./sections/metadata";
import { networkPolicy } from "./sections/network-policy";
import { proxy } from "./sections/proxy";
import { security } from "./sections/security";
import { worker } from "./sections/worker";

/** The top-level keys, in the README's order. */
const shape = {
    baseUrl,
    accessKey,
    namespaceOverride,
    janitor,
    worker,
    logging,
    efs,
    kubernetes,
    security,
    proxy,
    caBundle,
    imageRegistry,
    imagePullSecrets,
    commonLabels,
    commonAnnotations,
    networkPolicy,
    adopt,
};

type Config = z.output<ReturnType<typeof object<typeof shape>>>;

/**
 * The collector (on unless `worker.otel.enabled` is false) needs a region and a role; a role is
 * either given or created. A key given with a wrong type still counts as given here.
 */
function collectorRules(c: Config, ctx: z.RefinementCtx): void {
    const { typed, given, problem } = rule(ctx);
    if (typed("worker", "otel", "enabled") && !c.worker.otel.enabled) return;
    if (!given("logging", "region")) {
        problem(
            ["logging", "region"],
            "missing; the ADOT collector needs the AWS region for CloudWatch Logs and X-Ray (e.g. `us-west-1`), or set `worker.otel.enabled` to false.",
        );
    }
    if (!given("logging", "roleArn") && !given("logging", "oidc")) {
        problem(
            ["logging", "roleArn"],
            "missing; give the IAM role the collector assumes (`arn:aws:iam::<account>:role/<name>`), or set `logging.oidc.providerArn` and `logging.oidc.subject` to have one created, or set `worker.otel.enabled` to false.",
        );
    }
    if (given("logging", "roleArn") && given("logging", "oidc")) {
        problem(
            ["logging", "oidc"],
            "set together with `logging.roleArn`; give either an existing role or the settings to create one, not both.",
        );
    }
}

/** EFS makes its own storage class and claim. */
function storageRules(c: Config, ctx: z.RefinementCtx): void {
    const { typed, given, problem } = rule(ctx);
    if (!given("efs")) return;
    if (given("worker", "storage", "pvc", "storageClassName")) {
        problem(
            ["worker", "storage", "pvc", "storageClassName"],
            `got ${show(c.worker.storage.pvc.storageClassName)} together with \`efs\`; the EFS settings create their own storage class. Remove one of them.`,
        );
    }
    if (typed("worker", "storage", "pvc", "create") && c.worker.storage.pvc.create === false) {
        problem(
            ["worker", "storage", "pvc", "create"],
            "is false together with `efs`; an existing claim cannot be bound to the filesystem this stack creates. Remove `efs` or set `create` to true.",
        );
    }
}

/** `worker.env` may not set what `proxy` or `caBundle` set on it. */
function siteEnvRules(c: Config, ctx: z.RefinementCtx): void {
    const { typed, given, problem } = rule(ctx);
    if (!typed("worker", "env")) return;
    const proxied = given("proxy", "httpProxy") || given("proxy", "httpsProxy");
    const bundled = given("caBundle", "configMapName") || given("caBundle", "pem");
    c.worker.env.forEach((entry, i) => {
        if (!typed("worker", "env", i, "name")) return;
        const name = entry.name;
        if (proxied && proxyEnvNames.includes(name)) {
            problem(
                ["worker", "env", i, "name"],
                `got ${show(name)}, which \`proxy.*\` sets on every container; configure the proxy there and remove this entry.`,
            );
        }
        if (bundled && workerCaEnvNames.includes(name)) {
            problem(
                ["worker", "env", i, "name"],
                `got ${show(name)}, which \`caBundle.*\` sets on the worker; remove this entry.`,
            );
        }
    });
}

/** Adopting reads and changes the live release and its claim. */
function adoptionRules(c: Config, ctx: z.RefinementCtx): void {
    const { given, problem } = rule(ctx);
    if (!given("adopt", "helmRelease") || c.adopt.helmRelease === "") return;
    if (given("kubernetes", "renderYamlToDirectory") && c.kubernetes.renderYamlToDirectory !== "") {
        problem(
            ["adopt", "helmRelease"],
            "set together with `kubernetes.renderYamlToDirectory`; adopting reads and changes the live release, render mode talks to no cluster. Remove one of them.",
        );
    }
    if (given("efs")) {
        problem(
            ["adopt", "helmRelease"],
            "set together with `efs`; the release's claim already lives on its storage class, and a claim cannot move to the filesystem this stack would create. Remove `efs` (the claim keeps its class).",
        );
    }
}

/** The stack configuration as checked, defaults applied, before `resolve.ts` shapes it for the components. */
export const stackConfigSchema = object(shape)
    .superRefine(collectorRules, always)
    .superRefine(storageRules, always)
    .superRefine(siteEnvRules, always)
    .superRefine(adoptionRules, always);

/**
 * `BacklineStack`'s arguments: every key of the stack configuration, with `pulumi.Input`s where a
 * key accepts another resource's output (`acceptsOutput` in `fields.ts`).
 */
export type BacklineStackValues = z.input<typeof stackConfigSchema>;

/** Plain values all the way down: an `Input` is its value. */
export type PlainValues<T> = T extends pulumi.OutputInstance<unknown> | Promise<unknown>
    ? never
    : T extends string | number | boolean | null | undefined
      ? T
      : T extends readonly (infer E)[]
        ? PlainValues<E>[]
        : { [K in keyof T]: PlainValues<T[K]> };

/** What the stack configuration holds: the keys of `BacklineStackValues`, with plain values. */
export type StackConfigInput = PlainValues<BacklineStackValues>;
export type StackConfigOutput = z.output<typeof stackConfigSchema>;

/** Top-level keys, in declaration order (the README's order). */
export const topLevelKeys = Object.keys(shape) as (keyof typeof shape)[];
