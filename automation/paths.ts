/**
 * Finding executables and expanding `~`: the one implementation the Automation API and the test
 * helpers share.
 */
import * as fs from "fs";
import * as path from "path";

/** Whether `p` is a regular file this process may execute. */
export function isExecutableFile(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/** The folders of a `PATH` value, in order, empty entries left out. */
export function pathDirs(pathVar: string | undefined): string[] {
    return (pathVar ?? "").split(path.delimiter).filter((d) => d !== "");
}

/** The first executable `name` in the folders of a `PATH` value (absolute), or null. */
export function which(name: string, pathVar: string | undefined = process.env.PATH): string | null {
    for (const dir of pathDirs(pathVar)) {
        const candidate = path.join(dir, name);
        if (isExecutableFile(candidate)) return path.resolve(candidate);
    }
    return null;
}

// One definition, shared with the cluster clients (components/cluster/home.ts).
export { expandHome } from "../components/cluster/home";
