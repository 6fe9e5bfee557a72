/**
 * Where the test control plane's binaries come from: `$KUBE_BIN_DIR`, else `.cache/kube/bin`
 * (scripts/build-kube.sh), else PATH, per binary. Suites call findKubeBinaries() before starting
 * anything so that they can skip with the reason ("run scripts/build-kube.sh"); startApiServer()
 * uses the same lookup for binaries a caller did not name. Re-exported by apiserver.ts.
 *
 * An older supported minor (`minor: "1.30"`, `scripts/build-kube.sh 1.30`) has its own
 * kube-apiserver, kube-controller-manager, kube-scheduler and kubectl in `$KUBE_BIN_DIR_1_30`, else
 * `.cache/kube-1.30/bin`, and only there (one on PATH could be any release); etcd and kwok are the
 * default build's, which serve every supported minor.
 */
import * as path from "path";
import { isExecutableFile, which as whichOnPath } from "../../automation/paths";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const KUBE_CACHE_BIN = path.join(REPO_ROOT, ".cache", "kube", "bin");

export interface KubeBinaries {
    kubeApiserver: string;
    kubectl: string;
    etcd: string;
    /**
     * Needed unless `controllerManager: false`. Optional in the type so that callers
     * that name the three other binaries keep compiling; when it is missing,
     * startApiServer() looks for it like findKubeBinaries() does.
     */
    kubeControllerManager?: string;
    /** Needed with `kwok` (looked up when missing, like kubeControllerManager). */
    kubeScheduler?: string;
    /** Needed with `kwok`. */
    kwok?: string;
}

/**
 * The older Kubernetes minors the support matrix builds and tests besides the newest (tools/kube):
 * each has a module tools/kube-<minor>. 1.30 is the oldest Backline supports (ValidatingAdmissionPolicy GA).
 */
export const OLDER_MINORS = ["1.30"] as const;
export type OlderMinor = (typeof OLDER_MINORS)[number];

/** The binaries a minor's own build makes (the others come from the default build). */
const PER_MINOR: readonly (keyof KubeBinaries)[] = [
    "kubeApiserver",
    "kubeControllerManager",
    "kubeScheduler",
    "kubectl",
];

export type FindKubeBinariesResult =
    { binaries: KubeBinaries; reason?: undefined } | { binaries: null; reason: string };

export const BINARY_NAMES: Record<keyof KubeBinaries, string> = {
    kubeApiserver: "kube-apiserver",
    kubectl: "kubectl",
    etcd: "etcd",
    kubeControllerManager: "kube-controller-manager",
    kubeScheduler: "kube-scheduler",
    kwok: "kwok",
};

/** The default build's folder, or with `minor` that minor's own (scripts/build-kube.sh <minor>). */
export function binDir(minor?: OlderMinor): string {
    if (minor === undefined) {
        return process.env.KUBE_BIN_DIR || KUBE_CACHE_BIN;
    }
    return (
        process.env[`KUBE_BIN_DIR_${minor.replace(".", "_")}`] || path.join(REPO_ROOT, ".cache", `kube-${minor}`, "bin")
    );
}

export function findBinary(name: string, minor?: OlderMinor): string | null {
    const local = path.join(binDir(minor), name);
    if (isExecutableFile(local)) {
        return local;
    }
    return minor === undefined ? whichOnPath(name) : null;
}

/** Which build `key` comes from for `minor`: that minor's own for the four it makes, else the default. */
export function minorOf(key: keyof KubeBinaries, minor: OlderMinor | undefined): OlderMinor | undefined {
    return PER_MINOR.includes(key) ? minor : undefined;
}

/**
 * Locates kube-apiserver, kube-controller-manager, kubectl and etcd (and, with
 * `kwok: true`, kube-scheduler and kwok): `$KUBE_BIN_DIR` if set, else `.cache/kube/bin`
 * (built by scripts/build-kube.sh), then PATH, per binary; with `minor`, that minor's four
 * Kubernetes binaries from its own folder only. Returns `{ binaries: null, reason }` when any
 * needed one is missing so tests can skip. `{ controllerManager: false }` does not require
 * kube-controller-manager. Binaries not required are still returned when found.
 */
export function findKubeBinaries(
    opts: { controllerManager?: boolean; kwok?: boolean; minor?: OlderMinor } = {},
): FindKubeBinariesResult {
    const required = (key: keyof KubeBinaries): boolean =>
        key === "kubeControllerManager"
            ? opts.controllerManager !== false
            : key === "kubeScheduler" || key === "kwok"
              ? opts.kwok === true
              : true;
    const found: Partial<KubeBinaries> = {};
    const missing: string[] = [];
    const builds = new Set<string>();
    for (const key of Object.keys(BINARY_NAMES) as (keyof KubeBinaries)[]) {
        const name = BINARY_NAMES[key];
        const minor = minorOf(key, opts.minor);
        const p = findBinary(name, minor);
        if (p) {
            found[key] = p;
        } else if (required(key)) {
            missing.push(`${name} (${minor === undefined ? `${binDir()} or PATH` : binDir(minor)})`);
            builds.add(minor === undefined ? "scripts/build-kube.sh" : `scripts/build-kube.sh ${minor}`);
        }
    }
    if (missing.length > 0) {
        return {
            binaries: null,
            reason:
                `not found: ${missing.join(", ")}; ` +
                `run ${[...builds].join(" and ")} (builds them from Go modules) to enable these tests`,
        };
    }
    return { binaries: found as KubeBinaries };
}
