/**
 * Shapes the schema (`schema.ts`) uses more than once or that follow Kubernetes' own: images,
 * requests and limits, probes, environment variables, tolerations, pod identities.
 */
import { z } from "zod";
import { reservedWorkerEnvNames } from "../model";
import { blankIsUnset, freeform, int, object, oneOf, show, text, verbatim } from "./fields";
import {
    checkBytes,
    checkCpu,
    checkEnvName,
    checkRegistry,
    checkRepository,
    checkTagOrDigest,
    parseQuantity,
} from "./validators";

const pullPolicies = ["Always", "IfNotPresent", "Never"] as const;

interface ImageDefaults {
    readonly registry: string;
    readonly name: string;
    readonly tag: string;
}

export function imageShape(d: ImageDefaults, pins = "") {
    return {
        registry: text(checkRegistry).prefault(d.registry).describe(`Registry of the image.${pins}`),
        name: text(checkRepository).prefault(d.name).describe(`Image name.${pins}`),
        tag: text(checkTagOrDigest).prefault(d.tag).describe(`Tag or \`sha256:<digest>\`.${pins}`),
        pullPolicy: oneOf(pullPolicies).prefault("IfNotPresent").describe("When the kubelet pulls the image."),
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
            for (const what of ["cpu", "memory"] as const) {
                const request = parseQuantity(r.requests[what]);
                const limit = parseQuantity(r.limits[what]);
                if (request && limit && request.value > limit.value) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["requests", what],
                        message: `got ${show(r.requests[what])}, above its limit ${show(r.limits[what])} ({related}); a request must not exceed its limit.`,
                        params: { ...verbatim, related: { up: 2, path: ["limits", what] } },
                    });
                }
            }
        })
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
        .superRefine((p, ctx) => {
            const handlers = probeHandlers.filter((h) => p[h] !== undefined);
            if (handlers.length > 1) {
                ctx.addIssue({
                    code: "custom",
                    message: `sets ${handlers.map((h) => `\`${h}\``).join(" and ")}; a probe takes exactly one of ${probeHandlers.join(", ")}.`,
                    params: verbatim,
                });
            }
        })
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
            params: verbatim,
        })
        .optional(),
}).superRefine((e, ctx) => {
    if ((e.value === undefined) === (e.valueFrom === undefined)) {
        ctx.addIssue({
            code: "custom",
            message: `\`${e.name}\` needs exactly one of \`value\` and \`valueFrom\`.`,
            params: verbatim,
        });
    }
});

export const toleration = object({
    key: text().optional(),
    operator: oneOf(["Exists", "Equal"]).optional(),
    value: text().optional(),
    effect: oneOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
    tolerationSeconds: int(0).optional(),
}).superRefine((t, ctx) => {
    if (t.operator === "Exists" && t.value) {
        ctx.addIssue({
            code: "custom",
            path: ["value"],
            message: "must be empty when `operator` is `Exists`.",
            params: verbatim,
        });
    }
});

/** A uid or gid other than root's: the namespace enforces the "restricted" Pod Security profile. */
export const nonRootId = (d: number, description: string) =>
    int(1, 2_147_483_647, {
        accepted:
            'expected a non-root id from 1 to 2147483647 such as 1000: root (0) is refused by the "restricted" Pod Security profile the namespace enforces',
    })
        .prefault(d)
        .describe(description);

// ---------------------------------------------------------------------------------------------
