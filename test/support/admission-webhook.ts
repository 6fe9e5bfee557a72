/**
 * A validating admission webhook for the real-API-server janitor tests: an HTTPS server on
 * 127.0.0.1 that the kube-apiserver calls with an AdmissionReview, and that denies what `decide`
 * says to deny, with the message it returns. It serves with the API server's own self-signed
 * serving certificate (its cert dir holds apiserver.crt, the certificate then its CA, and
 * apiserver.key), so the ValidatingWebhookConfiguration's caBundle is the CA the tests already have.
 *
 * Why a webhook and not a ValidatingAdmissionPolicy: CEL in the API server sees a Secret's data as
 * base64 text and has no base64 decoder, so only a webhook can echo the decoded values the way a
 * careless real one might (a password echoed JSON-quoted).
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";

/** The part of an AdmissionReview request the tests decide on. */
export interface AdmissionRequest {
    uid: string;
    namespace?: string;
    name?: string;
    operation: string;
    resource: { group: string; version: string; resource: string };
    userInfo: { username: string };
    object?: Record<string, unknown>;
}

/** undefined: allow; a string: deny with this message. */
export type AdmissionDecision = (request: AdmissionRequest) => string | undefined;

export class AdmissionWebhook {
    private constructor(
        private readonly server: https.Server,
        /** URL for the webhook configuration's clientConfig. */
        readonly url: string,
    ) {}

    /** Starts the server with the certificate and key of the API server whose cert dir is `certDir`. */
    static async start(certDir: string, decide: AdmissionDecision): Promise<AdmissionWebhook> {
        const server = https.createServer({
            cert: fs.readFileSync(path.join(certDir, "apiserver.crt")),
            key: fs.readFileSync(path.join(certDir, "apiserver.key")),
        });
        server.on("request", (req, res) => {
            let text = "";
            req.setEncoding("utf8");
            req.on("data", (chunk: string) => (text += chunk));
            req.on("end", () => {
                const review = JSON.parse(text) as { apiVersion: string; request: AdmissionRequest };
                const message = decide(review.request);
                const response =
                    message === undefined
                        ? { uid: review.request.uid, allowed: true }
                        : { uid: review.request.uid, allowed: false, status: { code: 403, message } };
                res.writeHead(200, { "content-type": "application/json" }).end(
                    JSON.stringify({ apiVersion: review.apiVersion, kind: "AdmissionReview", response }),
                );
            });
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        const port = (server.address() as net.AddressInfo).port;
        return new AdmissionWebhook(server, `https://127.0.0.1:${port}/validate`);
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
}
