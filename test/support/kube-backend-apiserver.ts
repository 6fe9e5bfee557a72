/**
 * The janitor suite's second KubeBackend: a REAL kube-apiserver (test/support/apiserver.ts, one
 * per suite) and the REAL kubectl, with the script running under the permissions it has in
 * production.
 *
 * Every reset() moves to a fresh namespace, labelled like production (`podSecurityLabels`:
 * enforce/audit/warn `restricted`), holding a ServiceAccount `janitor`, the Role the program
 * gives it (`buildJanitorRoleRules` of a configuration parsed by `parseBacklineConfig`) and a
 * RoleBinding. The script gets a kubeconfig that authenticates as that ServiceAccount with a
 * token from the TokenRequest API, never the admin's. The Role follows the run's
 * JANITOR_UPDATE_WORKER_IMAGE as the program's would (no Deployment rule when the image is
 * pinned; see beforeRun()). A case that fails with Forbidden is therefore a real finding about
 * the Role, not something to widen here.
 *
 * - Seeding: `kubectl apply --server-side` as admin (field manager `janitor-e2e-seed`). Seeds are
 *   queued and applied in order by ONE kubectl call before the next read, run or failWritesEnv
 *   (a case seeds 1–4 objects in a row; one kubectl call instead of several saves ~0.2 s each).
 * - Reading back: GET through the API (raw body, resourceVersion), as admin.
 * - Writes of the script: the API server's audit log (policy: Metadata level for write verbs
 *   of ServiceAccounts, nothing else): every write request of this namespace's janitor
 *   ServiceAccount, whatever its target and whether or not it was allowed (see `status`). A PATCH carrying the `force`
 *   query parameter is a server-side apply (the API server refuses `force` on other patch types;
 *   kubectl sends force=true|false on every apply --server-side).
 * - kubectl calls: PATH holds a thin bash shim named kubectl that appends its argv to a log and
 *   `exec`s the real binary, so the script runs the real kubectl with its own argv, stdin and env.
 * - failWritesEnv: denies the selected writes of the janitor's ServiceAccount with a message quoting
 *   the request's sensitive values; the returned environment is empty. Secrets: a validating
 *   admission webhook (test/support/admission-webhook.ts, in this process) that quotes each value
 *   as sent (base64), decoded, decoded and JSON-quoted, and the dockerconfig password JSON-quoted,
 *   as a careless real webhook might. Deployments: a ValidatingAdmissionPolicy
 *   (in-process CEL admission) quoting the containers' images.
 *
 * Admin calls use a keep-alive HTTPS client (a few ms each) instead of kubectl (~100 ms each),
 * except for seeding, which is done with kubectl on purpose.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { labelsFor, podSecurityLabels } from "../../components/specs/common";
import { janitorComponent, janitorObjectNames } from "../../components/model";
import { ApiServer, findKubeBinaries, startApiServer } from "./apiserver";
import {
    KubeBackend,
    KubeBackendFactory,
    KubeKind,
    KubeObject,
    KubeWrite,
    StoredObject,
    ToolDirs,
    WriteSelector,
    makeToolDirs,
    missingScriptTools,
} from "./kube-backend";
import { AUDIT_POLICY, readAuditWrites } from "./kube-backend-apiserver-audit";
import { ApiClient, RESOURCE_PATHS } from "./kube-backend-apiserver-client";
import { WriteFaults } from "./kube-backend-apiserver-faults";
import {
    RoleShape,
    SA,
    janitorKubeconfig,
    janitorRole,
    roleShapeOf,
    saUser,
    sameShape,
    waitAuthenticated,
    waitAuthorized,
} from "./kube-backend-apiserver-rbac";

const SEED_MANAGER = "janitor-e2e-seed";

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// --- the backend ----------------------------------------------------------------------------

interface Stats {
    namespaces: number;
    setupMs: number;
    seeds: number;
    seedCalls: number;
    seedMs: number;
    roleSwitches: number;
    runs: number;
    kubectlCalls: number;
}

class ApiServerBackend implements KubeBackend {
    readonly name = "real kube-apiserver + kubectl";
    private ns = "";
    private serial = 0;
    private home = "";
    private kubeconfig = "";
    /** Whether the current namespace's Role has the Deployment rule (worker image updates on). */
    private roleShape: RoleShape = { autoUpdate: true, objects: janitorObjectNames };
    private auditOffset = 0;
    private readonly callsLog: string;
    private readonly shimDir: string;
    private readonly adminHome: string;
    private pendingSeeds: KubeObject[] = [];
    private readonly faults: WriteFaults;
    readonly stats: Stats = {
        namespaces: 0,
        setupMs: 0,
        seeds: 0,
        seedCalls: 0,
        seedMs: 0,
        roleSwitches: 0,
        runs: 0,
        kubectlCalls: 0,
    };

    private constructor(
        private readonly prefix: string,
        private readonly server: ApiServer,
        private readonly api: ApiClient,
        private readonly tools: ToolDirs,
        private readonly auditLog: string,
        readonly version: string,
    ) {
        this.callsLog = path.join(tools.root, "kubectl-calls.log");
        this.shimDir = path.join(tools.root, "kubectl-shim");
        this.adminHome = path.join(tools.root, "admin-home");
        this.faults = new WriteFaults(api, server, (kind, name) => this.get(kind, name));
        fs.mkdirSync(this.shimDir);
        fs.mkdirSync(this.adminHome);
        // The thin shim: log the argv (fields \x1f, records \x1e), then become the real kubectl.
        fs.writeFileSync(
            path.join(this.shimDir, "kubectl"),
            [
                `#!${path.join(tools.tools, "bash")}`,
                "# kubectl on the janitor's PATH in the real-API-server tests: logs its argv, then execs the real binary.",
                `{ printf '%s\\x1f' "$@"; printf '\\x1e'; } >>${shellQuote(this.callsLog)}`,
                `exec ${shellQuote(server.kubectl)} "$@"`,
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    }

    static async start(prefix: string): Promise<ApiServerBackend> {
        const tools = makeToolDirs();
        let server: ApiServer | undefined;
        let api: ApiClient | undefined;
        try {
            const auditPolicy = path.join(tools.root, "audit-policy.json");
            const auditLog = path.join(tools.root, "audit.log");
            fs.writeFileSync(auditPolicy, JSON.stringify(AUDIT_POLICY));
            const t0 = Date.now();
            server = await startApiServer({
                // No controllers: the deployment controller would update the seeded Deployment's status,
                // and "resourceVersion unchanged" is how the cases prove the janitor wrote nothing.
                controllerManager: false,
                apiServerArgs: [
                    `--audit-policy-file=${auditPolicy}`,
                    `--audit-log-path=${auditLog}`,
                    // blocking: the event is written before the handler chain returns, i.e. before the
                    // client sees the end of the response, so it is in the file when kubectl returns
                    "--audit-log-mode=blocking",
                ],
            });
            api = new ApiClient(server.server, server.caPem, server.token);
            const version = String((await api.ok("GET", "/version")).gitVersion);
            console.log(
                `      kube-apiserver ${version} ready in ${Date.now() - t0} ms (${server.timings.readyzMs} ms after spawn) at ${server.server}`,
            );
            const backend = new ApiServerBackend(prefix, server, api, tools, auditLog, version);
            await backend.reset();
            return backend;
        } catch (e) {
            api?.close();
            await server?.stop();
            fs.rmSync(tools.root, { recursive: true, force: true });
            throw e;
        }
    }

    get namespace(): string {
        return this.ns;
    }

    scriptEnv(): Record<string, string> {
        return {
            // BusyBox first, then bash/curl/jq, then the kubectl shim (which execs the real kubectl).
            PATH: [this.tools.busybox, this.tools.tools, this.shimDir].join(":"),
            HOME: this.home,
            TMPDIR: os.tmpdir(),
            KUBECONFIG: this.kubeconfig,
        };
    }

    // --- namespace, ServiceAccount, Role, RoleBinding, token ----------------------------------

    async reset(): Promise<void> {
        const t0 = Date.now();
        this.pendingSeeds = []; // they would only fill the namespace being left
        this.stats.kubectlCalls += (await this.kubectlCalls()).length;
        const ns = `${this.prefix}-${++this.serial}`;
        const labels = labelsFor(janitorComponent);
        await this.api.ok("POST", "/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns, labels: { ...podSecurityLabels } },
        });
        await this.api.ok("POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: SA, labels },
        });
        await this.api.ok(
            "POST",
            `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
            janitorRole(ns, { autoUpdate: true, objects: janitorObjectNames }),
        );
        await this.api.ok("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: SA, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: SA },
            subjects: [{ kind: "ServiceAccount", name: SA, namespace: ns }],
        });
        // What `kubectl create token janitor -n NS` does: the TokenRequest API.
        const tr = await this.api.ok("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${SA}/token`, {
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            spec: { expirationSeconds: 3600 },
        });
        const token = (tr.status as { token?: string } | undefined)?.token;
        if (!token) throw new Error(`TokenRequest for ${ns}/${SA} returned no token: ${JSON.stringify(tr)}`);

        const dir = path.join(this.tools.root, "namespaces", ns);
        fs.mkdirSync(path.join(dir, "home"), { recursive: true });
        const kubeconfig = path.join(dir, "kubeconfig");
        fs.writeFileSync(kubeconfig, janitorKubeconfig(this.server, ns, token), { mode: 0o600 });

        this.ns = ns;
        this.home = path.join(dir, "home");
        this.kubeconfig = kubeconfig;
        this.roleShape = { autoUpdate: true, objects: janitorObjectNames };
        await waitAuthenticated(this.api, ns, token);
        await waitAuthorized(this.api, ns, this.roleShape);
        // After the probes: the SelfSubjectReview above is audited as a create by the janitor's
        // ServiceAccount (the blocking audit backend has written it by now), not a write of the script.
        fs.writeFileSync(this.callsLog, "");
        this.auditOffset = fs.existsSync(this.auditLog) ? fs.statSync(this.auditLog).size : 0;
        this.stats.namespaces++;
        this.stats.setupMs += Date.now() - t0;
    }

    /**
     * The program gives the janitor the Deployment rule only when it keeps the image fresh, and
     * names its objects in the Role; a run with other names gets the Role the program would give.
     */
    async beforeRun(scriptVars: Record<string, string>): Promise<void> {
        await this.flushSeeds();
        this.stats.runs++;
        const shape = roleShapeOf(scriptVars);
        if (sameShape(shape, this.roleShape)) return;
        await this.api.ok(
            "PUT",
            `/apis/rbac.authorization.k8s.io/v1/namespaces/${this.ns}/roles/${SA}`,
            janitorRole(this.ns, shape),
        );
        await waitAuthorized(this.api, this.ns, shape);
        this.roleShape = shape;
        this.stats.roleSwitches++;
    }

    // --- objects --------------------------------------------------------------------------------

    private kubectlAdmin(args: string[], input: string): Promise<void> {
        return new Promise((resolve, reject) => {
            const child = spawn(this.server.kubectl, args, {
                env: { PATH: process.env.PATH ?? "", HOME: this.adminHome, KUBECONFIG: this.server.kubeconfig },
                stdio: ["pipe", "pipe", "pipe"],
            });
            let out = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
            child.on("error", reject);
            child.on("close", (code) =>
                code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(" ")} exited ${code}:\n${out}`)),
            );
            child.stdin.end(input);
        });
    }

    /** Queued; applied (in order) by the next get(), run or failWritesEnv(). */
    async seed(object: KubeObject): Promise<void> {
        if (!(object.kind in RESOURCE_PATHS)) throw new Error(`cannot seed kind ${object.kind}`);
        const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
        copy.metadata.namespace = this.ns;
        this.pendingSeeds.push(copy);
    }

    private async flushSeeds(): Promise<void> {
        if (this.pendingSeeds.length === 0) return;
        const objects = this.pendingSeeds.splice(0);
        const t0 = Date.now();
        try {
            await this.kubectlAdmin(
                [
                    "apply",
                    "--server-side",
                    `--field-manager=${SEED_MANAGER}`,
                    "--force-conflicts",
                    "-n",
                    this.ns,
                    "-f",
                    "-",
                ],
                objects.map((o) => JSON.stringify(o)).join("\n---\n"),
            );
        } catch (e) {
            const what = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ");
            throw new Error(`seeding ${what} failed: ${(e as Error).message}`);
        }
        this.stats.seeds += objects.length;
        this.stats.seedCalls++;
        this.stats.seedMs += Date.now() - t0;
    }

    async get(kind: KubeKind, name: string): Promise<StoredObject | undefined> {
        await this.flushSeeds();
        const r = await this.api.request("GET", RESOURCE_PATHS[kind](this.ns, name));
        if (r.status === 404) return undefined;
        if (r.status !== 200) throw new Error(`GET ${kind} ${this.ns}/${name}: HTTP ${r.status}: ${r.body}`);
        const object = JSON.parse(r.body) as KubeObject;
        return { raw: r.body, object, resourceVersion: object.metadata.resourceVersion ?? "" };
    }

    // --- what the script did --------------------------------------------------------------------

    async writes(): Promise<KubeWrite[]> {
        return readAuditWrites(this.auditLog, this.auditOffset, saUser(this.ns));
    }

    async kubectlCalls(): Promise<string[][]> {
        if (!fs.existsSync(this.callsLog)) return [];
        return fs
            .readFileSync(this.callsLog, "utf8")
            .split("\x1e")
            .filter((record) => record.length > 0)
            .map((record) => record.split("\x1f").slice(0, -1));
    }

    // --- fault injection: a ValidatingAdmissionPolicy -------------------------------------------

    async failWritesEnv(writes: WriteSelector[]): Promise<Record<string, string>> {
        await this.flushSeeds();
        return this.faults.failWritesEnv(this.ns, writes);
    }

    async close(): Promise<void> {
        this.stats.kubectlCalls += (await this.kubectlCalls()).length;
        const s = this.stats;
        const avg = (ms: number, n: number): string => (n ? `${(ms / n).toFixed(0)} ms` : "-");
        console.log(
            `      real API server backend: ${s.namespaces} namespaces (setup ${avg(s.setupMs, s.namespaces)} each), ` +
                `${s.seeds} objects seeded by ${s.seedCalls} kubectl calls (${avg(s.seedMs, s.seedCalls)} each), ` +
                `${s.runs} janitor runs making ${s.kubectlCalls} kubectl calls, ${s.roleSwitches} Role switches`,
        );
        this.api.close();
        await this.faults.close();
        await this.server.stop();
        fs.rmSync(this.tools.root, { recursive: true, force: true });
    }
}

export const apiserverBackendFactory: KubeBackendFactory = {
    name: "real kube-apiserver + kubectl",
    unavailableReason: () => {
        const found = findKubeBinaries();
        return found.binaries ? missingScriptTools() : found.reason;
    },
    create: (namespacePrefix: string) => ApiServerBackend.start(namespacePrefix),
};
