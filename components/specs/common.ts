/**
 * Labels, hashes and security settings shared by every builder. Pure.
 */
import { createHash } from "crypto"; // named: see cluster/kubectl.ts
import { labelKeys, partOf } from "../model";
import type { ImageConfig, PodIdentity, ResourcesConfig } from "../model";

/** Recommended labels: https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/ */
export function labelsFor(component: string): Record<string, string> {
    return {
        [labelKeys.name]: partOf,
        [labelKeys.component]: component,
        [labelKeys.partOf]: partOf,
        [labelKeys.managedBy]: "pulumi",
    };
}

/** The immutable subset used in selectors: a Deployment's selector can never change. */
export function selectorFor(component: string): Record<string, string> {
    return { [labelKeys.name]: partOf, [labelKeys.component]: component };
}

/**
 * pulumi-kubernetes waits for workloads to become ready; on a cluster without nodes (tests) that
 * never happens, so `kubernetes.skipAwait` turns it off per object.
 * https://www.pulumi.com/registry/packages/kubernetes/how-to-guides/managing-resources-with-server-side-apply/
 */
export function awaitAnnotations(skipAwait: boolean | undefined): Record<string, string> {
    return skipAwait ? { "pulumi.com/skipAwait": "true" } : {};
}

export function imageReference(image: Pick<ImageConfig, "registry" | "name" | "tag">): string {
    const separator = image.tag.startsWith("sha256:") ? "@" : ":";
    return `${image.registry}/${image.name}${separator}${image.tag}`;
}

export function resourceRequirements(r: ResourcesConfig): {
    requests: Record<string, string>;
    limits: Record<string, string>;
} {
    return {
        requests: { cpu: r.requests.cpu, memory: r.requests.memory },
        limits: { cpu: r.limits.cpu, memory: r.limits.memory },
    };
}

export function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** A stable JSON rendering (sorted keys), so hashes do not depend on property order. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(",")}]`;
    }
    if (value && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Pod Security Standards, "restricted" profile:
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
// ---------------------------------------------------------------------------------------------

export function restrictedPodSecurityContext(id: PodIdentity) {
    return {
        runAsNonRoot: true,
        runAsUser: id.runAsUser,
        runAsGroup: id.runAsGroup,
        ...(id.fsGroup !== undefined ? { fsGroup: id.fsGroup, fsGroupChangePolicy: "OnRootMismatch" } : {}),
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export function restrictedContainerSecurityContext() {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export const podSecurityLabels = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
} as const;
