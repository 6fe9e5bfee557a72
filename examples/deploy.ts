/**
 * Deploy Backline from a script with the Automation API (automation/).
 *
 *   export BACKLINE_ACCESS_KEY=bk_live_...          # required
 *   export PULUMI_CONFIG_PASSPHRASE=...              # required: any passphrase for a new stack, then always that one
 *   export BACKLINE_RENDER_DIR=./rendered            # write manifests here instead of applying them, or
 *   export KUBECONFIG=~/.kube/config                 #   a kubeconfig (optionally BACKLINE_KUBE_CONTEXT=<context>)
 *   npx ts-node examples/deploy.ts [preview|up|outputs|destroy]   # default: preview; destroy also removes the stack
 *
 * Optional: BACKLINE_STACK (default `dev`), BACKLINE_BASE_URL (default https://app.backline.ai),
 * BACKLINE_DATA_DIR (where the stacks live: `<dir>/project/Pulumi.<stack>.yaml` with each stack's
 * settings and encryption salt, `<dir>/state` the local backend; default ~/.backline, never this
 * repository, whose committed `Pulumi.dev.yaml` belongs to `pulumi` commands run here),
 * BACKLINE_STATE_DIR (local state backend folder; default <data dir>/state) or PULUMI_BACKEND_URL,
 * BACKLINE_STORAGE_CLASS (an existing ReadWriteMany storage class; default: the cluster's),
 * BACKLINE_LOG_REGION + BACKLINE_LOG_ROLE_ARN (CloudWatch/X-Ray for the collector; without them the
 * collector is off), BACKLINE_REPLICAS.
 */
import {
    BacklineSettings,
    ConcurrentUpdateError,
    EngineMissingError,
    InvalidConfigError,
    KubernetesTarget,
    PassphraseError,
    UpdateFailedError,
    destroy,
    outputs,
    preview,
    up,
} from "../automation";

function target(env: NodeJS.ProcessEnv): KubernetesTarget | undefined {
    if (env.BACKLINE_RENDER_DIR) return { renderToDirectory: env.BACKLINE_RENDER_DIR };
    if (env.KUBECONFIG) return { kubeconfig: env.KUBECONFIG, context: env.BACKLINE_KUBE_CONTEXT || undefined };
    if (env.BACKLINE_KUBE_CONTEXT) return { context: env.BACKLINE_KUBE_CONTEXT };
    return undefined;
}

function settings(env: NodeJS.ProcessEnv): BacklineSettings {
    const logging =
        env.BACKLINE_LOG_REGION && env.BACKLINE_LOG_ROLE_ARN
            ? { region: env.BACKLINE_LOG_REGION, roleArn: env.BACKLINE_LOG_ROLE_ARN }
            : undefined;
    return {
        baseUrl: env.BACKLINE_BASE_URL || "https://app.backline.ai",
        accessKey: env.BACKLINE_ACCESS_KEY ?? "",
        logging,
        worker: {
            replicaCount: env.BACKLINE_REPLICAS ? Number(env.BACKLINE_REPLICAS) : undefined,
            otel: { enabled: logging !== undefined },
            storage: env.BACKLINE_STORAGE_CLASS ? { pvc: { storageClassName: env.BACKLINE_STORAGE_CLASS } } : undefined,
        },
    };
}

async function main(action: string, env: NodeJS.ProcessEnv): Promise<number> {
    const common = {
        stackName: env.BACKLINE_STACK || "dev",
        dataDir: env.BACKLINE_DATA_DIR || undefined,
        backendUrl: env.PULUMI_BACKEND_URL || undefined,
        stateDir: env.BACKLINE_STATE_DIR || undefined,
        onOutput: (line: string) => console.log(line),
    };
    const kubernetes = target(env);
    try {
        switch (action) {
            case "preview":
            case "up": {
                const run = action === "up" ? up : preview;
                const result = await run({
                    ...common,
                    config: settings(env),
                    kubernetes: kubernetes as KubernetesTarget,
                });
                const s = result.summary;
                console.log(
                    `\n${action}: ${s.created} created, ${s.updated} updated, ${s.deleted} deleted, ${s.replaced} replaced, ${s.same} unchanged in ${s.durationMs} ms`,
                );
                console.log(JSON.stringify(result.outputs ?? {}, null, 2));
                return 0;
            }
            case "outputs":
                console.log(JSON.stringify((await outputs(common)) ?? {}, null, 2));
                return 0;
            case "destroy": {
                // Deletes the resources, then the stack (its history and Pulumi.<stack>.yaml).
                const result = await destroy({ ...common, removeStack: true });
                console.log(`\ndestroy: ${result.summary.deleted} deleted in ${result.summary.durationMs} ms`);
                return 0;
            }
            default:
                console.error(`unknown action ${JSON.stringify(action)}; use preview, up, outputs or destroy`);
                return 2;
        }
    } catch (err) {
        // Every failure is one of the API's typed errors; none of them contains the access key.
        if (err instanceof InvalidConfigError) {
            console.error(err.message); // lists every problem
            if (!kubernetes) console.error("(set BACKLINE_RENDER_DIR, KUBECONFIG or BACKLINE_KUBE_CONTEXT)");
        } else if (err instanceof ConcurrentUpdateError) {
            console.error(`busy: ${err.message}`);
        } else if (err instanceof PassphraseError) {
            console.error(err.message); // names the stack and its stack file, says what to do
        } else if (err instanceof EngineMissingError) {
            console.error(err.message); // says how to build or install the engine
        } else if (err instanceof UpdateFailedError) {
            console.error(`${err.message}\n--- last output ---\n${err.stdoutTail}\n${err.stderrTail}`);
        } else {
            console.error(err);
        }
        return 1;
    }
}

main(process.argv[2] ?? "preview", process.env).then((code) => {
    process.exitCode = code;
});
