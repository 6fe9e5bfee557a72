/**
 * The component provider's entry: serves `BacklineProvider` over gRPC and prints its port, as the
 * engine expects of a resource plugin. provider/pulumi-resource-backline runs it (compiled).
 */
import * as pulumi from "@pulumi/pulumi";
import { BacklineProvider } from "./provider";

pulumi.provider.main(new BacklineProvider(), process.argv.slice(2)).catch((err: unknown) => {
    console.error(`pulumi-resource-backline: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
});
