/**
 * The resolved enterprise-cluster keys: what the customer's site imposes on every pod (proxy, CA
 * bundle, registry mirror, pull secrets), common metadata, NetworkPolicies and the admission policy
 * on the worker's Jobs, with the choices made once (the proxy is off or on, the CA bundle absent,
 * an existing ConfigMap or inline PEM, egress open or limited).
 */
import type { LabelSelectorConfig } from "./config-workloads";

/** The outbound HTTP(S) proxy of every container (`proxy.*`); at least one URL is set. */
export interface ProxyConfig {
    /** `HTTP_PROXY`. @default none */
    readonly httpProxy: string | undefined;
    /** `HTTPS_PROXY`. @default none */
    readonly httpsProxy: string | undefined;
    /** Reached directly, besides the API server, `.svc`, `.cluster.local` and loopback. @default [] */
    readonly noProxy: readonly string[];
    /** Whether a URL holds `user:password@`: then it reaches pods only by `secretKeyRef`. */
    readonly credentials: boolean;
}

/** Private CA roots in an existing ConfigMap of the namespace (`caBundle.configMapName`). */
export interface CaBundleConfigMap {
    /** The bundle is in a ConfigMap the stack does not make. */
    readonly kind: "configMap";
    /** The ConfigMap (e.g. one trust-manager distributes); pods wait until it exists. */
    readonly configMapName: string;
    /** The ConfigMap key that holds the bundle. @default "ca.crt" */
    readonly key: string;
}

/** Private CA roots given inline (`caBundle.pem`): the stack makes ConfigMap `backline-ca-bundle`. */
export interface CaBundleInline {
    /** The stack makes the ConfigMap. */
    readonly kind: "inline";
    /** The PEM roots. */
    readonly pem: string;
    /** The key of ConfigMap `backline-ca-bundle` that holds them. @default "ca.crt" */
    readonly key: string;
}

/** Private CA roots, mounted into every container. */
export type CaBundleConfig = CaBundleConfigMap | CaBundleInline;

/** What the customer's site imposes on every pod; nothing when the keys are unset. */
export interface SiteConfig {
    /** `undefined` without `proxy.httpProxy` or `proxy.httpsProxy`. */
    readonly proxy: ProxyConfig | undefined;
    /** `undefined` without `caBundle.configMapName` or `caBundle.pem`. */
    readonly caBundle: CaBundleConfig | undefined;
    /** A registry mirror that replaces the registry of every image. @default none */
    readonly imageRegistry: string | undefined;
    /** Existing pull secrets added to every pod, beside `dockerconfig`. @default [] */
    readonly imagePullSecrets: readonly string[];
}

/** Labels and annotations of every object and pod the stack makes (`commonLabels`, `commonAnnotations`). */
export interface CommonMetadata {
    /** Labels, outside the program's prefixes (`app.kubernetes.io/`, `backline.ai/`). @default {} */
    readonly labels: Readonly<Record<string, string>>;
    /** Annotations, outside the program's prefixes (`backline.ai/`, `pulumi.com/`). @default {} */
    readonly annotations: Readonly<Record<string, string>>;
}

/** A NetworkPolicy peer, in Kubernetes' shape: selectors, or an IP block. */
export interface NetworkPolicyPeerConfig {
    /** Pods (of the policy's namespace, or of `namespaceSelector`'s). @default none */
    readonly podSelector?: LabelSelectorConfig;
    /** Namespaces. @default none */
    readonly namespaceSelector?: LabelSelectorConfig;
    /** Addresses, instead of selectors. @default none */
    readonly ipBlock?: {
        /** The block admitted, e.g. `10.0.0.0/8`. */
        readonly cidr: string;
        /** Blocks within it that are not. @default none */
        readonly except?: readonly string[];
    };
}

/** Egress limited to DNS, the API server, the namespace's pods and `cidrs` (`networkPolicy.egressCidrs`). */
export interface EgressConfig {
    /** The blocks every pod may reach besides (the SaaS, the proxy, AWS endpoints). */
    readonly cidrs: readonly string[];
    /** The Kubernetes API server's addresses (`networkPolicy.apiServerCidrs`). */
    readonly apiServerCidrs: readonly string[];
}

/** The namespace's NetworkPolicies (`networkPolicy.*` with `enabled`). */
export interface NetworkPolicyConfig {
    /** Who may reach the worker's HTTP port; `[]` admits nobody. @default pods of the namespace (`[{ podSelector: {} }]`) */
    readonly ingressFrom: readonly NetworkPolicyPeerConfig[];
    /** `undefined`: egress stays open. */
    readonly egress: EgressConfig | undefined;
}

/** The admission policy on the worker's Jobs (`security.jobAdmissionPolicy`). */
export interface JobAdmissionConfig {
    /** Secrets the Jobs may mount or read (`worker.jobs.allowedSecrets`); never one of `stackSecrets`. @default [] */
    readonly allowedSecrets: readonly string[];
}
