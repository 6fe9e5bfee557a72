/**
 * Kubernetes' own shapes as the sections take them: images, requests and limits, probes,
 * environment variables, tolerations, pod identities, label and annotation maps, label selectors,
 * int-or-percent values and topology spread constraints (volumes are in `volumes.ts`). Each follows
 * the Kubernetes API's shape and rules, so a value accepted here is one the API server accepts.
 *
 * Declared here rather than taken from a typed source: `kubernetes-models` and `@pulumi/kubernetes`
 * give types (or ajv's messages), not schemas that read `pulumi config` values leniently and name
 * what is accepted; the components' use of these values against `@pulumi/kubernetes`' input types
 * is what keeps them in line with Kubernetes at compile time.
 */
import { z } from "zod";
import { isInputToken, reservedWorkerEnvNames } from "../model";
import {
    acceptsOutput,
    acceptsOutputValues,
    always,
    before,
    blankIsUnset,
    expected,
    freeform,
    int,
    listOf,
    object,
    oneOf,
    rule,
    show,
    stringMap,
    text,
} from "./fields";
import {
    checkBytes,
    checkCpu,
    checkEnvName,
    checkLabelValue,
    checkMetadataKey,
    checkPriorityClassName,
    checkRegistry,
    checkRepository,
    checkTagOrDigest,
    parseQuantity,
} from "./validators";

interface ImageDefaults {
    readonly registry: string;
    readonly name: string;
    readonly tag: string;
}

export function imageShape(d: ImageDefaults, pins = "") {
    return {
        registry: acceptsOutput(text(checkRegistry)).prefault(d.registry).describe(`Registry of the image.${pins}`),
        name: acceptsOutput(text(checkRepository)).prefault(d.name).describe(`Image name.${pins}`),
        tag: text(checkTagOrDigest).prefault(d.tag).describe(`Tag or \`sha256:<digest>\`.${pins}`),
        pullPolicy: oneOf(["Always", "IfNotPresent", "Never"])
            .prefault("IfNotPresent")
            .describe("When the kubelet pulls the image."),
    };
}

interface Amounts {
    readonly cpu: string;
    readonly memory: string;
}

/** Requests and limits; a request above its limit is refused, as Kubernetes would. */
export function resources(d: { readonly requests: Amounts; readonly limits: Amounts }) {
    const amounts = (a: Amounts, what: string) =>
        object({
            cpu: text(checkCpu).prefault(a.cpu).describe(`CPU ${what}.`),
            memory: text(checkBytes).prefault(a.memory).describe(`Memory ${what}.`),
        }).prefault({});
    return object({ requests: amounts(d.requests, "request"), limits: amounts(d.limits, "limit (≥ request)") })
        .superRefine((r, ctx) => {
            const { typed } = rule(ctx);
            for (const what of ["cpu", "memory"] as const) {
                if (!typed("requests", what) || !typed("limits", what)) continue;
                const request = parseQuantity(r.requests[what]);
                const limit = parseQuantity(r.limits[what]);
                if (request && limit && request.value > limit.value) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["requests", what],
                        message: `got ${show(r.requests[what])}, above its limit ${show(r.limits[what])} ({related}); a request must not exceed its limit.`,
                        params: { verbatim: true, related: { up: 2, path: ["limits", what] } },
                    });
                }
            }
        }, always)
        .prefault({});
}

const probeHandlers = ["httpGet", "tcpSocket", "exec", "grpc"] as const;

const probeShape = {
    httpGet: freeform().optional(),
    tcpSocket: freeform().optional(),
    exec: freeform().optional(),
    grpc: freeform().optional(),
    initialDelaySeconds: int(0).optional(),
    periodSeconds: int(1).optional(),
    timeoutSeconds: int(1).optional(),
    successThreshold: int(1).optional(),
    failureThreshold: int(1).optional(),
    terminationGracePeriodSeconds: int(1).optional(),
};

type Probe = z.output<ReturnType<typeof object<typeof probeShape>>>;

/**
 * A probe in Kubernetes' shape, merged over the default the way Helm merges values: setting only
 * `initialDelaySeconds` keeps the default HTTP check; giving a handler replaces the default's.
 */
