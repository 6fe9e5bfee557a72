/**
 * Unit tests (`npm test`) reach no cluster, whatever the machine has: loaded by .mocharc.json before
 * any test file. No `$KUBECONFIG` (the Kubernetes provider would record it as its `kubeconfig`
 * input), a home folder without `.kube/config`, no in-cluster variables: the program's preflight
 * finds no kubeconfig and says it could not check, as on a machine without one — under Pulumi's
 * mocks as anywhere. A test that needs a kubeconfig passes its own.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "backline-unit-home-"));
process.on("exit", () => fs.rmSync(home, { recursive: true, force: true }));
process.env.HOME = home;
delete process.env.KUBECONFIG;
delete process.env.KUBERNETES_SERVICE_HOST;
delete process.env.KUBERNETES_SERVICE_PORT;
