/**
 * Who the janitor is on the real API server (kube-backend-apiserver.ts): its ServiceAccount, the
 * Role the program would give it for a run's environment (`buildJanitorRoleRules` of a parsed
 * configuration, so a Forbidden in a case is a finding about the program's Role), its kubeconfig,
 * and the waits until the API server authenticates and authorizes it (both are informer-fed).
 */
import { parseBacklineConfig } from "../../components/config";
import { JanitorObjectNames, janitorComponent, janitorObjectNames, names } from "../../components/model";
import { labelsFor } from "../../components/specs/common";
import { buildJanitorRoleRules } from "../../components/specs/janitor";
import { ApiServer } from "./apiserver";
import { sleep } from "./control-plane";
import { ApiClient } from "./kube-backend-apiserver-client";

/** The janitor's ServiceAccount, named as the program names it. */
export const SA = names.janitorServiceAccount;
/** The user name the janitor authenticates as in `ns` (audit events and access reviews use it). */
export const saUser = (ns: string): string => `system:serviceaccount:${ns}:${SA}`;

/** What decides the janitor's Role: image updates on/off and the names of its objects. */
export interface RoleShape {
    readonly autoUpdate: boolean;
    readonly objects: JanitorObjectNames;
}

/** The shape a run of the script implies, from its environment (defaults as in the script). */
export function roleShapeOf(scriptVars: Record<string, string>): RoleShape {
    return {
        autoUpdate: scriptVars.JANITOR_UPDATE_WORKER_IMAGE !== "false",
        objects: {
            jwtSecret: scriptVars.JANITOR_JWT_SECRET || janitorObjectNames.jwtSecret,
            dockerconfigSecret: scriptVars.JANITOR_DOCKERCONFIG_SECRET || janitorObjectNames.dockerconfigSecret,
            workerDeployment: scriptVars.JANITOR_WORKER_DEPLOYMENT || janitorObjectNames.workerDeployment,
        },
    };
}

export const sameShape = (a: RoleShape, b: RoleShape): boolean => JSON.stringify(a) === JSON.stringify(b);

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

/** The janitor's Role in `ns` for that shape. */
export function janitorRole(ns: string, shape: RoleShape): Record<string, unknown> {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: SA, namespace: ns, labels: labelsFor(janitorComponent) },
        rules: programRoleRules(shape),
    };
}

/** A kubeconfig that authenticates to `server` as the janitor's ServiceAccount with `token`. */
export function janitorKubeconfig(server: ApiServer, ns: string, token: string): string {
    // JSON is YAML. No namespace in the context: the script must pass -n itself.
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: "test",
                cluster: {
                    server: server.server,
                    "certificate-authority-data": Buffer.from(server.caPem).toString("base64"),
                },
            },
        ],
        users: [{ name: `${ns}-${SA}`, user: { token } }],
        contexts: [{ name: "janitor", context: { cluster: "test", user: `${ns}-${SA}` } }],
        "current-context": "janitor",
    });
}

/** Until the API server accepts the new token (it looks the ServiceAccount up). */
export async function waitAuthenticated(api: ApiClient, ns: string, token: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
        const r = await api.request(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
            { token },
        );
        if (r.status === 201 && r.body.includes(`"${saUser(ns)}"`)) return;
        if (Date.now() > deadline) throw new Error(`the janitor's token is not accepted: HTTP ${r.status}: ${r.body}`);
        await sleep(20);
    }
}

async function allowed(
    api: ApiClient,
    ns: string,
    verb: string,
    group: string,
    resource: string,
    name: string,
): Promise<boolean> {
    const r = await api.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
            user: saUser(ns),
            groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
            resourceAttributes: { namespace: ns, verb, group, resource, name },
        },
    });
    return (r.status as { allowed?: boolean } | undefined)?.allowed === true;
}

/** Until the RBAC authorizer (informer-fed) sees the current Role and RoleBinding. */
export async function waitAuthorized(api: ApiClient, ns: string, shape: RoleShape): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
        const secrets = await allowed(api, ns, "get", "", "secrets", shape.objects.jwtSecret);
        const deployments = await allowed(api, ns, "get", "apps", "deployments", shape.objects.workerDeployment);
        if (secrets && deployments === shape.autoUpdate) return;
        if (Date.now() > deadline) {
            throw new Error(`RBAC for ${saUser(ns)} not in effect: secrets ${secrets}, deployments ${deployments}`);
        }
        await sleep(10);
    }
}
