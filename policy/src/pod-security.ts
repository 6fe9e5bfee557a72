/**
 * The Pod Security Standards' "restricted" profile (which includes "baseline") as a pure function of
 * a pod spec, with one line per violation saying what to change. It mirrors what the API server's
 * PodSecurity admission checks, so a stack that passes here is not refused by a namespace that
 * enforces the profile: https://kubernetes.io/docs/concepts/security/pod-security-standards/
 *
 * Not part of the profile, so not checked here: read-only root filesystems, resources.
 */

import { describeObject, kubernetesKind } from "./resources";

/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs arrive as untyped resource properties */

/** Volume types the restricted profile allows. */
export const restrictedVolumeTypes = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
] as const;

/** Sysctls the baseline profile allows ("safe" sysctls). */
export const safeSysctls = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
] as const;

const allowedSeLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/** Every container of a pod spec, init and ephemeral containers included, with where it sits. */
export function containersOf(pod: any): { readonly container: any; readonly field: string }[] {
    return ["initContainers", "containers", "ephemeralContainers"].flatMap((field) =>
        ((pod?.[field] ?? []) as any[]).map((container) => ({ container, field })),
    );
}

function seccompViolation(where: string, profile: any): string | undefined {
    const type = profile?.type;
    if (type === "RuntimeDefault" || type === "Localhost") return undefined;
    return type === undefined
        ? `${where} has no seccomp profile: set securityContext.seccompProfile.type to RuntimeDefault`
        : `${where} sets seccompProfile.type ${type}: use RuntimeDefault (or Localhost)`;
}

function seLinuxViolations(where: string, opts: any): string[] {
    if (!opts) return [];
    const out: string[] = [];
    if (!allowedSeLinuxTypes.includes(opts.type ?? "")) {
        out.push(`${where} sets seLinuxOptions.type ${opts.type}: remove it or use container_t`);
    }
    if (opts.user || opts.role) out.push(`${where} sets seLinuxOptions.user/role: remove them`);
    return out;
}

/**
 * Checks a pod spec (`spec` of a Pod, `spec.template.spec` of a Deployment or Job, ...) against the
 * restricted profile; `annotations` are the pod's (AppArmor's older form). Returns one line per
 * violation, naming the container and the field to change; empty when the pod complies.
 */
