/**
 * Where the test control plane's binaries come from: `$KUBE_BIN_DIR`, else `.cache/kube/bin`
 * (scripts/build-kube.sh), else PATH, per binary. Suites call findKubeBinaries() before starting
 * anything so that they can skip with the reason ("run scripts/build-kube.sh"); startApiServer()
 * uses the same lookup for binaries a caller did not name. Re-exported by apiserver.ts.
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

export function binDir(): string {
    return process.env.KUBE_BIN_DIR || KUBE_CACHE_BIN;
}

export function findBinary(name: string): string | null {
    const local = path.join(binDir(), name);
    return isExecutableFile(local) ? local : whichOnPath(name);
}

/**
 * Locates kube-apiserver, kube-controller-manager, kubectl and etcd (and, with
 * `kwok: true`, kube-scheduler and kwok): `$KUBE_BIN_DIR` if set, else `.cache/kube/bin`
 * (built by scripts/build-kube.sh), then PATH, per binary. Returns `{ binaries: null,
 * reason }` when any needed one is missing so tests can skip. `{ controllerManager: false }`
 * does not require kube-controller-manager. Binaries not required are still returned when found.
 */
export function findKubeBinaries(opts: { controllerManager?: boolean; kwok?: boolean } = {}): FindKubeBinariesResult {
    const dir = binDir();
    const required = (key: keyof KubeBinaries): boolean =>
        key === "kubeControllerManager"
            ? opts.controllerManager !== false
            : key === "kubeScheduler" || key === "kwok"
              ? opts.kwok === true
              : true;
    const found: Partial<KubeBinaries> = {};
    const missing: string[] = [];
    for (const key of Object.keys(BINARY_NAMES) as (keyof KubeBinaries)[]) {
        const name = BINARY_NAMES[key];
        const p = findBinary(name);
        if (p) {
            found[key] = p;
        } else if (required(key)) {
            missing.push(name);
        }
    }
    if (missing.length > 0) {
        return {
            binaries: null,
            reason:
                `${missing.join(", ")} not found in ${dir} or on PATH; ` +
                "run scripts/build-kube.sh (builds them from Go modules) to enable these tests",
        };
    }
    return { binaries: found as KubeBinaries };
}
