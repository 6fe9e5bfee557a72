/**
 * The leaf of the package: names, paths, reserved environment variables and volumes, the resolved
 * configuration types and each core component's arguments. It imports nothing of the package;
 * `config/` produces its types, `specs/` and the components consume them.
 */
export * from "./names";
export * from "./paths";
export * from "./env";
export * from "./input-tokens";
export type * from "./config-workloads";
export type * from "./config-storage";
export type * from "./config-site";
export type * from "./config";
export type * from "./args";
