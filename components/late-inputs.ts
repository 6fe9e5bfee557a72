/**
 * Puts the values a program gave `BacklineStack` as Outputs into its resources, once checked.
 *
 * While the program runs such a value is a token in the resolved configuration
 * (`config/inputs.ts`); the specs carry it like any text. This transformation, the last of every
 * resource under the stack, replaces each token in a resource's inputs by an Output of the value,
 * which resolves only after every value given as an Output has resolved and the whole
 * configuration passed its checks again: a bad value fails `pulumi up` with the key's message, on
 * the component, and nothing that uses a value given as an Output is created.
 * Why a transformation: https://www.pulumi.com/docs/iac/concepts/options/transformations/
 */
import * as pulumi from "@pulumi/pulumi";
import { checkResolvedValues, formatProblems, isSecretPath } from "./config";
import type { PendingValue } from "./config";
import { holdsToken, replaceTokens, tokensIn } from "./model";

export class LateInputs {
    private readonly values = new Map<number, pulumi.Output<string>>();

    /** `owner()`: the component the check's failure is reported on. */
    constructor(tokenized: unknown, pending: readonly PendingValue[], owner: () => pulumi.Resource | undefined) {
        const checked = pulumi.all(pending.map((p) => p.value)).apply((resolved) => {
            const result = checkResolvedValues(tokenized, pending, resolved);
            if (!result.ok) {
                throw new pulumi.ResourceError(
                    formatProblems(
                        result.problems,
                        "A value given to `BacklineStack` as an Output resolved to something the configuration refuses; fix where it comes from and run again. Nothing that uses it was created or changed.",
                    ),
                    owner(),
                    // The message says it all; a stack trace would bury it.
                    true,
                );
            }
            return result.values;
        });
        // The check's result holds every value; each one below is as secret as the Output it came from.
        const gate = pulumi.unsecret(checked);
        pending.forEach((p, i) => {
            const value = pulumi.all([gate, p.value]).apply(([values]) => values[i]);
            this.values.set(p.token, isSecretPath(p.path) ? pulumi.secret(value) : value);
        });
    }

    /** `value` with every token replaced by the value it stands for (an Output where one was). */
    resolve<T>(value: T): pulumi.Input<T>;
    resolve(value: unknown): unknown {
        if (holdsToken(value)) {
            const tokens = tokensIn(value);
            return pulumi
                .all(tokens.map((n) => this.values.get(n) ?? pulumi.output(`${n}`)))
                .apply((resolved) => replaceTokens(value, (n) => resolved[tokens.indexOf(n)]));
        }
        if (pulumi.Output.isInstance(value)) return value.apply((inner) => this.resolve(inner));
        if (Array.isArray(value)) return value.map((item) => this.resolve(item));
        if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
            return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, this.resolve(item)]));
        }
        return value;
    }

    /** The transformation to register last on the stack: it applies to every resource under it. */
    readonly transformation: pulumi.ResourceTransformation = (args) => {
        if (holdsToken(args.name)) {
            throw new pulumi.ResourceError(
                `a resource name (${args.type}) would hold a value given as an Output; give the key it comes from as a plain value.`,
                args.opts.parent,
            );
        }
        return { props: this.resolve(args.props) as pulumi.Inputs, opts: args.opts };
    };
}
