/**
 * The shape of the policy tables: per policy, resources that pass and resources that fail with the
 * messages a user will read. Shared by the tables in this folder and the runner,
 * policy/test/policies.spec.ts.
 */
import type { Policy } from "@pulumi/policy";
import type { TestResource } from "../harness";
import * as f from "../fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

export interface Case {
    readonly title: string;
    readonly resources: readonly TestResource[];
    /** null: no violation; otherwise every violation's message matches one of these, in order. */
    readonly expect: null | readonly RegExp[];
}

export function withPod(change: (pod: any) => void): TestResource {
    const pod = f.podSpec("worker");
    change(pod);
    return f.deployment({ pod });
}

/** One policy and its cases; a table lists them in the pack's order. */
export type PolicyCases = [Policy, Case[]];
