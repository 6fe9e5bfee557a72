/**
 * Checks the cluster before any resource is registered, so that `pulumi preview` already says
 * what `pulumi up` would stumble on, and `pulumi up` changes nothing when it would.
 *
 * Today one check: with `security.jobAdmissionPolicy` on, the cluster must serve
 * ValidatingAdmissionPolicy and its binding (`admissionregistration.k8s.io/v1`, Kubernetes 1.30+)
 * and the deploying identity must be allowed to manage them (they are cluster-scoped). The Kubernetes
 * provider cannot tell: during a preview it skips a kind the cluster does not serve and an object
 * it may not create without a word, and at `up` it reports a missing kind as a missing CRD.
 *
 * The check reads the API group's discovery document and asks SelfSubjectAccessReviews, with the
 * provider's kubeconfig and context (`components/cluster`). When it cannot run (render mode, no
 * kubeconfig, a kubeconfig that cannot be used, the cluster unreachable) it says so, and why, as a
 * warning and lets the program go on: the provider reports an unreachable cluster itself, and the
 * stack creates the policy before anything else, so a refusal at `up` still leaves nothing behind.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BacklineConfig } from "../model";
import { ClusterConnection, ConnectionResult, connectionFor, requestsSync } from "../cluster";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export const admissionGroup = "admissionregistration.k8s.io";
const admissionResources = ["validatingadmissionpolicies", "validatingadmissionpolicybindings"] as const;
/** What Pulumi does with them: read (refresh), create and server-side apply, delete (destroy, switch off). */
const admissionVerbs = ["get", "create", "patch", "delete"] as const;

/** What the cluster says about the job admission policy's API. */
export interface AdmissionApiFindings {
    /** Both resources are in the discovery document of `admissionregistration.k8s.io/v1`. */
    readonly served: boolean;
    /** `gitVersion` of the API server, when it tells. */
    readonly serverVersion?: string;
    /** Who the API server takes us for (SelfSubjectReview), when it tells. */
    readonly username?: string;
    /** `verb resource` pairs the deploying identity may not use. */
    readonly denied: readonly string[];
}

const switchOff = "`pulumi config set --path security.jobAdmissionPolicy false`";
const lost =
    "then the worker, which may create Jobs, can run them as any ServiceAccount of its namespace (`janitor` included) and read any of its Secrets (docs/job-admission.md)";

/** The error for what the cluster said, or `undefined` when the policy can be made. Pure. */
export function jobAdmissionProblem(f: AdmissionApiFindings, who: string): string | undefined {
    if (!f.served) {
        const version = f.serverVersion ? ` (the API server is ${f.serverVersion})` : "";
        return (
            `\`security.jobAdmissionPolicy\` is on (the default), but this cluster does not serve ValidatingAdmissionPolicy ` +
            `and ValidatingAdmissionPolicyBinding in \`${admissionGroup}/v1\`, which Kubernetes has from 1.30${version}. ` +
            `Upgrade the cluster to 1.30 or newer, or turn the policy off with ${switchOff}; ${lost}. Nothing was changed.`
        );
    }
    if (f.denied.length > 0) {
        const identity = f.username ? `\`${f.username}\` (${who})` : who;
        return (
            `\`security.jobAdmissionPolicy\` is on (the default), but ${identity} may not manage the cluster-scoped ` +
            `policy objects it needs: no ${f.denied.join(", ")} in API group \`${admissionGroup}\`. Deploy as someone who ` +
            `may (a cluster admin), have a ClusterRole with these verbs on both resources bound to this identity, ` +
            `or turn the policy off with ${switchOff}; ${lost}. Nothing was changed.`
        );
    }
    return undefined;
}

/** Asks the cluster, in one batch; throws when it cannot be asked (network, TLS, credentials refused). */
export function probeJobAdmissionApi(c: ClusterConnection): AdmissionApiFindings {
    const checks = admissionResources.flatMap((resource) => admissionVerbs.map((verb) => ({ resource, verb })));
    const [discovery, version, review, ...answers] = requestsSync(c, [
        { method: "GET", path: `/apis/${admissionGroup}/v1` },
        { method: "GET", path: "/version" },
        {
            method: "POST",
            path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
        },
        ...checks.map(({ resource, verb }) => ({
            method: "POST" as const,
            path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            body: {
                apiVersion: "authorization.k8s.io/v1",
                kind: "SelfSubjectAccessReview",
                spec: { resourceAttributes: { group: admissionGroup, resource, verb } },
            },
        })),
    ]);
    if ("error" in discovery) throw new Error(discovery.error);
    if (discovery.status === 401) throw new Error("the API server refused the credentials (HTTP 401)");
    if (discovery.status !== 200 && discovery.status !== 404) {
        throw new Error(`the API server answered HTTP ${discovery.status} to a discovery request`);
    }
    const listed = new Set(
        ((discovery.status === 200 ? discovery.body?.resources : undefined) ?? []).map((r: { name: string }) => r.name),
    );
    const served = admissionResources.every((r) => listed.has(r));
    const gitVersion = "body" in version ? version.body?.gitVersion : undefined;
    const serverVersion = typeof gitVersion === "string" ? gitVersion : undefined;
    if (!served) return { served, serverVersion, denied: [] };

    const username = "body" in review ? review.body?.status?.userInfo?.username : undefined;
    const unanswered = answers.find((a) => !("status" in a) || a.status !== 201);
    if (unanswered) {
        const why = "error" in unanswered ? unanswered.error : `HTTP ${unanswered.status}`;
        throw new Error(`a SelfSubjectAccessReview failed (${why})`);
    }
    const denied = checks
        .filter((_, i) => (answers[i] as { body: Any }).body?.status?.allowed !== true)
        .map(({ resource, verb }) => `${verb} ${resource}`);
    return { served, serverVersion, username: typeof username === "string" ? username : undefined, denied };
}

/** A preflight finding: printed without a stack trace, like a configuration problem. */
export class ClusterPreflightError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "ClusterPreflightError";
    }
}

export interface PreflightOptions {
    /** How to reach the cluster. @default the provider's kubeconfig and context (`connectionFor`) */
    readonly connect?: (k: BacklineConfig["kubernetes"]) => ConnectionResult;
    /** @default `pulumi.log.warn` */
    readonly warn?: (message: string) => void;
}

/**
 * Checks the cluster for what the configuration needs; throws `ClusterPreflightError` naming the
 * key, what the cluster lacks and what to do. Synchronous (see `requestsSync`): call it while the
 * program loads, before building `BacklineStack`, as `index.ts` does.
 */
export function preflightCluster(
    config: Pick<BacklineConfig, "kubernetes" | "jobAdmission">,
    opts: PreflightOptions = {},
): void {
    if (!config.jobAdmission || config.kubernetes.renderYamlToDirectory) return;
    const warn = opts.warn ?? ((m: string) => pulumi.log.warn(m));
    const cannot = (reason: string) =>
        warn(
            `Could not check that the cluster can hold the job admission policy (\`security.jobAdmissionPolicy\`): ${reason}. ` +
                "`pulumi up` creates the policy before anything else and stops there if the cluster refuses it.",
        );
    const connected = (opts.connect ?? ((k) => connectionFor(k)))(config.kubernetes);
    if (!connected.ok) return cannot(connected.reason);
    let findings: AdmissionApiFindings;
    try {
        findings = probeJobAdmissionApi(connected.connection);
    } catch (err) {
        return cannot(`${connected.connection.server}: ${(err as Error).message}`);
    }
    const problem = jobAdmissionProblem(findings, connected.connection.describe);
    if (problem) throw new ClusterPreflightError(problem);
}
