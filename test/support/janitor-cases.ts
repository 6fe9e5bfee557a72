/**
 * The janitor's end-to-end cases, shared by every Kubernetes backend: `describeJanitorSuite(factory)`
 * registers the whole suite against one `KubeBackendFactory`. `test/janitor.contract.ts` runs it
 * against the kubectl stand-in (`npm run test:janitor`); `test/e2e/janitor-apiserver.e2e.ts` runs the
 * same cases against a real kube-apiserver with the real kubectl.
 *
 * The cases use only the KubeBackend interface. The namespace is read from `kube.namespace` at run
 * time: a backend may move to a fresh namespace on every reset().
 *
 * Every run is checked for these invariants, whatever the case: no output line contains a
 * secret (access key, token, password, base64 auth), no kubectl argv contains one, every
 * kubectl call passes `-n NAMESPACE`, and every SaaS request carries `Authorization: Bearer
 * <key>` and `Accept: application/json`.
 */
import { FakeSaas } from "./fake-saas";
import { KubeBackendFactory } from "./kube-backend";
import { describeSaasFailureCases, describePartialFailureCases } from "./janitor-failure-cases";
import { describeHappyPathCases, describeStoredExpiryCases } from "./janitor-happy-cases";
import { describeHostileAnswerCases } from "./janitor-hostile-cases";
import { describeConfigurationCases, describeMalformedAnswerCases } from "./janitor-input-cases";
import { describeSiteCases } from "./janitor-site-cases";
import { JanitorBackends, janitorCaseSuite } from "./janitor-suite";

/** The namespace given to the factory (a backend may use it as a prefix, see KubeBackend.namespace). */
const NS = "backline-e2e";

export function describeJanitorSuite(factory: KubeBackendFactory): void {
    describe(`janitor.sh end to end (${factory.name})`, function () {
        const b = {} as JanitorBackends; // filled by before()

        before(async function () {
            const reason = factory.unavailableReason();
            if (reason) {
                if (process.env.CI) throw new Error(`${factory.name}: ${reason}`);
                console.warn(`      SKIPPED ${factory.name}: ${reason}`);
                this.skip();
            }
            b.saas = await FakeSaas.start();
            b.kube = await factory.create(NS);
        });
        after(async () => {
            await b.saas?.close();
            await b.kube?.close();
        });
        beforeEach(async () => {
            b.saas.reset();
            await b.kube.reset();
        });

        const t = janitorCaseSuite(b);

        describeHappyPathCases(t);
        describeStoredExpiryCases(t);
        describeSaasFailureCases(t);
        describeMalformedAnswerCases(t);
        describePartialFailureCases(t);
        describeConfigurationCases(t);
        // --- hostile or broken answers: size, bytes, bounds, echoes -----------------------------
        describeHostileAnswerCases(t);
        // --- behind a proxy, with a private CA and a registry mirror ----------------------------
        describeSiteCases(t);
    });
}