export function restrictedViolations(pod: any, annotations: Record<string, string> = {}): string[] {
    const out: string[] = [];
    const psc = pod?.securityContext ?? {};

    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (pod?.[field] === true) out.push(`the pod sets ${field}: remove it (host namespaces are not allowed)`);
    }
    if (psc.windowsOptions?.hostProcess === true) out.push("the pod sets windowsOptions.hostProcess: remove it");
    for (const v of (pod?.volumes ?? []) as any[]) {
        const types = Object.keys(v).filter((k) => k !== "name" && v[k] !== undefined && v[k] !== null);
        const refused = types.filter((t) => !(restrictedVolumeTypes as readonly string[]).includes(t));
        if (refused.length > 0) {
            out.push(
                `volume ${v.name} is of type ${refused.join(", ")}: use one of ${restrictedVolumeTypes.join(", ")}`,
            );
        }
    }
    for (const s of (psc.sysctls ?? []) as any[]) {
        if (!(safeSysctls as readonly string[]).includes(s.name)) {
            out.push(`the pod sets sysctl ${s.name}: only the safe sysctls are allowed, remove it`);
        }
    }
    if (psc.runAsUser === 0) out.push("the pod sets runAsUser 0: run as a non-zero user id");
    if (psc.appArmorProfile?.type === "Unconfined")
        out.push("the pod sets appArmorProfile.type Unconfined: remove it or use RuntimeDefault");
    out.push(...seLinuxViolations("the pod", psc.seLinuxOptions));
    for (const [key, value] of Object.entries(annotations ?? {})) {
        if (key.startsWith("container.apparmor.security.beta.kubernetes.io/") && value === "unconfined") {
            out.push(`annotation ${key} is unconfined: remove it or use runtime/default`);
        }
    }

    const containers = containersOf(pod);
    if (containers.filter((c) => c.field === "containers").length === 0) out.push("the pod has no containers");
    for (const { container: c, field } of containers) {
        const sc = c?.securityContext ?? {};
        const where = `${field === "containers" ? "container" : field.replace(/s$/, "")} ${c?.name}`;
        if (sc.privileged === true) out.push(`${where} sets securityContext.privileged: remove it or set it to false`);
        if (sc.windowsOptions?.hostProcess === true) out.push(`${where} sets windowsOptions.hostProcess: remove it`);
        if (sc.allowPrivilegeEscalation !== false) {
            out.push(`${where} does not set securityContext.allowPrivilegeEscalation to false: set it`);
        }
        if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) {
            out.push(`${where} does not set runAsNonRoot to true: set it on the container or the pod securityContext`);
        }
        if (sc.runAsUser === 0) out.push(`${where} sets runAsUser 0: run as a non-zero user id`);
        const seccomp = seccompViolation(where, sc.seccompProfile ?? psc.seccompProfile);
        if (seccomp) out.push(seccomp);
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL"))
            out.push(`${where} does not drop ALL capabilities: set securityContext.capabilities.drop to [ALL]`);
        const added = ((sc.capabilities?.add ?? []) as string[]).filter((cap) => cap !== "NET_BIND_SERVICE");
        if (added.length > 0)
            out.push(`${where} adds capabilities ${added.join(", ")}: only NET_BIND_SERVICE may be added`);
        if (sc.procMount !== undefined && sc.procMount !== "Default")
            out.push(`${where} sets procMount ${sc.procMount}: remove it`);
        if (sc.appArmorProfile?.type === "Unconfined")
            out.push(`${where} sets appArmorProfile.type Unconfined: remove it`);
        out.push(...seLinuxViolations(where, sc.seLinuxOptions));
        for (const p of (c?.ports ?? []) as any[]) {
            if (p?.hostPort)
                out.push(`${where} uses hostPort ${p.hostPort}: remove it and reach the pod through a Service`);
        }
    }
    return out;
}

/** Kinds whose objects carry a pod template, and where: the path to the pod's metadata and spec. */
const podTemplatePaths: Record<string, readonly string[]> = {
    Pod: [],
    Deployment: ["spec", "template"],
    StatefulSet: ["spec", "template"],
    DaemonSet: ["spec", "template"],
    ReplicaSet: ["spec", "template"],
    ReplicationController: ["spec", "template"],
    Job: ["spec", "template"],
    CronJob: ["spec", "jobTemplate", "spec", "template"],
    PodTemplate: ["template"],
};

/** The pod (its metadata and spec) of a Kubernetes object's properties, or undefined if it has none. */
export function podOf(kind: string, props: any): { readonly metadata: any; readonly spec: any } | undefined {
    const path = podTemplatePaths[kind];
    if (path === undefined) return undefined;
    let node = props;
    for (const key of path) node = node?.[key];
    return node?.spec === undefined ? undefined : { metadata: node.metadata, spec: node.spec };
}

/** Kinds that carry a pod template. */
export const podKinds: readonly string[] = Object.keys(podTemplatePaths);

/**
 * The pod a resource would run, with how messages name the resource (`Deployment "worker"`);
 * undefined for resources without a pod template.
 */
export function workloadPod(args: {
    readonly type: string;
    readonly props: any;
    readonly name: string;
}): { readonly what: string; readonly metadata: any; readonly spec: any } | undefined {
    const k = kubernetesKind(args.type);
    if (!k || !podKinds.includes(k.kind)) return undefined;
    const pod = podOf(k.kind, args.props);
    return pod && { what: describeObject(k.kind, args.props, args.name), ...pod };
}
