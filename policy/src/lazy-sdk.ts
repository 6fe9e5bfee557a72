/**
 * Imported first by the pack's entry point (index.ts), before `@pulumi/policy`.
 *
 * `@pulumi/policy` imports the root of `@pulumi/pulumi` for two names only, `asset` and `Output`
 * (its deserialize.js, 1.21.0), and `runtime/rpc` for a few constants it reads when it deserializes
 * a resource. The root also loads the Automation API and closure serialization (TypeScript,
 * `@npmcli/arborist`); `runtime/rpc` loads the SDK's runtime and the generated protocol code of the
 * resource monitor and providers. Together more than half of what the pack's start loaded (208
 * modules, 2.5 MB of JavaScript; now 93, 1.2 MB), and the engine waits for that start before it runs
 * the program. So both are put in Node.js's module cache as stand-ins that load the real module the
 * first time something is read from it (the root hands out `asset` and `Output` from their own
 * modules: the very objects it exports, not copies).
 *
 * Also the first place the pack needs its dependencies: when they are missing, say what to run.
 */
import Module from "module";
import * as path from "path";

const sdkName = "@pulumi/pulumi";

/** The file Node.js loads for `require(request)` from `@pulumi/policy`. */
function resolveForPolicy(request: string): string {
    const policyDir = path.dirname(require.resolve("@pulumi/policy"));
    return require.resolve(request, { paths: [policyDir] });
}

/**
 * Puts a stand-in for the module in `file` into Node.js's module cache, which loads the module the
 * first time anything is read from it; `direct` names what it hands out without loading the module
 * (each from a lighter module that exports the very same object). A no-op once the module is loaded.
 */
export function deferModule(file: string, direct: Readonly<Record<PropertyKey, () => unknown>> = {}): void {
    if (require.cache[file]) return;
    const load = Module.createRequire(file);
    let real: Record<PropertyKey, unknown> | undefined;
    const loadReal = (): Record<PropertyKey, unknown> => {
        if (!real) {
            delete require.cache[file];
            real = load(file) as Record<PropertyKey, unknown>;
        }
        return real;
    };
    const standIn = new Module(file);
    standIn.filename = file;
    standIn.loaded = true;
    standIn.exports = new Proxy(
        {},
        {
            get: (_, key) => (real === undefined && Object.hasOwn(direct, key) ? direct[key]() : loadReal()[key]),
            has: (_, key) => key in loadReal(),
            ownKeys: () => Reflect.ownKeys(loadReal()),
            getOwnPropertyDescriptor: (_, key) => {
                const d = Object.getOwnPropertyDescriptor(loadReal(), key);
                return d && { ...d, configurable: true };
            },
        },
    );
    require.cache[file] = standIn;
}

/**
 * The SDK's root and `runtime/rpc`. What they load waits for the first resource the engine asks
 * about, when the program runs on the other core, instead of delaying the program's start.
 */
export function deferSdkRoot(): void {
    const rootFile = resolveForPolicy(sdkName);
    const sdkDir = path.dirname(rootFile);
    const load = Module.createRequire(rootFile);
    // The root's own `require("./asset")` and `require("./output")` resolve to these same files.
    deferModule(rootFile, {
        asset: () => load(path.join(sdkDir, "asset")),
        Output: () => (load(path.join(sdkDir, "output")) as { Output: unknown }).Output,
    });
    deferModule(resolveForPolicy(`${sdkName}/runtime/rpc`));
}

try {
    deferSdkRoot();
} catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    console.error(
        `error: the policy pack's dependencies (@pulumi/policy, ${sdkName}) are not installed: run \`npm ci\` in ${process.cwd()}`,
    );
    process.exit(1);
}
