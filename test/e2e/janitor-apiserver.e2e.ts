/**
 * The janitor's end-to-end cases (test/support/janitor-cases.ts, the same ones `npm run test:janitor` runs
 * against the kubectl stand-in) against a REAL kube-apiserver with the REAL kubectl: one API
 * server for the suite, a fresh namespace per case (Pod Security `restricted`, like production),
 * and the script authenticated as ServiceAccount `janitor` with the Role the program gives it
 * (test/support/kube-backend-apiserver.ts). "Nothing changed" is read back through the API:
 * resourceVersion and the stored object are unchanged.
 *
 * Not part of `npm run test:janitor`. Needs kube-apiserver, etcd and kubectl (scripts/build-kube.sh) and the
 * janitor's tools (bash .ci/janitor-deps.sh); skips with the reason otherwise. Run only this file:
 *   npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 test/e2e/janitor-apiserver.e2e.ts
 */
import { findKubeBinaries } from "../support/apiserver";
import { describeJanitorSuite } from "../support/janitor-cases";
import { apiserverBackendFactory } from "../support/kube-backend-apiserver";

const found = findKubeBinaries();
if (found.binaries) {
    describeJanitorSuite(apiserverBackendFactory);
} else {
    describe(`janitor.sh end to end (${apiserverBackendFactory.name})`, function () {
        it("runs the janitor cases against a real API server", function () {
            console.warn(`      SKIPPED: ${found.reason}`);
            this.skip();
        });
    });
}
