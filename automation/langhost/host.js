// @ts-check
/**
 * A Node.js language host for the Pulumi engine, for machines whose engine has no
 * `pulumi-language-nodejs` (the one this repository builds from Go modules: the Go module proxy
 * does not serve the host's module, see docs/engine.md). A real Pulumi install bundles the Go host,
 * which is found first; the Automation API puts this folder on the engine's PATH only when no
 * `pulumi-language-nodejs` is found (automation/engine.ts).
 *
 * The engine starts it as a plugin (`pulumi-language-nodejs <engine address>`, in the project
 * directory) and reads its gRPC port from the first line of stdout. It serves the LanguageRuntime
 * service with the SDK's own `LanguageServer` (the one that serves Automation API inline
 * programs), whose program is the project's entry point (`package.json` "main", e.g.
 * `index.ts`), loaded with ts-node from the project's own node_modules. Each engine operation
 * starts its own host process, so programs never share runtime state.
 *
 * What the Go host does and this one does not: dependency installation, `GetRequiredPackages`
 * (the engine then loads providers as the program registers them), type-checking (TypeScript is
 * transpiled only; `npm run typecheck` checks types), the Node.js debugger.
 */
"use strict";
const path = require("path");

const engineAddress = process.argv[process.argv.length - 1];
const projectDir = process.cwd();

/** A module from the project's node_modules (the program's copy of the SDK). */
function fromProject(request, dir) {
    return require(require.resolve(request, { paths: [dir] }));
}

const grpc = fromProject("@grpc/grpc-js", path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [projectDir] })));
const { LanguageServer } = fromProject("@pulumi/pulumi/automation/server", projectDir);
const langrpc = fromProject("@pulumi/pulumi/proto/language_grpc_pb", projectDir);
const runtime = fromProject("@pulumi/pulumi/runtime", projectDir);

let tsRegistered = false;

/** The program: the project's entry point, with TypeScript support registered once. */
function programFor(pwd, program) {
    return () => {
        if (!tsRegistered) {
            const tsconfig = path.join(pwd, "tsconfig.json");
            // Without a tsconfig.json, the Go host's defaults.
            fromProject("ts-node", pwd).register(
                require("fs").existsSync(tsconfig)
                    ? { transpileOnly: true, project: tsconfig }
                    : { transpileOnly: true, skipProject: true, compilerOptions: { target: "es2020", module: "commonjs", moduleResolution: "node" } },
            );
            tsRegistered = true;
        }
        process.chdir(pwd);
        const entry = path.resolve(pwd, program || ".");
        return require(entry);
    };
}

const server = new LanguageServer(undefined);
const service = {
    getRequiredPlugins: server.getRequiredPlugins.bind(server),
    getPluginInfo: server.getPluginInfo.bind(server),
    run(call, callback) {
        const req = call.request;
        server.program = programFor(req.getPwd() || projectDir, req.getProgram());
        // The SDK's server takes the engine address from the first argument (inline programs).
        if (!req.getArgsList() || req.getArgsList().length === 0) {
            req.getArgsList = () => [engineAddress];
        }
        return server.run(call, callback);
    },
};

const grpcServer = new grpc.Server({ ...runtime.grpcChannelOptions });
grpcServer.addService(langrpc.LanguageRuntimeService, service);
grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
        process.stderr.write(`pulumi-language-nodejs (Node.js host): ${err.message}\n`);
        process.exit(1);
    }
    process.stdout.write(`${port}\n`);
});
