/**
 * Where the program mounts files in its containers. Users' mounts (`worker.extraVolumeMounts`) must
 * keep out of them, and the janitor's script and the worker's Jobs rely on them.
 */

/** Every container's scratch space: the root filesystem is read-only. */
export const scratchDir = "/tmp";

/** Where every container finds the CA bundle (read-only), whatever the ConfigMap's key. */
export const caBundleDir = "/etc/backline/ca-bundle";
export const caBundleFileName = "ca-bundle.pem";
export const caBundleFile = `${caBundleDir}/${caBundleFileName}`;

/** The janitor's script, from ConfigMap `janitor-script`. */
export const janitorScriptDir = "/opt/janitor";
export const janitorScriptFile = "janitor.sh";
/** kubectl writes its discovery cache under $HOME; the root filesystem is read-only. */
export const janitorHome = "/home/janitor";

/** The collector's configuration, from ConfigMap `adot-collector-config`. */
export const collectorConfigDir = "/etc/otel";
export const collectorConfigFile = "config.json";
/** The Backline JWT (Secret `jwt-token`), the collector's web identity token. */
export const jwtTokenDir = "/var/run/secrets/backline/jwt";
