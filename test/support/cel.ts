/**
 * Evaluates a ValidatingAdmissionPolicy's CEL the way the API server does — match conditions, then
 * the variables (read when an expression needs them: one that cannot be evaluated, like one on
 * `object` during a DELETE, fails only the expressions that read it), then each validation and,
 * when it fails, its message expression — with
 * `@bufbuild/cel` (a conformant CEL interpreter, plus its strings extension for `join`). It checks
 * the expressions' intent in unit tests; the API server itself is the proof
 * (test/e2e/admission.e2e.ts). Only the portable core of CEL is available here (no optional types),
 * which `components/specs/admission.ts` keeps to.
 */
import { CelInput, CelResult, CelValue, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { buildJobAdmissionPolicySpec } from "../../components/specs/admission";

type PolicySpec = ReturnType<typeof buildJobAdmissionPolicySpec>;

export type Decision = { readonly matched: false } | { readonly matched: true; readonly refusals: readonly string[] };

const env = celEnv({ funcs: strings });
/** Parsed and planned once per expression: the tables evaluate the same policy many times. */
const planned = new Map<string, ReturnType<typeof plan>>();

function evaluateOrError(expression: string, bindings: Record<string, CelInput>): CelResult {
    let program = planned.get(expression);
    if (!program) {
        program = plan(env, parse(expression));
        planned.set(expression, program);
    }
    return program(bindings);
}

function evaluate(expression: string, bindings: Record<string, CelInput>, failed: readonly string[] = []): CelValue {
    const value = evaluateOrError(expression, bindings);
    if (isCelError(value)) {
        const why = failed.length > 0 ? ` (variables that could not be evaluated: ${failed.join("; ")})` : "";
        throw new Error(`CEL error in ${expression}: ${value.message}${why}`);
    }
    return value;
}

/** The request: CREATE of `object` unless told otherwise; DELETE has only `oldObject`. */
export interface Request {
    readonly operation?: "CREATE" | "UPDATE" | "DELETE";
    readonly oldObject?: unknown;
}

/** What the policy decides for `object` requested by `username`: refusals are the messages. */
export function decide(spec: PolicySpec, object: unknown, username: string, req: Request = {}): Decision {
    const request = { userInfo: { username }, operation: req.operation ?? "CREATE" };
    const conditions = (spec.matchConditions ?? []) as { expression: string }[];
    if (!conditions.every((c) => evaluate(c.expression, { request } as Record<string, CelInput>) === true)) {
        return { matched: false };
    }
    const variables: Record<string, CelValue> = {};
    const failed: string[] = [];
    const bindings = () =>
        ({ object, oldObject: req.oldObject ?? null, request, variables }) as unknown as Record<string, CelInput>;
    for (const v of (spec.variables ?? []) as { name: string; expression: string }[]) {
        // Left out when it fails: an expression that reads it fails too ("no such key").
        const value = evaluateOrError(v.expression, bindings());
        if (isCelError(value)) failed.push(`${v.name}: ${value.message}`);
        else variables[v.name] = value;
    }
    const refusals: string[] = [];
    for (const v of (spec.validations ?? []) as { expression: string; messageExpression: string }[]) {
        if (evaluate(v.expression, bindings(), failed) !== true) {
            refusals.push(String(evaluate(v.messageExpression, bindings(), failed)));
        }
    }
    return { matched: true, refusals };
}
