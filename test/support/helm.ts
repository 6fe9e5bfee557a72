/**
 * The `helm` CLI against a test API server (test/support/apiserver.ts), and the test chart that stands
 * in for the vendor's Backline chart (test/fixtures/backline-chart).
 *
 *   const kube = useApiServer();
 *   const helm = useHelm(kube);                 // before(): find helm (or skip the suite)
 *   it("installs", () => {
 *       helm().ok(["install", "backline", TEST_CHART, "-n", "backline", "--create-namespace", "-f", file]);
 *   });
 *
 * helm comes from `scripts/build-helm.sh` (`.cache/helm/bin`), `$HELM_BIN_DIR`, or PATH. Its cache,
 * config and data folders live in the API server's temp dir, so tests never touch `~/.cache/helm`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { isExecutableFile, which } from "../../automation/paths";
import { ApiServer, KubectlResult, REPO_ROOT } from "./apiserver";

export const HELM_CACHE_BIN = path.join(REPO_ROOT, ".cache", "helm", "bin");
export const TEST_CHART = path.join(REPO_ROOT, "test", "fixtures", "backline-chart");

export type FindHelmResult = { helm: string; reason?: undefined } | { helm: null; reason: string };

/** `$HELM_BIN_DIR/helm` if set, else `.cache/helm/bin/helm`, then the first `helm` on PATH. */
export function findHelm(env: NodeJS.ProcessEnv = process.env): FindHelmResult {
    const dir = env.HELM_BIN_DIR || HELM_CACHE_BIN;
    const local = path.join(dir, "helm");
    const helm = isExecutableFile(local) ? local : which("helm", env.PATH);
    return helm
        ? { helm }
        : {
              helm: null,
              reason: `helm not found in ${dir} or on PATH; run scripts/build-helm.sh to enable these tests`,
          };
}

export interface Helm {
    /** Path of the helm binary. */
    readonly bin: string;
    /** Runs helm against the API server; never throws on a non-zero exit. */
    run(args: string[]): KubectlResult;
    /** Runs helm and throws (with its output) unless it exits 0; returns stdout. */
    ok(args: string[]): string;
}

export function helmFor(kube: ApiServer, bin: string): Helm {
    const home = path.join(kube.dir, "helm");
    const env = kube.env({
        HELM_CACHE_HOME: path.join(home, "cache"),
        HELM_CONFIG_HOME: path.join(home, "config"),
        HELM_DATA_HOME: path.join(home, "data"),
    });
    const run = (args: string[]): KubectlResult => {
        const r = spawnSync(bin, args, { env, encoding: "utf8", timeout: 120_000 });
        if (r.error) {
            throw r.error;
        }
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const ok = (args: string[]): string => {
        const r = run(args);
        if (r.status !== 0) {
            throw new Error(`helm ${args.join(" ")} exited ${r.status}\n${r.stdout}${r.stderr}`);
        }
        return r.stdout;
    };
    return { bin, run, ok };
}

/** Mocha convenience: finds helm in `before` (skipping the suite with the reason when it is not built). */
export function useHelm(kube: () => ApiServer): () => Helm {
    let helm: Helm | undefined;
    before(function () {
        const found = findHelm();
        if (!found.helm) {
            console.warn(`      skipping: ${found.reason}`);
            this.skip();
        }
        helm = helmFor(kube(), found.helm);
    });
    return () => {
        if (!helm) {
            throw new Error("helm not set up (useHelm's before hook has not run or failed)");
        }
        return helm;
    };
}

/** A values file for `helm -f` (JSON is YAML). */
export function writeValuesFile(dir: string, name: string, values: object): string {
    const file = path.join(dir, `${name}.values.json`);
    fs.writeFileSync(file, JSON.stringify(values, null, 2), { mode: 0o600 });
    return file;
}

/** A revision of a release as Helm 3 stores it: the adoption's own reader (components/adoption/release.ts). */
export { decodeReleaseRecord } from "../../components/adoption/release";
export type { HelmReleaseDocument as HelmReleaseRecord } from "../../components/adoption/release";
