/**
 * What the customer's site imposes on every pod of the stack (enterprise clusters): an outbound proxy, a
 * private CA bundle, a registry mirror and extra pull secrets (`proxy.*`, `caBundle.*`,
 * `imageRegistry`, `imagePullSecrets`). Pure functions: they add to the containers and pod specs
 * the other builders make, and change nothing when the keys are unset.
 */
import type * as k8s from "@pulumi/kubernetes";
import { caBundleDir, caBundleFile, caBundleFileName, contentHash, names, siteNames, workerCaEnvNames } from "../model";
import type { CaBundleConfig, ProxyConfig, SiteConfig, WorkerEnvName, WorkerPodInputs } from "../model";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/**
 * Never through the proxy: loopback (the collector sidecar), the API server by name and by the
 * address the kubelet gives every pod (`$(KUBERNETES_SERVICE_HOST)` is expanded by the kubelet:
 * https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/),
 * and every Service of the cluster.
 */
export const alwaysNoProxy = [
    "localhost",
    "127.0.0.1",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    ".svc",
    ".cluster.local",
    "$(KUBERNETES_SERVICE_HOST)",
];

/** The proxy URLs by variable name, as the Secret holds them. */
export function proxySecretData(proxy: ProxyConfig): Record<string, string> {
    const data: Record<string, string> = {};
    if (proxy.httpProxy) Object.assign(data, { HTTP_PROXY: proxy.httpProxy, http_proxy: proxy.httpProxy });
    if (proxy.httpsProxy) Object.assign(data, { HTTPS_PROXY: proxy.httpsProxy, https_proxy: proxy.httpsProxy });
    return data;
}

export function noProxyValue(proxy: ProxyConfig): string {
    return [...new Set([...proxy.noProxy, ...alwaysNoProxy])].join(",");
}

/**
 * The proxy variables of a container. URLs with credentials come from Secret `backline-proxy` by
 * `secretKeyRef`, so no plaintext field of any object holds them; others are plain values, so a
 * change rolls the pods.
 */
export function proxyEnv(proxy: ProxyConfig): EnvVar[] {
    const env: EnvVar[] = [];
    for (const name of Object.keys(proxySecretData(proxy))) {
        const url = name.toLowerCase() === "http_proxy" ? proxy.httpProxy : proxy.httpsProxy;
        env.push(
            proxy.credentials
                ? { name, valueFrom: { secretKeyRef: { name: siteNames.proxySecret, key: name } } }
                : { name, value: url },
        );
    }
    const noProxy = noProxyValue(proxy);
    env.push({ name: "NO_PROXY", value: noProxy }, { name: "no_proxy", value: noProxy });
    return env;
}

export function caBundleConfigMapName(ca: CaBundleConfig): string {
    return ca.kind === "configMap" ? ca.configMapName : siteNames.caBundleConfigMap;
}

export function caBundleVolume(ca: CaBundleConfig): Volume {
    return {
        name: siteNames.caBundleVolume,
        configMap: {
            name: caBundleConfigMapName(ca),
            items: [{ key: ca.key, path: caBundleFileName }],
            defaultMode: 0o444,
        },
    };
}

export const caBundleMount: VolumeMount = { name: siteNames.caBundleVolume, mountPath: caBundleDir, readOnly: true };

/** The containers the site settings reach, each told of the bundle in the way it reads it. */
export type SiteContainerRole = "worker" | "collector" | "janitor";

function caEnv(role: SiteContainerRole): EnvVar[] {
    switch (role) {
        case "worker":
            return workerCaEnvNames.map((name) => ({ name, value: caBundleFile }));
        case "collector":
            return [{ name: "SSL_CERT_FILE", value: caBundleFile }];
        case "janitor":
            // The janitor's curl gets it as --cacert (janitor/README.md).
            return [{ name: "JANITOR_CA_BUNDLE", value: caBundleFile }];
    }
}

const dockerHubNames = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/**
 * An image reference with its registry replaced by `mirror`; the repository path and the tag or
 * digest are kept. An image with no registry part, or on Docker Hub, gains Docker Hub's implicit
 * `library/` when it has a single path component (`nginx:1.27` → `<mirror>/library/nginx:1.27`),
 * which is where mirrors and pull-through caches keep it. The janitor does the same to the images
 * the SaaS announces (`mirrored` in janitor/janitor.sh).
 */
