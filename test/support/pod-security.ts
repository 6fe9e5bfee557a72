/**
 * A unit-test check of pod specs against the "restricted" Pod Security profile the namespace
 * enforces. Test support, not part of the program: the API server is the final judge (see
 * test/e2e/cluster.e2e.ts); this catches mistakes before any cluster is involved.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
/** One line per violation; volume types are limited to those the profile allows. */
export function restrictedViolations(pod: any): string[] {
    const out: string[] = [];
    const psc = pod?.securityContext ?? {};
    if (pod?.hostNetwork || pod?.hostPID || pod?.hostIPC) out.push("pod uses host namespaces");
    const allowedVolumes = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for (const v of pod?.volumes ?? []) {
        const kinds = Object.keys(v).filter((k) => k !== "name");
        if (!kinds.every((k) => allowedVolumes.includes(k)))
            out.push(`volume ${v.name} has a type outside ${allowedVolumes.join(", ")}`);
    }
    if (psc.runAsUser === 0) out.push("pod runs as uid 0");
    const containers = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
    if (containers.length === 0) out.push("pod has no containers");
    for (const c of containers) {
        const sc = c.securityContext ?? {};
        const where = `container ${c.name}`;
        if (sc.privileged) out.push(`${where} is privileged`);
        if (sc.allowPrivilegeEscalation !== false) out.push(`${where} does not set allowPrivilegeEscalation=false`);
        if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) out.push(`${where} does not set runAsNonRoot=true`);
        if ((sc.runAsUser ?? psc.runAsUser) === 0) out.push(`${where} runs as uid 0`);
        const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
            out.push(`${where} has no RuntimeDefault seccomp profile`);
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) out.push(`${where} does not drop ALL capabilities`);
        const add: string[] = sc.capabilities?.add ?? [];
        if (add.some((cap) => cap !== "NET_BIND_SERVICE")) out.push(`${where} adds capabilities ${add.join(",")}`);
        if (sc.readOnlyRootFilesystem !== true) out.push(`${where} has a writable root filesystem`);
        for (const p of c.ports ?? []) if (p.hostPort) out.push(`${where} uses hostPort ${p.hostPort}`);
    }
    return out;
}