export function probe(defaults: Probe, description: string) {
    return object(probeShape)
        .superRefine((_, ctx) => {
            const { given, problem } = rule(ctx);
            const handlers = probeHandlers.filter((h) => given(h));
            if (handlers.length > 1) {
                problem(
                    [],
                    `sets ${handlers.map((h) => `\`${h}\``).join(" and ")}; a probe takes exactly one of ${probeHandlers.join(", ")}.`,
                );
            }
        }, always)
        .transform((p): Probe => {
            const own = probeHandlers.some((h) => p[h] !== undefined);
            const merged: Record<string, unknown> = { ...defaults };
            if (own) probeHandlers.forEach((h) => delete merged[h]);
            for (const [k, v] of Object.entries(p)) {
                if (v !== undefined) merged[k] = v;
            }
            return merged as Probe;
        })
        .prefault(defaults)
        .meta({ description, documentAsOne: true });
}

/** An environment variable name the program does not set itself. */
function checkWorkerEnvName(name: string): string | undefined {
    return (
        checkEnvName(name) ??
        (reservedWorkerEnvNames.includes(name)
            ? `a name the program sets itself; reserved names are ${reservedWorkerEnvNames.join(", ")}. Use the matching config key instead (e.g. \`baseUrl\`)`
            : undefined)
    );
}

export const envVar = object({
    name: blankIsUnset(
        text(checkWorkerEnvName, { missing: "missing; every entry needs a `name` (and a `value` or `valueFrom`)" }),
    ),
    value: text(undefined, { booleans: true }).optional(),
    valueFrom: object({
        secretKeyRef: freeform().optional(),
        configMapKeyRef: freeform().optional(),
        fieldRef: freeform().optional(),
        resourceFieldRef: freeform().optional(),
    })
        .refine((f) => Object.keys(f).length === 1, {
            error: "expected exactly one of `secretKeyRef`, `configMapKeyRef`, `fieldRef`, `resourceFieldRef`.",
            params: { verbatim: true },
        })
        .optional(),
}).superRefine((e, ctx) => {
    const { typed, given, problem } = rule(ctx);
    if (typed("name") && given("value") === given("valueFrom")) {
        problem([], `\`${e.name}\` needs exactly one of \`value\` and \`valueFrom\`.`);
    }
}, always);

export const toleration = object({
    key: text().optional(),
    operator: oneOf(["Exists", "Equal"]).optional(),
    value: text().optional(),
    effect: oneOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
    tolerationSeconds: int(0).optional(),
}).superRefine((t, ctx) => {
    const { typed, problem } = rule(ctx);
    if (typed("operator") && typed("value") && t.operator === "Exists" && t.value) {
        problem(["value"], "must be empty when `operator` is `Exists`.");
    }
}, always);

/** A uid or gid other than root's: the namespace enforces the "restricted" Pod Security profile. */
export const nonRootId = (d: number, description: string) =>
    int(1, 2_147_483_647, {
        accepted:
            'expected a non-root id from 1 to 2147483647 such as 1000: root (0) is refused by the "restricted" Pod Security profile the namespace enforces',
    })
        .prefault(d)
        .describe(description);

// --- Labels and annotations ----------------------------------------------------------------------

/** Label keys the program sets itself: the selectors, the policies and the janitor rely on them. */
const reservedLabelPrefixes: Readonly<Record<string, string>> = {
    "app.kubernetes.io/": "the selectors and the policies match on them",
    "backline.ai/": "the program and the janitor use them",
    "pod-security.kubernetes.io/": "they set the namespace's Pod Security profile",
};

/** Annotation keys the program sets itself. */
const reservedAnnotationPrefixes: Readonly<Record<string, string>> = {
    "backline.ai/": "the program and the janitor use them",
    "pulumi.com/": "they steer how Pulumi applies the object (use `kubernetes.skipAwait` and the image keys instead)",
};

/**
 * Labels (values checked) or annotations: keys in Kubernetes' syntax and, unless `ownKeys` allows
 * them (a selector's), outside the program's own prefixes, so a user value can never override them.
 */
export function metadataMap(what: "label" | "annotation", ownKeys: "refused" | "allowed" = "refused") {
    const reserved = ownKeys === "allowed" ? {} : what === "label" ? reservedLabelPrefixes : reservedAnnotationPrefixes;
    const map = stringMap().superRefine((map, ctx) => {
        const { typed, problem } = rule(ctx);
        for (const [key, value] of Object.entries(typed() ? map : {})) {
            const keyProblem = checkMetadataKey(key);
            if (keyProblem) problem([key], `is not a valid ${what} key; ${keyProblem}.`);
            const prefix = Object.keys(reserved).find((p) => key.startsWith(p));
            if (prefix) {
                problem(
                    [key],
                    `is one of the program's own ${what}s (\`${prefix}*\`: ${reserved[prefix]}); choose a key outside \`${prefix}\`.`,
                );
            }
            const checkable = what === "label" && typed(key) && !isInputToken(value);
            const valueProblem = checkable ? checkLabelValue(value) : undefined;
            if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: valueProblem, input: value });
        }
    }, always);
    return acceptsOutputValues(map);
}

