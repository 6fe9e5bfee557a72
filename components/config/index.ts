/**
 * The stack configuration: one schema (`schema.ts`) from which validation, the resolved types
 * (`resolve.ts`), the problems' wording (`problems.ts`), the generated files (`reference.ts`,
 * `scripts/gen.ts`) and the loader (`load.ts`) derive.
 */
export { checkResolvedValues, keysTakingOutputs, prepareStackValues, providerSettingKeys, takesOutput } from "./inputs";
export type { PendingValue, PreparedValues } from "./inputs";
export { loadBacklineConfig, parseBacklineConfig, readStackConfig } from "./load";
export type { ParseOptions, ParseResult } from "./load";
export { ConfigValidationError, formatProblems, keyOf, uniqueProblems } from "./problems";
export { isPlainObject } from "./fields";
export { isSecretPath } from "./reference";
export { proxyCredentials, splitSecretLeaves } from "./proxy-credentials";
export type { ConfigProblem } from "./problems";
export { backlineConfigSchema } from "./resolve";
export type * from "./resolve";
export { defaultLogGroupName } from "./sections/logging";
export { stackConfigSchema, topLevelKeys } from "./schema";
export type { BacklineStackValues, PlainValues, StackConfigInput, StackConfigOutput } from "./schema";
