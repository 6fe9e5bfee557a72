/**
 * Imported first by the pack's entry point (index.ts), before `@pulumi/policy`.
 *
 * `@pulumi/policy` imports the root of `@pulumi/pulumi` for two names only, `asset` and `Output`
 * (its deserialize.js, 1.21.0). That root also loads the Automation API and closure serialization
 * (TypeScript, `@npmcli/arborist`): ~0.5 s of the pack's start, which the engine waits for before
 * it runs the program. So the root is put in Node.js's module cache as a stand-in that hands out
 * those two from their own modules — the very objects the root exports, not copies — and loads the
 * real root the first time anything else is read from it.
 *
 * Also the first place the pack needs its dependencies: when they are missing, say what to run.
 */
import Module from "module";
import * as path from "path";

const sdkName = "@pulumi/pulumi";

/** The file Node.js loads for `require("@pulumi/pulumi")` from `@pulumi/policy`. */
function sdkRootFile(): string {
    const policyDir = path.dirname(require.resolve("@pulumi/policy"));
    return require.resolve(sdkName, { paths: [policyDir] });
}

/** Puts the stand-in for `@pulumi/pulumi`'s root into the module cache (no-op once the root is loaded). */
export function deferSdkRoot(): void {
    const rootFile = sdkRootFile();
    if (require.cache[rootFile]) return;
    const sdkDir = path.dirname(rootFile);
    const load = Module.createRequire(rootFile);
    let real: Record<PropertyKey, unknown> | undefined;
    const loadReal = (): Record<PropertyKey, unknown> => {
        if (!real) {
            delete require.cache[rootFile];
            real = load(rootFile) as Record<PropertyKey, unknown>;
        }
        return real;
    };
    // The root's own `require("./asset")` and `require("./output")` resolve to these same files.
    const direct: Record<PropertyKey, () => unknown> = {
        asset: () => load(path.join(sdkDir, "asset")),
        Output: () => (load(path.join(sdkDir, "output")) as { Output: unknown }).Output,
    };
    const standIn = new Module(rootFile);
    standIn.filename = rootFile;
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
    require.cache[rootFile] = standIn;
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
