/**
 * `~` in the paths users give (`kubernetes.kubeconfig`, the files a kubeconfig names, the Automation
 * API's folders), expanded as a shell would: one definition for the cluster clients and the
 * Automation API (which re-exports it). Node's modules are imported by name because the adoption's
 * dynamic providers capture this module (see kubectl.ts).
 */
import { homedir } from "os";
import { join } from "path";

/** `~` and `~/…` in the home folder; anything else unchanged. */
export function expandHome(p: string, home: string = homedir()): string {
    return p === "~" ? home : p.startsWith("~/") ? join(home, p.slice(2)) : p;
}
