/**
 * Evaluates a ValidatingAdmissionPolicy's CEL the way the API server does — match conditions, then
 * the variables in order, then each validation and, when it fails, its message expression — with
 * `@bufbuild/cel` (a conformant CEL interpreter, plus its strings extension for `join`). It checks
 * the expressions' intent in unit tests; the API server itself is the proof
 * (test/e2e/admission.e2e.ts). Only the portable core of CEL is available here (no optional types),
 * which `components/specs/admission.ts` keeps to.
 */
import { CelInput, CelValue, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { buildJobAdmissionPolicySpec } from "../../components/specs/admission";

type PolicySpec = ReturnType<typeof buildJobAdmissionPolicySpec>;

export type Decision = { readonly matched: false } | { readonly matched: true; readonly refusals: readonly string[] };

const env = celEnv({ funcs: strings });
/** Parsed and planned once per expression: the tables evaluate the same policy many times. */
const planned = new Map<string, ReturnType<typeof plan>>();

function evaluate(expression: string, bindings: Record<string, CelInput>): CelValue {
    let program = planned.get(expression);
    if (!program) {
        program = plan(env, parse(expression));
        planned.set(expression, program);
    }
    const value = program(bindings);
    if (isCelError(value)) throw new Error(`CEL error in ${expression}: ${value.message}`);
    return value;
}

/** What the policy decides for `object` requested by `username`: refusals are the messages. */
export function decide(spec: PolicySpec, object: unknown, username: string): Decision {
    const request = { userInfo: { username } };
    const conditions = (spec.matchConditions ?? []) as { expression: string }[];
    if (!conditions.every((c) => evaluate(c.expression, { request } as Record<string, CelInput>) === true)) {
        return { matched: false };
    }
    const variables: Record<string, CelValue> = {};
    const bindings = () => ({ object, request, variables }) as unknown as Record<string, CelInput>;
    for (const v of (spec.variables ?? []) as { name: string; expression: string }[]) {
        variables[v.name] = evaluate(v.expression, bindings());
    }
    const refusals: string[] = [];
    for (const v of (spec.validations ?? []) as { expression: string; messageExpression: string }[]) {
        if (evaluate(v.expression, bindings()) !== true) {
            refusals.push(String(evaluate(v.messageExpression, bindings())));
        }
    }
    return { matched: true, refusals };
}
