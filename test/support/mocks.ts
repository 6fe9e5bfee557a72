/**
 * Pulumi mocks that record every resource's inputs by type, and helpers to run the real program
 * (`index.ts`) against them with a given stack configuration.
 *
 * `setMocks` must come before the program is imported, and the SDK reads PULUMI_CONFIG once, so
 * configuration is set with `setAllConfig` (second argument: the secret keys).
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly inputs: any;
    /** What the mock returned as the resource's state (inputs plus computed names and ARNs). */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly state: any;
}

export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        const state: Record<string, unknown> = { ...args.inputs };
        this.resources.push({
            type: args.type,
            name: args.name,
            custom: args.custom ?? true,
            inputs: args.inputs,
            state,
        });
        if (args.type.startsWith("aws:")) {
            const name = (args.inputs.name as string | undefined) ?? `${args.name}-1234567`;
            state.name = name;
            state.arn =
                args.type === "aws:cloudwatch/logGroup:LogGroup"
                    ? `arn:aws:logs:us-east-1:123456789012:log-group:${name}`
                    : args.type === "aws:iam/role:Role"
                      ? `arn:aws:iam::123456789012:role/${name}`
                      : `arn:aws:${args.type.split(":")[1].split("/")[0]}::123456789012:${name}`;
        }
        if (args.type.startsWith("kubernetes:") && args.inputs.metadata) {
            // The API server gives every object a uid (the worker's pods roll on the proxy Secret's).
            state.metadata = { ...args.inputs.metadata, uid: `${args.name}-uid` };
        }
        if (args.type === "random:index/randomId:RandomId") {
            state.hex = "0123456789abcdef";
        }
        const id = args.type.startsWith("aws:efs/fileSystem") ? "fs-0123456789abcdef0" : `${args.name}-id`;
        return { id: args.custom === false ? undefined : id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs;
    }

    /** Every recorded custom resource of a type (e.g. `kubernetes:apps/v1:Deployment`). */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type, optionally with a given Kubernetes `metadata.name`. */
    one(type: string, k8sName?: string): RecordedResource {
        const found = this.ofType(type).filter((r) => k8sName === undefined || r.inputs?.metadata?.name === k8sName);
        if (found.length !== 1) {
            throw new Error(
                `expected exactly one ${type}${k8sName ? ` named ${k8sName}` : ""}, found ${found.length}: ${this.summary()}`,
            );
        }
        return found[0];
    }

    /** Recorded Kubernetes objects (custom resources of the kubernetes package, providers aside). */
    kubernetesObjects(): RecordedResource[] {
        return this.resources.filter(
            (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"),
        );
    }

    summary(): string {
        return this.resources.map((r) => `${r.type}::${r.name}`).join(", ");
    }
}

/** Resolves an Output's value (and whether it is secret) under mocks. */
export async function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until every registration the program started has reached the mocks. */
export async function settle(): Promise<void> {
    const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    if (wait) {
        await wait();
    }
    // Registrations chain through promises; give the microtask queue a few turns to drain.
    for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        if (wait) await wait();
    }
}

export const testAccessKey = "bk_test_0123456789abcdefSECRET";

/** A stack configuration as `Pulumi.<stack>.yaml` would hold it: top-level keys, objects as JSON. */
export interface StackConfig {
    readonly [key: string]: unknown;
}

export interface ProgramRun {
    readonly mocks: RecordingMocks;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly outputs: Record<string, any>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly exports: Record<string, pulumi.Output<any>>;
}

const programPath = path.resolve(__dirname, "..", "..", "index.ts");

function toConfigMap(project: string, config: StackConfig): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        if (v === undefined) continue;
        out[`${project}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

/**
 * Runs `index.ts` under fresh mocks with this configuration and returns what it registered and
 * its stack outputs. `accessKey` is stored as a secret unless `plaintextAccessKey` is set.
 */
export async function runProgram(
    config: StackConfig,
    opts: {
        readonly stack?: string;
        readonly plaintextAccessKey?: boolean;
        readonly preview?: boolean;
        /** More top-level keys stored as secrets (`proxy` with `--secret --path proxy.httpsProxy`). */
        readonly secretKeys?: readonly string[];
    } = {},
): Promise<ProgramRun> {
    const mocks = new RecordingMocks();
    await pulumi.runtime.setMocks(mocks, "backline", opts.stack ?? "test", opts.preview ?? false);
    const secretKeys = [
        ...(opts.plaintextAccessKey ? [] : ["backline:accessKey"]),
        ...(opts.secretKeys ?? []).map((k) => `backline:${k}`),
    ];
    pulumi.runtime.setAllConfig(toConfigMap("backline", config), secretKeys);
    delete require.cache[programPath];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(programPath) as Record<string, pulumi.Output<unknown>>;
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(exports)) {
        outputs[k] = await promiseOf(v);
    }
    await settle();
    return { mocks, outputs, exports };
}

/** Runs the program expecting it to refuse the configuration; returns the error. */
export async function runProgramExpectingError(
    config: StackConfig,
    opts: { readonly plaintextAccessKey?: boolean; readonly secretKeys?: readonly string[] } = {},
): Promise<Error> {
    try {
        await runProgram(config, opts);
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected the program to refuse this configuration, but it ran");
}

/**
 * The URNs the program registers for `config`, sorted, as the real engine computes them: the
 * qualified type is the whole chain of parent types (the mocks keep only the last), and children of
 * the root stack carry no parent type.
 */
export async function registeredUrns(
    config: StackConfig,
    opts: { readonly stack?: string; readonly secretKeys?: readonly string[] } = {},
): Promise<string[]> {
    return urnsRegisteredBy(() => runProgram(config, opts));
}

/** The URNs `run` registers (it sets the mocks), sorted, computed as `registeredUrns` computes them. */
export async function urnsRegisteredBy(run: () => Promise<unknown>): Promise<string[]> {
    const proto = MockMonitor.prototype as unknown as {
        newUrn: (parent: string, type: string, name: string) => string;
    };
    const original = proto.newUrn;
    const urns: string[] = [];
    proto.newUrn = function (parent: string, type: string, name: string): string {
        const parentType = parent ? parent.split("::")[2] : "";
        const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
        const urn = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
        urns.push(urn);
        return urn;
    };
    try {
        await run();
    } finally {
        proto.newUrn = original;
    }
    return [...new Set(urns)].sort();
}
