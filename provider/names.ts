/**
 * The package the component provider serves, by name: the Pulumi package `backline` and its one
 * resource. scripts/package-schema.ts writes the schema under these names; provider.ts serves it.
 */

/** The Pulumi package (`pulumi-resource-backline`, `pulumi_backline`, `backline:` tokens). */
export const packageName = "backline";

/** The component's type token: the one `BacklineStack` registers with. */
export const stackResourceToken = `${packageName}:index:BacklineStack`;