export function mirrorImage(reference: string, mirror: string): string {
    const slash = reference.indexOf("/");
    const first = slash < 0 ? "" : reference.slice(0, slash);
    // As Docker decides it: the first component is a registry when it has a dot or a port, or is localhost.
    const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    let repositoryPath = hasRegistry ? reference.slice(slash + 1) : reference;
    const withoutDigest = repositoryPath.split("@")[0];
    const lastSlash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.indexOf(":", lastSlash + 1);
    const repository = colon < 0 ? withoutDigest : withoutDigest.slice(0, colon);
    if ((!hasRegistry || dockerHubNames.includes(first)) && !repository.includes("/")) {
        repositoryPath = `library/${repositoryPath}`;
    }
    return `${mirror}/${repositoryPath}`;
}

/** A container of the stack with the site's proxy, CA bundle and registry mirror applied. */
export function siteContainer(c: Container, site: SiteConfig | undefined, role: SiteContainerRole): Container {
    if (!site) return c;
    const added: EnvVar[] = [];
    if (site.proxy) added.push(...proxyEnv(site.proxy));
    if (site.caBundle) added.push(...caEnv(role));
    if (role === "janitor" && site.imageRegistry) {
        added.push({ name: "JANITOR_IMAGE_REGISTRY", value: site.imageRegistry });
    }
    const out: Container = { ...c };
    if (site.imageRegistry && typeof c.image === "string") out.image = mirrorImage(c.image, site.imageRegistry);
    if (added.length > 0) out.env = [...((c.env ?? []) as EnvVar[]), ...added];
    if (site.caBundle) out.volumeMounts = [...((c.volumeMounts ?? []) as VolumeMount[]), caBundleMount];
    return out;
}

/**
 * A pod of the stack with the CA bundle's volume and the extra pull secrets (after those the pod
 * has, e.g. `dockerconfig`).
 */
export function sitePod(spec: PodSpec, site: SiteConfig | undefined): PodSpec {
    if (!site) return spec;
    const out: PodSpec = { ...spec };
    if (site.caBundle) out.volumes = [...((spec.volumes ?? []) as Volume[]), caBundleVolume(site.caBundle)];
    if (site.imagePullSecrets.length > 0) {
        out.imagePullSecrets = [
            ...((spec.imagePullSecrets ?? []) as { name: string }[]),
            ...site.imagePullSecrets.map((name) => ({ name })),
        ];
    }
    return out;
}

/**
 * Pod-template annotations that roll the pods when the bundle made from `caBundle.pem` changes
 * (its ConfigMap keeps its name). A bundle in an existing ConfigMap is not ours to read: restart
 * the worker after changing it.
 */
export function siteTemplateAnnotations(site: SiteConfig | undefined): Record<string, string> {
    return site?.caBundle?.kind === "inline" ? { "backline.ai/ca-bundle-sha256": contentHash(site.caBundle.pem) } : {};
}

/**
 * What the worker is told so that the Jobs it creates get the same: their proxy (`envFrom` the
 * Secret; `NO_PROXY` copied from the worker's own, already expanded), the CA bundle (mount the
 * ConfigMap's key as the worker does and copy `SSL_CERT_FILE` & co.), the mirror (rewrite their
 * images as `mirrorImage` does) and every pull secret. The contract: docs/enterprise.md.
 */
export const siteWorkerEnv = {
    BACKLINE_PROXY_SECRET: (i: WorkerPodInputs) => (i.site?.proxy ? { value: siteNames.proxySecret } : undefined),
    BACKLINE_CA_BUNDLE_CONFIGMAP: (i: WorkerPodInputs) =>
        i.site?.caBundle ? { value: caBundleConfigMapName(i.site.caBundle) } : undefined,
    BACKLINE_CA_BUNDLE_KEY: (i: WorkerPodInputs) => (i.site?.caBundle ? { value: i.site.caBundle.key } : undefined),
    BACKLINE_IMAGE_REGISTRY: (i: WorkerPodInputs) =>
        i.site?.imageRegistry ? { value: i.site.imageRegistry } : undefined,
    BACKLINE_IMAGE_PULL_SECRETS: (i: WorkerPodInputs) =>
        i.site && i.site.imagePullSecrets.length > 0
            ? { value: [names.dockerconfigSecret, ...i.site.imagePullSecrets].join(",") }
            : undefined,
} satisfies Partial<Record<WorkerEnvName, (i: WorkerPodInputs) => Omit<EnvVar, "name"> | undefined>>;