/** Keys of a workload's pods and ServiceAccount, spread into `worker` and `janitor`. */
export function podKeys(who: string) {
    return {
        serviceAccount: object({
            annotations: metadataMap("annotation")
                .prefault({})
                .describe(
                    `Annotations of the ${who}'s ServiceAccount, e.g. \`eks.amazonaws.com/role-arn\` for workload identity.`,
                ),
        }).prefault({}),
        podLabels: metadataMap("label")
            .prefault({})
            .describe(`Extra labels of the ${who}'s pods (not \`app.kubernetes.io/*\`).`),
        podAnnotations: metadataMap("annotation").prefault({}).describe(`Extra annotations of the ${who}'s pods.`),
        priorityClassName: blankIsUnset(text(checkPriorityClassName).optional()).describe(
            `An existing PriorityClass for the ${who}'s pods.`,
        ),
    };
}

/** A label selector (`matchLabels`, `matchExpressions`), as Deployments and NetworkPolicies take it. */
export const labelSelector = object({
    matchLabels: metadataMap("label", "allowed").optional(),
    matchExpressions: listOf(
        object({
            key: text(checkMetadataKey, { missing: "missing; every expression needs a label `key`" }),
            operator: oneOf(["In", "NotIn", "Exists", "DoesNotExist"]),
            values: listOf(text(), "expected a list of label values").optional(),
        }).superRefine((e, ctx) => {
            const { typed, problem } = rule(ctx);
            if (!typed("operator") || !typed("values")) return;
            const needsValues = e.operator === "In" || e.operator === "NotIn";
            if (needsValues && (e.values ?? []).length === 0) {
                problem(["values"], `missing; operator \`${e.operator}\` needs at least one value.`);
            }
            if (!needsValues && e.values !== undefined && e.values.length > 0) {
                problem(["values"], `must be empty with operator \`${e.operator}\`.`);
            }
        }, always),
        "expected a list of `{key, operator, values}` expressions",
    ).optional(),
});

/** A number of pods (`1`, also as text) or a percentage (`50%`), as PodDisruptionBudgets take them. */
export function intOrPercent() {
    const error = expected(
        "expected a whole number of pods such as `1`, or a percentage from `0%` to `100%` such as `50%`",
    );
    return before(
        (raw) => (typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : raw),
        z.union(
            [
                z.number({ error }).int({ error }).min(0, { error }),
                z.string({ error }).regex(/^(100|[1-9]?\d)%$/, { error }),
            ],
            { error },
        ),
    );
}

export const topologySpreadConstraint = object({
    maxSkew: int(1),
    topologyKey: text(checkMetadataKey, { missing: "missing; a node label such as `topology.kubernetes.io/zone`" }),
    whenUnsatisfiable: oneOf(["DoNotSchedule", "ScheduleAnyway"]),
    labelSelector: labelSelector.optional().meta({
        description: "Pods counted.",
        defaultText: "the worker's own selector",
    }),
    minDomains: int(1).optional(),
    matchLabelKeys: listOf(text(checkMetadataKey), "expected a list of label keys").optional(),
    nodeAffinityPolicy: oneOf(["Honor", "Ignore"]).optional(),
    nodeTaintsPolicy: oneOf(["Honor", "Ignore"]).optional(),
}).superRefine((t, ctx) => {
    const { typed, given, problem } = rule(ctx);
    if (given("minDomains") && typed("whenUnsatisfiable") && t.whenUnsatisfiable !== "DoNotSchedule") {
        problem(["minDomains"], "needs `whenUnsatisfiable: DoNotSchedule` (Kubernetes ignores it otherwise).");
    }
}, always);
