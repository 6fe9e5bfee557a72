/**
 * The adoption's two writes as Pulumi dynamic providers, so the engine orders them with the stack's
 * objects and `preview` shows them as resources:
 *
 * - the handover (before any object is applied): Helm's field ownership of each object the stack
 *   declares becomes the stack's (`managed-fields.ts`);
 * - the release removal (after every object was applied): the record and the objects of
 *   `adopt.remove` are copied, those and the chart's objects the stack replaces are deleted, the kept
 *   ones lose Helm's ownership metadata, and the record is removed last.
 *
 * Both are idempotent: a step that failed half-way is finished by the next `pulumi up`. Neither undoes
 * anything on `pulumi destroy` (the objects are the stack's by then).
 *
 * Pulumi serializes these objects with what they use into the resources' state and runs them in its
 * `pulumi-nodejs` provider process, so they use only `kubectl.ts` and pure functions.
 * https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/
 */
import type * as pulumi from "@pulumi/pulumi";
import { labelKeys } from "../model";
import { helmMetadata, ObjectRef, refName } from "./model";
import { BackupSecret, ObjectJson, objectBackup, RecordSecret, recordBackup } from "./backups";
import { handOver, handOverPatch } from "./managed-fields";
import { KubeConnection, kubectl, kubectlFailure, kubectlJson, kubectlOk, kubectlType } from "../cluster/kubectl";

export interface HandoverInputs {
    readonly connection: KubeConnection;
    readonly fieldManager: string;
    /** The objects that still carry Helm's (or kubectl's) ownership when the program read them. */
    readonly objects: readonly ObjectRef[];
}

export interface ReleaseRemovalInputs {
    /** The cluster, as the stack's Kubernetes provider reaches it. */
    readonly connection: KubeConnection;
    /** The release (`adopt.helmRelease`) and the namespace of its record (`adopt.releaseNamespace`). */
    readonly release: string;
    readonly releaseNamespace: string;
    /** Objects of the release the stack replaces with its own: deleted. */
    readonly remove: readonly ObjectRef[];
    /** Objects of the release left in place (`adopt.keep`): Helm's ownership metadata removed. */
    readonly keep: readonly ObjectRef[];
    /** Objects of the release listed in `adopt.remove`: copied, then deleted. @default none */
    readonly discard?: readonly ObjectRef[];
    /** Whether the program saw the record; once it is gone there is nothing left to do. */
    readonly recordPresent: boolean;
}

