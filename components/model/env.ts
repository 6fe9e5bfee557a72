/**
 * Environment variables the program sets itself. `worker.env` may not redefine them: a duplicate
 * would silently override what the worker and the Jobs it creates rely on.
 */

/**
 * What the program sets on the worker, in this order. `specs/worker.ts` sets exactly these (its
 * table is typed by this list, so a name set there and missing here, or the reverse, does not
 * compile). The Jobs the worker creates need the same namespace, claim, pull secret, service
 * account, proxy, CA bundle and registry mirror, so they are passed along rather than guessed.
 */
const workerEnv = [
    "BACKLINE_BASE_URL",
    "BACKLINE_ACCESS_KEY",
    "BACKLINE_NAMESPACE",
    "BACKLINE_PVC_NAME",
    "BACKLINE_STORAGE_PATH",
    "BACKLINE_IMAGE_PULL_SECRET",
    "BACKLINE_JOB_SERVICE_ACCOUNT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "BACKLINE_PROXY_SECRET",
    "BACKLINE_CA_BUNDLE_CONFIGMAP",
    "BACKLINE_CA_BUNDLE_KEY",
    "BACKLINE_IMAGE_REGISTRY",
    "BACKLINE_IMAGE_PULL_SECRETS",
] as const;

/** A variable the program sets on the worker. */
export type WorkerEnvName = (typeof workerEnv)[number];

/** Names the program sets on the worker (`worker.env` may not use them). */
export const reservedWorkerEnvNames: readonly string[] = workerEnv;

/** The proxy's variables, both spellings: curl reads only the lower-case `http_proxy`, Go and Python either. */
export const proxyEnvNames: readonly string[] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
];

/**
 * How each client in the worker finds the CA bundle: OpenSSL-based ones (Python's ssl, curl, Go's
 * crypto/x509) read `SSL_CERT_FILE` instead of their default file, Node adds `NODE_EXTRA_CA_CERTS`
 * to its own roots, Python `requests` reads `REQUESTS_CA_BUNDLE` instead of certifi's.
 */
export const workerCaEnvNames: readonly string[] = ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE"];
