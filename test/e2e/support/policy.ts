/**
 * What the policy-pack end-to-end suites share: where the pack is, and a project whose program is
 * a customer's wrapper of `BacklineStack` (test/fixtures/policy-program.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./engine";
import { ProjectCopy, copyProject } from "./project";

export const packDir = path.join(REPO_ROOT, "policy");
/** The pack as an executable analyzer (policy/analyzer), which the engine built here can start. */
export const packAnalyzer = path.join(packDir, "analyzer");

/** Fails with what to run when policy/'s dependencies are not installed. */
export function assertPackInstalled(): void {
    if (!fs.existsSync(path.join(packDir, "node_modules", "@pulumi", "policy"))) {
        throw new Error("policy/node_modules is missing: run scripts/setup.sh (it runs `npm ci` in policy/)");
    }
}

/** A project copy whose `index.ts` is the wrapper; the stack setting `policytest:change` picks its change. */
export function copyWrapperProject(): ProjectCopy {
    const project = copyProject();
    const fixture = path.join("test", "fixtures", "policy-program.ts");
    fs.mkdirSync(path.join(project.dir, path.dirname(fixture)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, fixture), path.join(project.dir, fixture));
    fs.writeFileSync(path.join(project.dir, "index.ts"), 'export * from "./test/fixtures/policy-program";\n');
    return project;
}
