/**
 * The janitor's writes as the real API server saw them: its audit log (Metadata level, write verbs
 * of ServiceAccounts only), whatever the target and whether or not the write was allowed. Reading
 * the log rather than diffing objects also catches writes that changed nothing or were denied.
 */
import * as fs from "node:fs";

import { KubeWrite } from "./kube-backend";

/** The policy given to kube-apiserver as --audit-policy-file. */
export const AUDIT_POLICY = {
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
        {
            level: "Metadata",
            userGroups: ["system:serviceaccounts"],
            verbs: ["create", "update", "patch", "delete", "deletecollection"],
        },
        { level: "None" },
    ],
};

interface AuditEvent {
    stage: string;
    verb: string;
    requestURI: string;
    user: { username: string };
    objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
    responseStatus?: { code?: number };
}

/** The writes by `username` logged in `auditLog` after byte `offset` (completed requests only). */
export function readAuditWrites(auditLog: string, offset: number, username: string): KubeWrite[] {
    if (!fs.existsSync(auditLog)) return [];
    const fd = fs.openSync(auditLog, "r");
    let text: string;
    try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - offset));
        fs.readSync(fd, buf, 0, buf.length, offset);
        text = buf.toString("utf8");
    } finally {
        fs.closeSync(fd);
    }
    const out: KubeWrite[] = [];
    for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as AuditEvent;
        // Every write of this namespace's janitor, wherever it went (another namespace, cluster scope).
        if (ev.stage !== "ResponseComplete" || ev.user.username !== username || !ev.objectRef) continue;
        const query = new URL(ev.requestURI, "https://apiserver").searchParams;
        const apply = ev.verb === "patch" && query.has("force");
        out.push({
            verb: apply ? "apply" : ev.verb,
            resource: ev.objectRef.subresource
                ? `${ev.objectRef.resource}/${ev.objectRef.subresource}`
                : (ev.objectRef.resource ?? ""),
            namespace: ev.objectRef.namespace ?? "",
            name: ev.objectRef.name ?? "",
            fieldManager: query.get("fieldManager") ?? "",
            ...(apply ? { forceConflicts: query.get("force") === "true" } : {}),
            status: ev.responseStatus?.code,
        });
    }
    return out;
}
