/**
 * Proxy URLs that hold credentials (`proxy.httpProxy`, `proxy.httpsProxy`): found in a stack
 * configuration or the Automation API's settings, refused when the stack file holds them in
 * plaintext (`load.ts`), and split off as `--secret --path` values by the Automation API.
 */
import { isPlainObject } from "./fields";
import { hasCredentials } from "./network-checks";

/** A proxy URL with credentials, by the key `pulumi config set --path` takes, and its secret parts. */
export interface ProxyCredential {
    /** `proxy.httpsProxy` */
    readonly path: string;
    readonly url: string;
    /** The URL, its `user:password` and the password, as given and decoded: what must never be shown. */
    readonly secrets: readonly string[];
}

/** The proxy URLs of a stack configuration (or the Automation API's settings) that hold credentials. */
export function proxyCredentials(values: unknown): ProxyCredential[] {
    const proxy = isPlainObject(values) && isPlainObject(values.proxy) ? values.proxy : {};
    return (["httpProxy", "httpsProxy"] as const).flatMap((k) => {
        const url = proxy[k];
        if (typeof url !== "string" || !hasCredentials(url)) return [];
        const userinfo = url.replace(/^[a-z]+:\/\//i, "").replace(/@[^@]*$/, "");
        const password = userinfo.includes(":") ? userinfo.slice(userinfo.indexOf(":") + 1) : "";
        let decoded = password;
        try {
            decoded = decodeURIComponent(password);
        } catch {
            // not percent-encoded as a whole: the raw form is the one to hide
        }
        const secrets = [url, userinfo, password, decoded].filter((s) => s !== "");
        return [{ path: `proxy.${k}`, url, secrets: [...new Set(secrets)] }];
    });
}

/**
 * Proxy URLs with credentials stored in plaintext. The program learns whether a key holds secrets
 * only for the top-level key (`proxy`: the engine marks an object secret when any value in it
 * is), so a URL with credentials is accepted once the `proxy` object holds a secret.
 */
export function plaintextProxyCredentials(values: unknown): { key: string; message: string }[] {
    return proxyCredentials(values).map((c) => ({
        key: c.path,
        message: `holds credentials but the \`proxy\` key is stored in plaintext in the stack file; store the URL encrypted with \`pulumi config set --secret --path ${c.path} <url>\` (value not shown).`,
    }));
}

/**
 * A top-level object value split for the stack file: the plain part, and the proxy URLs with
 * credentials, which are set inside it as `--secret --path` values (the Automation API does).
 */
export function splitSecretLeaves(key: string, value: object): { plain: object; secrets: ProxyCredential[] } {
    const secrets = key === "proxy" ? proxyCredentials({ proxy: value }) : [];
    if (secrets.length === 0) return { plain: value, secrets };
    const plain: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const s of secrets) delete plain[s.path.slice("proxy.".length)];
    return { plain, secrets };
}
