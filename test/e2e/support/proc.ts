/** Process-tree helpers over Linux /proc, for suites that kill an engine and look at what it left. */
import * as fs from "fs";

/** `/proc/<pid>/stat`: pid, (command), state, ppid, … (the command may hold spaces and parentheses). */
const STAT = /^\d+ \((.*)\) (\S) (\d+)/s;

/** PIDs of `pid`'s descendants (Linux /proc). */
export function descendants(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const e of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
        try {
            const ppid = Number(STAT.exec(fs.readFileSync(`/proc/${e}/stat`, "utf8"))?.[3]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
        } catch {
            /* gone */
        }
    }
    const out: number[] = [];
    const walk = (p: number): void => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
    walk(pid);
    return out;
}

/** The command name of a running (not zombie) process, else undefined. */
export function running(pid: number): string | undefined {
    try {
        const m = STAT.exec(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
        return m && m[2] !== "Z" ? m[1] : undefined;
    } catch {
        return undefined;
    }
}