/** The time format of `managedFields` (RFC 3339, whole seconds). */
function now(): string {
    return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

function objectArgs(ref: ObjectRef): string[] {
    return [...(ref.namespace ? ["-n", ref.namespace] : []), `${kubectlType(ref.apiVersion, ref.kind)}/${ref.name}`];
}

/** Hands one object over; false when it is gone or has nothing left to hand over. */
function handOverObject(conn: KubeConnection, ref: ObjectRef, manager: string): boolean {
    for (let attempt = 1; attempt <= 5; attempt++) {
        const o = kubectlJson(conn, ["get", ...objectArgs(ref), "--ignore-not-found", "--show-managed-fields"]);
        const fields = o ? handOver(o.metadata.managedFields ?? [], manager, now()) : undefined;
        if (!fields) {
            return false;
        }
        const args = [
            "patch",
            ...objectArgs(ref),
            "--type=json",
            "-p",
            JSON.stringify(handOverPatch(o.metadata.resourceVersion, fields)),
        ];
        const r = kubectl(conn, args);
        if (r.status === 0) {
            return true;
        }
        // The `test` of resourceVersion failed: someone wrote the object since it was read. Read again.
        if (!/test|resourceVersion|conflict/i.test(r.stderr)) {
            throw new Error(kubectlFailure(args.slice(0, -1), r));
        }
    }
    throw new Error(
        `${refName(ref)} kept changing while its field ownership was handed over; run \`pulumi up\` again.`,
    );
}

function handOverAll(inputs: HandoverInputs): string[] {
    const done: string[] = [];
    for (const ref of inputs.objects) {
        if (handOverObject(inputs.connection, ref, inputs.fieldManager)) done.push(refName(ref));
    }
    return done;
}

export const handoverProvider: pulumi.dynamic.ResourceProvider = {
    // Only pending work is a change: a finished takeover read again has none, so `up` stays a no-op.
    async diff(_id: string, _olds: HandoverInputs, news: HandoverInputs) {
        return { changes: (news.objects ?? []).length > 0 };
    },
    async create(inputs: HandoverInputs) {
        return { id: "helm-field-ownership", outs: { handedOver: handOverAll(inputs) } };
    },
    async update(_id: string, _olds: HandoverInputs, news: HandoverInputs) {
        return { outs: { handedOver: handOverAll(news) } };
    },
    async delete() {
        // Ownership is not given back to Helm: the objects stay the stack's until it deletes them.
    },
};

/**
 * Creates a backup, or finds it with the same contents (a run that stopped half-way); `what` it is a
 * copy of names it in the error when another Secret has its name.
 */
function createBackup(conn: KubeConnection, backup: BackupSecret, what: string): string {
    const { name, namespace } = backup.metadata;
    const args = ["create", "-f", "-"];
    const r = kubectl(conn, args, { input: JSON.stringify(backup) });
    if (r.status === 0) {
        return name;
    }
    if (!/AlreadyExists|already exists/.test(r.stderr)) {
        throw new Error(kubectlFailure(args, r));
    }
    const existing = kubectlJson(conn, ["get", "secret", name, "-n", namespace]);
    if (!Object.entries(backup.data ?? {}).every(([k, v]) => existing?.data?.[k] === v)) {
        throw new Error(
            `Secret ${name} in ${namespace} exists with other contents than ${what}; move it away and run \`pulumi up\` again.`,
        );
    }
    return name;
}

/** The live object, while it still belongs to this Helm release. */
function ownedByRelease(conn: KubeConnection, ref: ObjectRef, release: string): ObjectJson | undefined {
    const o = kubectlJson(conn, ["get", ...objectArgs(ref), "--ignore-not-found"]);
    return o?.metadata?.annotations?.[helmMetadata.releaseName] === release ? o : undefined;
}

function finishAdoption(inputs: ReleaseRemovalInputs) {
    const conn = inputs.connection;
    const ns = inputs.releaseNamespace;
    const selector = `owner=helm,name=${inputs.release}`;
    const listed = kubectlJson(conn, ["get", "secrets", "-n", ns, "-l", selector]);
    const records: RecordSecret[] = listed?.items ?? [];
    const backups: string[] = [];
    for (const record of records) {
        backups.push(
            createBackup(conn, recordBackup(inputs.release, ns, record), `Helm's record ${record.metadata.name}`),
        );
    }
    // Every copy before anything is deleted: a copy that fails stops the run with nothing lost.
    const discarded = (inputs.discard ?? []).filter((ref) => {
        const o = ownedByRelease(conn, ref, inputs.release);
        if (o) backups.push(createBackup(conn, objectBackup(inputs.release, ns, o), `${refName(ref)} of the release`));
        return o !== undefined;
    });
    const removed: string[] = [];
    for (const ref of inputs.remove) {
        if (ownedByRelease(conn, ref, inputs.release)) {
            kubectlOk(conn, ["delete", ...objectArgs(ref), "--ignore-not-found", "--wait=false"]);
            removed.push(refName(ref));
        }
    }
    for (const ref of discarded) {
        kubectlOk(conn, ["delete", ...objectArgs(ref), "--ignore-not-found", "--wait=false"]);
        removed.push(refName(ref));
    }
    // Without Helm's ownership metadata no later `helm install`/`upgrade` can take these back.
    const strip = {
        metadata: {
            labels: { [labelKeys.managedBy]: null },
            annotations: { [helmMetadata.releaseName]: null, [helmMetadata.releaseNamespace]: null },
        },
    };
    for (const ref of inputs.keep) {
        if (ownedByRelease(conn, ref, inputs.release)) {
            kubectlOk(conn, ["patch", ...objectArgs(ref), "--type=merge", "-p", JSON.stringify(strip)]);
        }
    }
    if (records.length > 0) {
        kubectlOk(conn, ["delete", "secret", "-n", ns, ...records.map((r) => r.metadata.name), "--ignore-not-found"]);
    }
    const left = kubectlJson(conn, ["get", "secrets", "-n", ns, "-l", selector]);
    if ((left?.items ?? []).length > 0) {
        throw new Error(
            `release ${inputs.release} got a new revision during the adoption (${left.items.map((s: RecordSecret) => s.metadata.name).join(", ")}); run \`pulumi up\` again.`,
        );
    }
    return {
        revisions: records.map((r) => Number(r.metadata.labels?.version ?? 0)).sort((a, b) => a - b),
        backups: backups.sort(),
        removed,
        kept: inputs.keep.map(refName),
    };
}

export const releaseRemovalProvider: pulumi.dynamic.ResourceProvider = {
    // Only a record seen by the program is work to do; once removed, later runs change nothing.
    async diff(_id: string, _olds: ReleaseRemovalInputs, news: ReleaseRemovalInputs) {
        return { changes: news.recordPresent === true };
    },
    async create(inputs: ReleaseRemovalInputs) {
        return { id: `helm-release-${inputs.release}`, outs: finishAdoption(inputs) };
    },
    async update(_id: string, _olds: ReleaseRemovalInputs, news: ReleaseRemovalInputs) {
        return { outs: finishAdoption(news) };
    },
    async delete() {
        // The record stays removed and its backups stay: docs/move-from-helm.md, "Rolling back", restores it.
    },
};
