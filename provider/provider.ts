/**
 * The Backline component provider: the `backline` Pulumi package, whose one resource,
 * `backline:index:BacklineStack`, is the same component a TypeScript program builds, served to
 * programs in any Pulumi language (YAML, Python, …) through `construct`. Its schema is the
 * generated provider/schema.json (`npm run gen`), its version package.json's.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { packageRoot } from "../components/package-root";
import { constructStack } from "./construct-stack";
import { stackResourceToken } from "./names";

/** The schema the provider serves and `pulumi package gen-sdk` reads. */
export const schemaFile = path.join(packageRoot, "provider", "schema.json");

export class BacklineProvider implements pulumi.provider.Provider {
    readonly version: string;

    constructor() {
        this.version = (
            JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { version: string }
        ).version;
    }

    async getSchema(): Promise<string> {
        return fs.promises.readFile(schemaFile, "utf8");
    }

    async construct(
        name: string,
        type: string,
        inputs: pulumi.Inputs,
        options: pulumi.ComponentResourceOptions,
    ): Promise<pulumi.provider.ConstructResult> {
        if (type !== stackResourceToken) {
            throw new Error(`unknown resource type ${type}; this provider serves ${stackResourceToken}`);
        }
        const stack = await constructStack(name, inputs, options);
        return { urn: stack.urn, state: { ...stack.outputs } };
    }
}
