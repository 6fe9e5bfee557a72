/**
 * What each control-plane process is started with: the flags of etcd, kube-apiserver and
 * kube-controller-manager, and the files those flags name (service-account keys, the token file,
 * the kubeconfigs). Apart from ./control-plane.ts, which only sequences the processes and waits for
 * them, so that a flag's reason (docs/kube-apiserver.md) is found next to the flag. kube-scheduler's
 * and kwok's flags are in ./kwok.ts. What differs between the Kubernetes minors the control plane
 * runs (the newest, or an older supported one: `minor`) is decided here, by version.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { OlderMinor } from "./apiserver-binaries";

/**
 * Where kube-scheduler says it is ready. 1.30 serves only `/healthz` (no `/readyz`: 404); the
 * newest serves `/readyz`, which also waits for its informers and event handlers to sync.
 */
export function schedulerReadyPath(minor: OlderMinor | undefined): "/readyz" | "/healthz" {
    return minor === "1.30" ? "/healthz" : "/readyz";
}

/** Identities in the token file; every one is in system:masters (no RBAC to set up for components). */
const USERS = ["admin", "system:kube-controller-manager", "system:kube-scheduler", "kwok"] as const;
export type User = (typeof USERS)[number];

function readOrCreate(file: string, make: () => string, mode = 0o600): string {
    if (fs.existsSync(file)) {
        return fs.readFileSync(file, "utf8");
    }
    const text = make();
    fs.writeFileSync(file, text, { mode });
    return text;
}

/** Service-account key pair and one bearer token per user, made once per folder. */
export function keyMaterial(certDir: string): {
    saKey: string;
    saPub: string;
    tokenFile: string;
    tokens: Record<User, string>;
} {
    fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
    const saKey = path.join(certDir, "sa.key");
    const saPub = path.join(certDir, "sa.pub");
    if (!fs.existsSync(saKey) || !fs.existsSync(saPub)) {
        // ES256: generated in ~1 ms
        const sa = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
        fs.writeFileSync(saKey, sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
        fs.writeFileSync(saPub, sa.publicKey.export({ type: "spki", format: "pem" }));
    }
    const tokenFile = path.join(certDir, "tokens.csv");
    const csv = readOrCreate(tokenFile, () =>
        USERS.map((u) => `${crypto.randomBytes(24).toString("hex")},${u},${u}-uid,"system:masters"\n`).join(""),
    );
    const tokens = {} as Record<User, string>;
    for (const line of csv.split("\n").filter((l) => l)) {
        const [token, user] = line.split(",");
        tokens[user as User] = token;
    }
    return { saKey, saPub, tokenFile, tokens };
}

export function etcdFlags(dataDir: string, clientPort: number, peerPort: number): string[] {
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    return [
        "--name=test",
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        "--initial-cluster-state=new",
        "--unsafe-no-fsync", // test data: fsync only costs time
        "--log-level=warn",
    ];
}

export function apiServerFlags(o: {
    etcdPort: number;
    securePort: number;
    certDir: string;
    tokenFile: string;
    saKey: string;
    saPub: string;
}): string[] {
    return [
        `--etcd-servers=http://127.0.0.1:${o.etcdPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        // a loopback advertise address is refused by the lease reconciler; nothing
        // needs Endpoints of the "kubernetes" Service anyway
        "--endpoint-reconciler-type=none",
        `--secure-port=${o.securePort}`,
        `--cert-dir=${o.certDir}`, // self-signed serving cert + CA, written at first start
        `--token-auth-file=${o.tokenFile}`,
        "--authorization-mode=Node,RBAC",
        // PodSecurity is in the default admission plugin set; named here so it can't silently go.
        "--enable-admission-plugins=PodSecurity",
        "--allow-privileged=true", // like real clusters: Pod Security, not this flag, decides
        `--service-account-key-file=${o.saPub}`,
        `--service-account-signing-key-file=${o.saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--profiling=false",
    ];
}

export function controllerManagerFlags(kubeconfig: string, saKey: string, caFile: string): string[] {
    return [
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false", // one instance: no Lease to acquire before controllers start
        "--use-service-account-credentials=false", // controllers use the kubeconfig's user
        `--service-account-private-key-file=${saKey}`, // token controller (legacy SA token Secrets)
        `--root-ca-file=${caFile}`, // published as ConfigMap kube-root-ca.crt in every namespace
        // every on-by-default controller. Nothing to exclude: 1.37 has no cloud controllers any more
        // (naming one fails with "is not in the list of known controllers").
        "--controllers=*",
        "--bind-address=127.0.0.1",
        "--secure-port=0", // no /healthz etc.: readiness is checked through the API
    ];
}

/** The self-signed CA out of a PEM bundle (kube-apiserver's apiserver.crt: serving cert, then CA). */
export function caCertOf(bundlePem: string): string {
    const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    for (const b of blocks) {
        try {
            if (new crypto.X509Certificate(b).ca) {
                return `${b}\n`;
            }
        } catch {
            /* not a certificate we can parse: keep looking */
        }
    }
    return bundlePem; // no CA block found: the whole bundle still verifies the server
}

export function kubeconfigYaml(server: string, caPem: string, token: string, user = "admin"): string {
    const ca = Buffer.from(caPem).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: test",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${ca}`,
        "users:",
        `- name: ${user}`,
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: test",
        "  context:",
        "    cluster: test",
        `    user: ${user}`,
        "current-context: test",
        "",
    ].join("\n");
}
