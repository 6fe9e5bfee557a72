/**
 * Fault injection for the janitor suite's real-API-server backend (kube-backend-apiserver.ts):
 * failWritesEnv denies selected writes of the janitor's ServiceAccount with a message quoting the
 * request's sensitive values, the way a careless real webhook or policy might, so the
 * cases can prove the janitor redacts them. Secrets: a validating admission webhook in this process;
 * Deployments: a ValidatingAdmissionPolicy (in-process CEL admission).
 */
import * as path from "node:path";

import { AdmissionRequest, AdmissionWebhook } from "./admission-webhook";
import { ApiServer } from "./apiserver";
import { sleep } from "./control-plane";
import { KubeKind, StoredObject, WriteSelector } from "./kube-backend";
import { ApiClient, RESOURCE_PATHS } from "./kube-backend-apiserver-client";
import { saUser } from "./kube-backend-apiserver-rbac";

/** The user failWritesEnv's probe impersonates (with group system:masters) to see the policy act. */
const PROBE_USER = "janitor-e2e-probe";

/** The denials of one backend; close() stops its webhook. */
export class WriteFaults {
    constructor(
        private readonly api: ApiClient,
        private readonly server: ApiServer,
        /** Reads an object back (as the backend's get()). */
        private readonly get: (kind: KubeKind, name: string) => Promise<StoredObject | undefined>,
    ) {}

    /** Denies the selected writes of the janitor in `ns`; returns the (empty) environment for its run. */
    async failWritesEnv(ns: string, writes: WriteSelector[]): Promise<Record<string, string>> {
        const byResource = new Map<WriteSelector["resource"], string[]>();
        for (const w of writes) byResource.set(w.resource, [...(byResource.get(w.resource) ?? []), w.name]);
        for (const [resource, resourceNames] of byResource) {
            const name = `janitor-e2e-fail-${ns}-${resource}`;
            if (resource === "secrets") {
                await this.denySecretsByWebhook(ns, resourceNames);
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
            for (const objectName of resourceNames) await this.waitDenied(ns, resource, objectName);
        }
        return {};
    }

    /** Secrets (`namespace/name`) whose writes the webhook denies (janitor and probe user only). */
    private readonly deniedSecrets = new Set<string>();
    private webhook?: AdmissionWebhook;

    private async denySecretsByWebhook(ns: string, names: string[]): Promise<void> {
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
        for (const name of names) await this.waitDenied(ns, "secrets", name);
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
    private async waitDenied(ns: string, resource: WriteSelector["resource"], name: string): Promise<void> {
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
                `${RESOURCE_PATHS[kind](ns, name)}?dryRun=All&fieldManager=${PROBE_USER}&force=true`,
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
        await this.webhook?.close();
    }
}
