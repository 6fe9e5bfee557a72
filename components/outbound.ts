import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentNames, siteNames } from "./model";
import type { OutboundArgs } from "./model";
import { labelsFor } from "./specs/common";
import { proxySecretData } from "./specs/site";

export type { OutboundArgs };

/**
 * What pods need to reach the outside through the customer's network, as objects: Secret
 * `backline-proxy` with the proxy URLs (with `proxy.*`; containers read URLs with credentials
 * from it, and the worker hands it to its Jobs), and ConfigMap `backline-ca-bundle` made from
 * `caBundle.pem`. Pods mount or reference them by name (`specs/site.ts`).
 *
 * pulumi-kubernetes replaces a Secret whose data changes, so the Secret's uid changes with the
 * proxy: the worker's pod template carries it when the URLs hold credentials, and rolls.
 */
export class Outbound extends pulumi.ComponentResource {
    /** The uid of Secret `backline-proxy` when the proxy URLs hold credentials. */
    public readonly proxySecretUid?: pulumi.Output<string>;

    constructor(name: string, args: OutboundArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:network:Outbound", name, {}, opts);
        const { proxy, caBundle } = args.site;

        if (proxy) {
            const secret = new k8s.core.v1.Secret(
                `${name}-proxy`,
                {
                    metadata: {
                        name: siteNames.proxySecret,
                        namespace: args.namespace,
                        labels: labelsFor(componentNames.proxy),
                    },
                    type: "Opaque",
                    // Encrypted in the state: the URLs may hold credentials.
                    stringData: pulumi.secret(proxySecretData(proxy)),
                },
                { parent: this },
            );
            if (proxy.credentials) this.proxySecretUid = secret.metadata.uid;
        }
        if (caBundle?.kind === "inline") {
            new k8s.core.v1.ConfigMap(
                `${name}-ca-bundle`,
                {
                    metadata: {
                        name: siteNames.caBundleConfigMap,
                        namespace: args.namespace,
                        labels: labelsFor(componentNames.caBundle),
                    },
                    data: { [caBundle.key]: caBundle.pem },
                },
                { parent: this },
            );
        }
        this.registerOutputs({ proxySecretUid: this.proxySecretUid });
    }
}
