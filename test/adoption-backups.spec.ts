/**
 * The copies an adoption keeps before it deletes anything of the release: Helm's record and the
 * objects of `adopt.remove`, as Secrets a rollback restores from (docs/helm-adoption.md). Pure; the
 * real thing runs in test/e2e/adopt.e2e.ts.
 */
import { strict as assert } from "assert";
import {
    backupKeys,
    backupSecretName,
    objectBackup,
    objectBackupName,
    recordBackup,
} from "../components/adoption/backups";
import { checkDns1123Subdomain } from "../components/config/validators";

describe("the adoption's backups", () => {
    const names: [string, string, string, string | RegExp][] = [
        ["a Secret", "Secret", "backline-access", "backline-helm-backup.backline.secret.backline-access"],
        ["a ConfigMap", "ConfigMap", "extra.conf", "backline-helm-backup.backline.configmap.extra.conf"],
        // 253 characters at most: cut, and a hash of the whole name keeps two long names apart.
        [
            "a name too long",
            "Secret",
            `${"a".repeat(230)}-x`,
            /^backline-helm-backup\.backline\.secret\.a+\.[0-9a-f]{16}$/,
        ],
        ["a cut ending on a dash", "Secret", `${"a".repeat(198)}-${"b".repeat(60)}`, /\.a+\.[0-9a-f]{16}$/],
    ];
    for (const [what, kind, name, expected] of names) {
        it(`names the copy of ${what} as a Secret may be named`, () => {
            const got = objectBackupName("backline", { kind, name });
            if (typeof expected === "string") assert.equal(got, expected);
            else assert.match(got, expected);
            assert.ok(got.length <= 253, `${got.length} characters`);
            assert.equal(checkDns1123Subdomain(got), undefined, got);
        });
    }
    it("never gives two long names the same copy", () => {
        const long = "a".repeat(240);
        assert.notEqual(
            objectBackupName("backline", { kind: "Secret", name: `${long}-1` }),
            objectBackupName("backline", { kind: "Secret", name: `${long}-2` }),
        );
    });

    it("copies an object as it can be created again: contents and metadata, without status and what the server set", () => {
        const secret = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "backline-access",
                namespace: "backline",
                uid: "u-1",
                resourceVersion: "42",
                creationTimestamp: "2026-01-01T00:00:00Z",
                managedFields: [{ manager: "helm" }],
                labels: { "app.kubernetes.io/managed-by": "Helm" },
                annotations: { "meta.helm.sh/release-name": "backline" },
            },
            type: "Opaque",
            data: { accessKey: Buffer.from("the-key").toString("base64") },
        };
        const backup = objectBackup("backline", "helm-records", secret);
        // Not `name=<release>`: the rollback restores the record's copies by that label.
        assert.equal(backup.metadata.labels.name, undefined);
        assert.deepEqual(backup.metadata, {
            name: "backline-helm-backup.backline.secret.backline-access",
            namespace: "helm-records",
            labels: { owner: "backline-helm-backup", "backline.ai/helm-release": "backline" },
            annotations: { "backline.ai/helm-object": "Secret/backline-access" },
        });
        const copy = JSON.parse(Buffer.from(backup.data?.[backupKeys.data] ?? "", "base64").toString());
        assert.deepEqual(copy, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "backline-access",
                namespace: "backline",
                labels: { "app.kubernetes.io/managed-by": "Helm" },
                annotations: { "meta.helm.sh/release-name": "backline" },
            },
            type: "Opaque",
            data: { accessKey: Buffer.from("the-key").toString("base64") },
        });
        const withStatus = objectBackup("backline", "helm-records", { ...secret, status: { phase: "x" } });
        assert.equal(withStatus.data?.[backupKeys.data], backup.data?.[backupKeys.data]);
    });

    it("copies a record Secret with its data and labels, `owner` changed, the original named", () => {
        const record = {
            metadata: {
                name: "sh.helm.release.v1.backline.v3",
                labels: { owner: "helm", name: "backline", status: "deployed", version: "3" },
            },
            type: "helm.sh/release.v1",
            data: { release: "H4sI" },
        };
        const backup = recordBackup("backline", "backline", record);
        assert.equal(backup.metadata.name, backupSecretName("backline", 3));
        assert.equal(backup.metadata.name, "backline-helm-backup.backline.v3");
        assert.deepEqual(backup.metadata.labels, {
            owner: "backline-helm-backup",
            name: "backline",
            status: "deployed",
            version: "3",
        });
        assert.deepEqual(backup.metadata.annotations, { "backline.ai/helm-record": "sh.helm.release.v1.backline.v3" });
        assert.equal(backup.type, "helm.sh/release.v1");
        assert.deepEqual(backup.data, { release: "H4sI" });
    });
});
