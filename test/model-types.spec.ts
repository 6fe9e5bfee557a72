/**
 * A type-level test: `npm run typecheck` checks it, mocha finds nothing to run in it. The schema's
 * resolved output (`ResolvedOutput`: what zod infers from `config/schema.ts` and `config/resolve.ts`)
 * and the model's hand-written `ResolvedConfig` (`components/model/`, which `BacklineConfig` is with
 * the access key any `pulumi.Input`) must be the same type, key for key: a key added to one and not
 * the other, or typed differently, fails the typecheck and names the key.
 */
import type { ResolvedOutput } from "../components/config/resolve";
import type { ResolvedConfig } from "../components/model";

type Leaf = string | number | boolean | bigint | symbol | null | undefined;

/**
 * Every key path of `T` (`worker.image.tag`, `worker.env[].name`), through unions and lists. Keys
 * typed only `undefined` are left out: TypeScript adds them to the members of a union of object
 * literals (`{ kind: "existing"; roleArn: string; oidc?: undefined }`), and they hold nothing.
 */
type KeyPaths<T, P extends string = ""> = T extends Leaf
    ? never
    : T extends readonly (infer E)[]
      ? KeyPaths<E, `${P}[]`>
      : {
            [K in keyof T & string]-?: [Exclude<T[K], undefined>] extends [never]
                ? never
                : Join<P, K> | KeyPaths<Exclude<T[K], undefined>, Join<P, K>>;
        }[keyof T & string];

type Join<P extends string, K extends string> = P extends "" ? K : `${P}.${K}`;

/** Compiles only when `T` is `never`; otherwise the error shows `T`, the key paths that differ. */
type ExpectNone<T extends never> = T;

export type OnlyInTheSchema = ExpectNone<Exclude<KeyPaths<ResolvedOutput>, KeyPaths<ResolvedConfig>>>;
export type OnlyInTheModel = ExpectNone<Exclude<KeyPaths<ResolvedConfig>, KeyPaths<ResolvedOutput>>>;

// Each way round, so that a type or an optionality that differs is named in the error.
export function schemaOutputIsTheModel(resolved: ResolvedOutput): ResolvedConfig {
    return resolved;
}
export function theModelIsSchemaOutput(resolved: ResolvedConfig): ResolvedOutput {
    return resolved;
}
