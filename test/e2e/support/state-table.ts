/**
 * What Pulumi's DIY `postgres://` backend stores, read straight from PostgreSQL (engine v3.274.1,
 * `pkg/backend/diy/postgres`): one table, `pulumi_state` (`key` TEXT PRIMARY KEY, `data` JSON
 * `{"data": "<base64 of the file>"}`, `updated_at`), one row per file of the file backend's layout,
 * every key prefixed with the database name from the URL:
 *
 *   <database>/.pulumi/meta.yaml
 *   <database>/.pulumi/stacks/<project>/<stack>.json                         the checkpoint (+ .json.bak)
 *   <database>/.pulumi/locks/organization/<project>/<stack>/<uuid>.json      one per running update
 *   <database>/.pulumi/history/<project>/<stack>/<stack>-<ns>.history.json   one per operation (+ .checkpoint.json)
 */
import type { PostgresServer } from "../../support/postgres";

const TABLE = "pulumi_state";

function literal(s: string): string {
    return `'${s.replace(/'/g, "''")}'`;
}

export interface StateRow {
    readonly key: string;
    /** The stored file, decoded. */
    readonly text: string;
    readonly updated_at: string;
}

/** Rows whose key starts with `<database>/.pulumi/<under>` (no LIKE: `_` in names is not a wildcard here). */
export function stateRows(pg: PostgresServer, under: string): StateRow[] {
    const prefix = `${pg.database}/.pulumi/${under}`;
    return pg.queryJson<StateRow>(
        `SELECT key, convert_from(decode(data->>'data', 'base64'), 'UTF8') AS text, updated_at FROM ${TABLE} ` +
            `WHERE starts_with(key, ${literal(prefix)}) ORDER BY key`,
        pg.database,
    );
}

/** The tables of the database's `public` schema. */
export function tables(pg: PostgresServer): string[] {
    return pg
        .queryJson<{ tablename: string }>(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            pg.database,
        )
        .map((r) => r.tablename);
}

export interface LockRow {
    readonly key: string;
    /** The `pulumi` process holding the lock. */
    readonly pid: number;
    readonly username: string;
    readonly hostname: string;
    readonly timestamp: string;
}

export function locks(pg: PostgresServer, project: string, stack: string): LockRow[] {
    return stateRows(pg, `locks/organization/${project}/${stack}/`).map((r) => ({
        key: r.key,
        ...(JSON.parse(r.text) as Omit<LockRow, "key">),
    }));
}

export interface CheckpointResource {
    readonly urn: string;
    readonly type: string;
    readonly outputs?: Readonly<Record<string, unknown>>;
}

export interface Checkpoint {
    readonly version: number;
    readonly checkpoint: {
        readonly stack: string;
        readonly latest?: {
            readonly resources?: readonly CheckpointResource[];
            readonly pending_operations?: readonly { readonly type: string; readonly resource: CheckpointResource }[];
        };
    };
}

/** The stack's checkpoint row, parsed; `undefined` when the stack has none. */
export function checkpoint(pg: PostgresServer, project: string, stack: string): Checkpoint | undefined {
    const row = stateRows(pg, `stacks/${project}/${stack}.json`).find((r) => r.key.endsWith(`/${stack}.json`));
    return row ? (JSON.parse(row.text) as Checkpoint) : undefined;
}

/** The stack's history records (one per update, refresh or destroy). */
export function historyKeys(pg: PostgresServer, project: string, stack: string): string[] {
    return stateRows(pg, `history/${project}/${stack}/`)
        .map((r) => r.key)
        .filter((k) => k.endsWith(".history.json"));
}

/** Names of the project's stacks that have a checkpoint row. */
export function stackNames(pg: PostgresServer, project: string): string[] {
    return stateRows(pg, `stacks/${project}/`)
        .map((r) => /\/([^/]+)\.json$/.exec(r.key)?.[1])
        .filter((n): n is string => n !== undefined)
        .sort();
}
