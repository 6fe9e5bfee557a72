/**
 * Where a stack's project folder is, so that the installed package never writes into
 * `node_modules`. An embedding tool's stacks live in a folder of its
 * own, `<dataDir>/project` (default `~/.backline/project`): a `Pulumi.yaml` written here from the
 * package's own, whose `main` is the package's program (compiled, once installed), and one
 * `Pulumi.<stack>.yaml` per stack with its settings and encryption salt. Nothing is ever written
 * inside the installed package, which the next `npm ci` replaces. `pulumi` commands run in the
 * repository keep their layout (`Pulumi.yaml` and the committed `Pulumi.dev.yaml`/`Pulumi.prod.yaml`
 * next to `index.ts`); the Automation API uses that folder only when told to (`workDir`).
 *
 * The engine accepts an absolute `main` and runs the program from its folder
 * (`pkg/engine/project.go`, `getPwdMain`, v3.274.1), so the language host finds `@pulumi/pulumi`
 * where Node.js finds it from the installed package.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMap, isScalar, parseDocument } from "yaml";
import type { ConfigProblem } from "../components/config";
import { codeRoot, compiled, packageRoot } from "../components/package-root";

/**
 * The stacks committed to the repository (`Pulumi.<name>.yaml` next to `Pulumi.yaml`), which belong
 * to `pulumi` commands run there (docs/get-started/your-cluster.md, "The committed stacks"). test/automation-project.spec.ts keeps this
 * list equal to the files git tracks.
 */
export const committedStacks: readonly string[] = ["dev", "prod"];

/** The default folder of an embedding tool's stacks and state. */
export function defaultDataDir(home = os.homedir()): string {
    return path.join(home, ".backline");
}

/** The generated project folder under a data folder. */
export function projectDirOf(dataDir: string): string {
    return path.join(dataDir, "project");
}

/** The program the engine runs: the compiled one (`dist/index.js`) when this module runs compiled. */
export function programPath(): string {
    return path.join(codeRoot, compiled ? "index.js" : "index.ts");
}

/** The stack's settings file in a project folder, as the CLI names it (`.yaml` unless another exists). */
export function stackConfigFile(workDir: string, stackName: string): string {
    for (const ext of [".yaml", ".yml", ".json"]) {
        const p = path.join(workDir, `Pulumi.${stackName}${ext}`);
        if (fs.existsSync(p)) return p;
    }
    return path.join(workDir, `Pulumi.${stackName}.yaml`);
}

const header =
    " Written by @backline/pulumi's Automation API before each operation (automation/project.ts):\n" +
    " the package's Pulumi.yaml with `main` set to its program. Edits are overwritten. The\n" +
    " Pulumi.<stack>.yaml files next to it are the stacks' settings and encryption salts: keep them.";

/** The generated project's `Pulumi.yaml`: the package's own, its `main` the program's absolute path. */
export function projectFileText(
    source: string = fs.readFileSync(path.join(packageRoot, "Pulumi.yaml"), "utf8"),
    program: string = programPath(),
): string {
    const doc = parseDocument(source);
    doc.delete("main"); // with the comment above it, which speaks of the repository
    doc.set("main", program);
    if (path.extname(program) === ".js") {
        // A compiled program: no ts-node (the installed package has none).
        const runtime = doc.get("runtime", true);
        if (isScalar(runtime) || !isMap(runtime)) {
            doc.set("runtime", doc.createNode({ name: isScalar(runtime) ? runtime.value : "nodejs" }));
        }
        doc.setIn(["runtime", "options", "typescript"], false);
    }
    doc.commentBefore = header;
    return doc.toString({ lineWidth: 0 });
}

/**
 * Writes `<dir>/Pulumi.yaml` when it differs from what it should be (a new package version, a moved
 * package). Atomic: concurrent operations never read half a file.
 */
export function writeProject(dir: string, text: string = projectFileText()): void {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "Pulumi.yaml");
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
}

/**
 * What is wrong with using `workDir` for `stackName`: a folder inside `node_modules` (its stack files
 * would be lost at the next install), or a stack of the repository's own committed ones.
 */
export function workDirProblems(workDir: string, stackName: string, root: string = packageRoot): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (workDir.split(path.sep).includes("node_modules")) {
        problems.push({
            key: "workDir",
            message:
                `got ${JSON.stringify(workDir)}, which is inside node_modules: the stack files written there ` +
                "(`Pulumi.<stack>.yaml`, with the stack's encryption salt) would be deleted by the next npm install. " +
                "Leave `workDir` unset (stacks then live in `<dataDir>/project`, by default ~/.backline/project) or pass a folder of your own.",
        });
    }
    const file = path.join(root, `Pulumi.${stackName}.yaml`);
    if (path.resolve(workDir) === path.resolve(root) && committedStacks.includes(stackName) && fs.existsSync(file)) {
        problems.push({
            key: "stackName",
            message:
                `got ${JSON.stringify(stackName)}, one of the repository's committed stacks (${file}): ` +
                "the Automation API rewrites a stack's whole configuration, and that file's encryption salt belongs to its own passphrase. " +
                "Pick another `stackName`, or leave `workDir` unset so the stack lives in `<dataDir>/project` (by default ~/.backline/project).",
        });
    }
    return problems;
}
