/**
 * The copies an adoption keeps before it deletes anything of the release, as pure functions: Helm's
 * record (one Secret per revision) and the objects of `adopt.remove`. Both are Secrets labelled
 * `owner=backline-helm-backup`, which Helm does not list; "Rolling back" in docs/move-from-helm.md
 * and docs/helm-adoption.md restores them.
 */
import { sha256 } from "../specs/common";
import type { ObjectRef } from "./model";

/** The `owner` label of the backups. */
export const backupOwner = "backline-helm-backup";

/** The backups' metadata keys. */
export const backupKeys = {
    /** Annotation of a record's copy: the record Secret's name. */
    record: "backline.ai/helm-record",
    /** Label of an object's copy: the release (not `name`, which selects the record's copies). */
    release: "backline.ai/helm-release",
    /** Annotation of an object's copy: the object, as `Kind/name`. */
    object: "backline.ai/helm-object",
    /** The data key of an object's copy: the object as JSON, ready for `kubectl create -f -`. */
    data: "object",
} as const;

/**
 * The copy of one revision's record that the adoption keeps for a rollback: the record Secret under
 * this name and with label `owner=backline-helm-backup`.
 */
export function backupSecretName(release: string, version: number): string {
    return `${backupOwner}.${release}.v${version}`;
}

/** A record Secret of Helm's, as `kubectl get -o json` returns it. */
export interface RecordSecret {
    readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
    readonly type?: string;
    readonly data?: Record<string, string>;
}

/** A backup, as it is created. */
export interface BackupSecret {
    readonly apiVersion: "v1";
    readonly kind: "Secret";
    readonly metadata: {
        readonly name: string;
        readonly namespace: string;
        readonly labels: Record<string, string>;
        readonly annotations: Record<string, string>;
    };
    readonly type?: string;
    readonly data?: Record<string, string>;
}

/** The copy of a record Secret: the same data and labels, but `owner`, and the record's name. */
export function recordBackup(release: string, namespace: string, record: RecordSecret): BackupSecret {
    const version = Number(record.metadata.labels?.version ?? 0);
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: backupSecretName(release, version),
            namespace,
            labels: { ...record.metadata.labels, owner: backupOwner },
            annotations: { [backupKeys.record]: record.metadata.name },
        },
        type: record.type,
        data: record.data,
    };
}

/** The longest name of an object (a DNS-1123 subdomain). */
const maxName = 253;

/**
 * The copy of an object of `adopt.remove`: `backline-helm-backup.<release>.<kind>.<name>`; a name
 * longer than Kubernetes allows is cut and ends with a hash of the whole.
 */
export function objectBackupName(release: string, ref: Pick<ObjectRef, "kind" | "name">): string {
    const name = `${backupOwner}.${release}.${ref.kind.toLowerCase()}.${ref.name}`;
    if (name.length <= maxName) return name;
    const hash = sha256(name).slice(0, 16);
    return `${name.slice(0, maxName - hash.length - 1).replace(/[-.]+$/, "")}.${hash}`;
}

/** What the API server sets on an object, which a copy to create again leaves out. */
const serverSet = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink"];

/** An object as `kubectl get -o json` returns it. */
export interface ObjectJson {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string } & Record<string, unknown>;
    readonly [key: string]: unknown;
}

/**
 * The Secret in `namespace` (the record's, with the record's copies) that keeps a copy of `o`,
 * deleted by the adoption: its labels and annotations (Helm's included, so that `helm rollback`
 * takes it over again) and contents, without status and what the API server sets.
 */
export function objectBackup(release: string, namespace: string, o: ObjectJson): BackupSecret {
    const { status: _status, ...rest } = o;
    const metadata = Object.fromEntries(Object.entries(o.metadata).filter(([k]) => !serverSet.includes(k)));
    const copy = JSON.stringify({ ...rest, metadata });
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: objectBackupName(release, { kind: o.kind, name: o.metadata.name }),
            namespace,
            labels: { owner: backupOwner, [backupKeys.release]: release },
            annotations: { [backupKeys.object]: `${o.kind}/${o.metadata.name}` },
        },
        type: "Opaque",
        data: { [backupKeys.data]: Buffer.from(copy).toString("base64") },
    };
}
