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
 *   as a careless real webhook might (issue 16). Deployments: a ValidatingAdmissionPolicy
 *   (in-process CEL admission) quoting the containers' images.
 *
 * Admin calls use a keep-alive HTTPS client (a few ms each) instead of kubectl (~100 ms each),
 * except for seeding, which is done with kubectl on purpose.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";

import { parseBacklineConfig } from "../../components/config";
import { AdmissionRequest, AdmissionWebhook } from "./admission-webhook";
import { labelsFor, names, podSecurityLabels } from "../../components/specs/common";
import {
    JanitorObjectNames,
    buildJanitorRoleRules,
    janitorComponent,
    janitorObjectNames,
} from "../../components/specs/janitor";
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

const SEED_MANAGER = "janitor-e2e-seed";
/** The user failWritesEnv's probe impersonates (with group system:masters) to see the policy act. */
const PROBE_USER = "janitor-e2e-probe";
const SA = names.janitorServiceAccount;
const saUser = (ns: string): string => `system:serviceaccount:${ns}:${SA}`;

const RESOURCE_PATHS: Record<KubeKind, (ns: string, name: string) => string> = {
    Secret: (ns, name) => `/api/v1/namespaces/${ns}/secrets/${name}`,
    Deployment: (ns, name) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
};

const AUDIT_POLICY = {
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

/** What decides the janitor's Role: image updates on/off and the names of its objects. */
interface RoleShape {
    readonly autoUpdate: boolean;
    readonly objects: JanitorObjectNames;
}

/** The shape a run of the script implies, from its environment (defaults as in the script). */
function roleShapeOf(scriptVars: Record<string, string>): RoleShape {
    return {
        autoUpdate: scriptVars.JANITOR_UPDATE_WORKER_IMAGE !== "false",
        objects: {
            jwtSecret: scriptVars.JANITOR_JWT_SECRET || janitorObjectNames.jwtSecret,
            dockerconfigSecret: scriptVars.JANITOR_DOCKERCONFIG_SECRET || janitorObjectNames.dockerconfigSecret,
            workerDeployment: scriptVars.JANITOR_WORKER_DEPLOYMENT || janitorObjectNames.workerDeployment,
        },
    };
}

const sameShape = (a: RoleShape, b: RoleShape): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The Role rules the program gives the janitor for that shape (its names are fixed there). */
function programRoleRules(shape: RoleShape): unknown[] {
    const autoUpdate = shape.autoUpdate;
    const parsed = parseBacklineConfig({
        baseUrl: "https://app.backline.ai",
        accessKey: "not-used",
        worker: { image: { autoUpdate }, otel: { enabled: false } },
    });
    if (!parsed.ok) throw new Error(`test configuration rejected: ${JSON.stringify(parsed.problems)}`);
    return buildJanitorRoleRules(parsed.config.worker.image.autoUpdate, shape.objects) as unknown[];
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- a minimal HTTPS client for the admin's own calls ------------------------------------------

interface HttpAnswer {
    status: number;
    body: string;
}

class ApiClient {
    private readonly agent: https.Agent;

    constructor(
        private readonly server: string,
        caPem: string,
        private readonly adminToken: string,
    ) {
        this.agent = new https.Agent({ keepAlive: true, ca: caPem, maxSockets: 4 });
    }

    request(
        method: string,
        urlPath: string,
        body?: unknown,
        opts: { token?: string; contentType?: string; headers?: Record<string, string> } = {},
    ): Promise<HttpAnswer> {
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                `${this.server}${urlPath}`,
                {
                    method,
                    agent: this.agent,
                    timeout: 30_000,
                    headers: {
                        Authorization: `Bearer ${opts.token ?? this.adminToken}`,
                        Accept: "application/json",
                        ...(payload === undefined
                            ? {}
                            : {
                                  "Content-Type": opts.contentType ?? "application/json",
                                  "Content-Length": Buffer.byteLength(payload),
                              }),
                        ...opts.headers,
                    },
                },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (c: string) => (text += c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** Like request(), but any status outside 2xx throws. Returns the parsed body. */
    async ok(method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown>> {
        const r = await this.request(method, urlPath, body);
        if (r.status < 200 || r.status > 299) throw new Error(`${method} ${urlPath}: HTTP ${r.status}: ${r.body}`);
        return JSON.parse(r.body) as Record<string, unknown>;
    }

    close(): void {
        this.agent.destroy();
    }
}

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
            this.role(ns, { autoUpdate: true, objects: janitorObjectNames }),
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
        fs.writeFileSync(kubeconfig, this.kubeconfigFor(ns, token), { mode: 0o600 });

        this.ns = ns;
        this.home = path.join(dir, "home");
        this.kubeconfig = kubeconfig;
        this.roleShape = { autoUpdate: true, objects: janitorObjectNames };
        await this.waitAuthenticated(token);
        await this.waitAuthorized(this.roleShape);
        // After the probes: the SelfSubjectReview above is audited as a create by the janitor's
        // ServiceAccount (the blocking audit backend has written it by now), not a write of the script.
        fs.writeFileSync(this.callsLog, "");
        this.auditOffset = fs.existsSync(this.auditLog) ? fs.statSync(this.auditLog).size : 0;
        this.stats.namespaces++;
        this.stats.setupMs += Date.now() - t0;
    }

    private role(ns: string, shape: RoleShape): Record<string, unknown> {
        return {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: SA, namespace: ns, labels: labelsFor(janitorComponent) },
            rules: programRoleRules(shape),
        };
    }

    private kubeconfigFor(ns: string, token: string): string {
        // JSON is YAML. No namespace in the context: the script must pass -n itself.
        return JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    name: "test",
                    cluster: {
                        server: this.server.server,
                        "certificate-authority-data": Buffer.from(this.server.caPem).toString("base64"),
                    },
                },
            ],
            users: [{ name: `${ns}-${SA}`, user: { token } }],
            contexts: [{ name: "janitor", context: { cluster: "test", user: `${ns}-${SA}` } }],
            "current-context": "janitor",
        });
    }

    /** Until the API server accepts the new token (it looks the ServiceAccount up). */
    private async waitAuthenticated(token: string): Promise<void> {
        const deadline = Date.now() + 15_000;
        for (;;) {
            const r = await this.api.request(
                "POST",
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
                { token },
            );
            if (r.status === 201 && r.body.includes(`"${saUser(this.ns)}"`)) return;
            if (Date.now() > deadline)
                throw new Error(`the janitor's token is not accepted: HTTP ${r.status}: ${r.body}`);
            await sleep(20);
        }
    }

    private async allowed(verb: string, group: string, resource: string, name: string): Promise<boolean> {
        const r = await this.api.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: {
                user: saUser(this.ns),
                groups: ["system:serviceaccounts", `system:serviceaccounts:${this.ns}`, "system:authenticated"],
                resourceAttributes: { namespace: this.ns, verb, group, resource, name },
            },
        });
        return (r.status as { allowed?: boolean } | undefined)?.allowed === true;
    }

    /** Until the RBAC authorizer (informer-fed) sees the current Role and RoleBinding. */
    private async waitAuthorized(shape: RoleShape): Promise<void> {
        const deadline = Date.now() + 15_000;
        for (;;) {
            const secrets = await this.allowed("get", "", "secrets", shape.objects.jwtSecret);
            const deployments = await this.allowed("get", "apps", "deployments", shape.objects.workerDeployment);
            if (secrets && deployments === shape.autoUpdate) return;
            if (Date.now() > deadline) {
                throw new Error(
                    `RBAC for ${saUser(this.ns)} not in effect: secrets ${secrets}, deployments ${deployments}`,
                );
            }
            await sleep(10);
        }
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
            this.role(this.ns, shape),
        );
        await this.waitAuthorized(shape);
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
        if (!fs.existsSync(this.auditLog)) return [];
        const fd = fs.openSync(this.auditLog, "r");
        let text: string;
        try {
            const size = fs.fstatSync(fd).size;
            const buf = Buffer.alloc(Math.max(0, size - this.auditOffset));
            fs.readSync(fd, buf, 0, buf.length, this.auditOffset);
            text = buf.toString("utf8");
        } finally {
            fs.closeSync(fd);
        }
        const out: KubeWrite[] = [];
        for (const line of text.split("\n")) {
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as AuditEvent;
            // Every write of this namespace's janitor, wherever it went (another namespace, cluster scope).
            if (ev.stage !== "ResponseComplete" || ev.user.username !== saUser(this.ns) || !ev.objectRef) continue;
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
        const ns = this.ns;
        const byResource = new Map<WriteSelector["resource"], string[]>();
        for (const w of writes) byResource.set(w.resource, [...(byResource.get(w.resource) ?? []), w.name]);
        for (const [resource, resourceNames] of byResource) {
            const name = `janitor-e2e-fail-${ns}-${resource}`;
            if (resource === "secrets") {
                await this.denySecretsByWebhook(resourceNames);
                continue;
            }
            // The message quotes the request body's images, the way a careless error might.
            const quoted = "object.spec.template.spec.containers.map(c, c.name + '=' + c.image).join(', ')";
            await this.api.ok("POST", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", {
                apiVersion: "admissionregistration.k8s.io/v1",
                kind: "ValidatingAdmissionPolicy",
                metadata: { name },
                spec: {
                    failurePolicy: "Fail",
                    matchConstraints: {
                        resourceRules: [
                            {
                                apiGroups: ["apps"],
                                apiVersions: ["v1"],
                                operations: ["CREATE", "UPDATE"],
                                resources: [resource],
                                resourceNames,
                            },
                        ],
                    },
                    matchConditions: [
                        {
                            name: "janitor-only",
                            expression: `request.userInfo.username in ['${saUser(ns)}', '${PROBE_USER}']`,
                        },
                    ],
                    validations: [
                        { expression: "false", messageExpression: `'simulated failure; request body: ' + ${quoted}` },
                    ],
                },
            });
            await this.api.ok("POST", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", {
                apiVersion: "admissionregistration.k8s.io/v1",
                kind: "ValidatingAdmissionPolicyBinding",
                metadata: { name },
                spec: {
                    policyName: name,
                    validationActions: ["Deny"],
                    matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } },
                },
            });
            for (const objectName of resourceNames) await this.waitDenied(resource, objectName);
        }
        return {};
    }

    /** Secrets (`namespace/name`) whose writes the webhook denies (janitor and probe user only). */
    private readonly deniedSecrets = new Set<string>();
    private webhook?: AdmissionWebhook;

    private async denySecretsByWebhook(names: string[]): Promise<void> {
        const ns = this.ns;
        this.webhook ??= await AdmissionWebhook.start(path.join(this.server.dir, "pki"), (r) => this.secretDenial(r));
        for (const name of names) this.deniedSecrets.add(`${ns}/${name}`);
        await this.api.ok("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name: `janitor-e2e-fail-${ns}-secrets` },
            webhooks: [
                {
                    name: "deny.janitor-e2e.backline.test",
                    clientConfig: {
                        url: this.webhook.url,
                        caBundle: Buffer.from(this.server.caPem).toString("base64"),
                    },
                    rules: [
                        {
                            apiGroups: [""],
                            apiVersions: ["v1"],
                            operations: ["CREATE", "UPDATE"],
                            resources: ["secrets"],
                            scope: "Namespaced",
                        },
                    ],
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
                    matchConditions: [
                        {
                            name: "janitor-only",
                            expression: `request.userInfo.username in ['${saUser(ns)}', '${PROBE_USER}']`,
                        },
                    ],
                    failurePolicy: "Fail",
                    sideEffects: "None",
                    admissionReviewVersions: ["v1"],
                    timeoutSeconds: 10,
                },
            ],
        });
        for (const name of names) await this.waitDenied("secrets", name);
    }

    /** The webhook's answer: deny a selected Secret write, quoting its values in every form. */
    private secretDenial(request: AdmissionRequest): string | undefined {
        if (!this.deniedSecrets.has(`${request.namespace}/${request.name}`)) return undefined;
        const data = ((request.object as { data?: Record<string, string> } | undefined)?.data ?? {}) as Record<
            string,
            string
        >;
        const decoded = Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")] as const);
        const parts = [
            `request body: ${Object.entries(data)
                .map(([k, v]) => `${k}=${v}`)
                .join(", ")}`,
            `decoded: ${decoded.map(([k, v]) => `${k}=${v}`).join(", ")}`,
            `quoted: ${decoded.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}`,
        ];
        const dockerconfig = decoded.find(([k]) => k === ".dockerconfigjson")?.[1];
        if (dockerconfig !== undefined) {
            try {
                const auths = (JSON.parse(dockerconfig) as { auths: Record<string, { password?: string }> }).auths;
                for (const a of Object.values(auths)) parts.push(`password=${JSON.stringify(a.password)}`);
            } catch {
                // not JSON: nothing more to quote
            }
        }
        return `simulated failure; ${parts.join("; ")}`;
    }

    /** Until a server-side dry-run apply of that object, as the probe user, is denied by the policy. */
    private async waitDenied(resource: WriteSelector["resource"], name: string): Promise<void> {
        const kind: KubeKind = resource === "secrets" ? "Secret" : "Deployment";
        const exists = (await this.get(kind, name)) !== undefined;
        const body =
            kind === "Secret"
                ? {
                      apiVersion: "v1",
                      kind,
                      metadata: { name },
                      data: { probe: Buffer.from("probe").toString("base64") },
                  }
                : exists
                  ? { apiVersion: "apps/v1", kind, metadata: { name, labels: { probe: "x" } } }
                  : {
                        apiVersion: "apps/v1",
                        kind,
                        metadata: { name },
                        spec: {
                            selector: { matchLabels: { probe: "x" } },
                            template: {
                                metadata: { labels: { probe: "x" } },
                                spec: { containers: [{ name: "probe", image: "probe" }] },
                            },
                        },
                    };
        const deadline = Date.now() + 15_000;
        for (;;) {
            const r = await this.api.request(
                "PATCH",
                `${RESOURCE_PATHS[kind](this.ns, name)}?dryRun=All&fieldManager=${PROBE_USER}&force=true`,
                body,
                {
                    contentType: "application/apply-patch+yaml",
                    headers: { "Impersonate-User": PROBE_USER, "Impersonate-Group": "system:masters" },
                },
            );
            if (r.body.includes("simulated failure")) return;
            if (Date.now() > deadline)
                throw new Error(`the failure policy for ${resource}/${name} never acted: HTTP ${r.status}: ${r.body}`);
            await sleep(50);
        }
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
        await this.webhook?.close();
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
