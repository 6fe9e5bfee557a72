/**
 * Every schedule of test/fixtures/cron-schedules.ts sent to a real kube-apiserver as a new CronJob
 * (server-side dry run): the API server's verdict is the table's, and `checkCronSchedule` gives the
 * same one, but for the `@every` schedules it refuses on purpose (docs/decisions/0001-cron-schedules.md).
 * Skips when the binaries are not built (scripts/build-kube.sh). Run:
 *   npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 test/e2e/cron-schedules.e2e.ts
 */
import { strict as assert } from "assert";
import { checkCronSchedule } from "../../components/config/cron";
import { useApiServer } from "../support/apiserver";
import { ApiClient } from "../support/kube-backend-apiserver-client";
import { kubernetesAccepts, kubernetesRefuses, refusedOnPurpose } from "../fixtures/cron-schedules";

function cronJob(name: string, schedule: string): object {
    const container = { name: "c", image: "busybox:1", command: ["true"] };
    return {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name },
        spec: {
            schedule,
            jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [container] } } } },
        },
    };
}

interface Status {
    details?: { causes?: { field?: string; message?: string }[] };
}

describe("CronJob schedules on the API server (e2e)", function () {
    const kube = useApiServer({ controllerManager: false });
    const schedules = [...kubernetesAccepts, ...kubernetesRefuses, ...refusedOnPurpose];
    const verdicts = new Map<string, "accepts" | "refuses">();

    before(async function () {
        const client = new ApiClient(kube().server, kube().caPem, kube().token);
        try {
            await Promise.all(
                schedules.map(async (schedule, i) => {
                    const path = "/apis/batch/v1/namespaces/default/cronjobs?dryRun=All";
                    const r = await client.request("POST", path, cronJob(`schedule-${i}`, schedule));
                    if (r.status !== 201) {
                        const causes = (JSON.parse(r.body) as Status).details?.causes ?? [];
                        assert.equal(r.status, 422, `${JSON.stringify(schedule)}: HTTP ${r.status} ${r.body}`);
                        const why = `${JSON.stringify(schedule)}: ${r.body}`;
                        assert.ok(
                            causes.some((c) => c.field === "spec.schedule"),
                            why,
                        );
                    }
                    verdicts.set(schedule, r.status === 201 ? "accepts" : "refuses");
                }),
            );
        } finally {
            client.close();
        }
    });

    it("accepts and refuses each schedule as the table says", function () {
        const wrong = schedules.filter(
            (s) => verdicts.get(s) !== (kubernetesRefuses.includes(s) ? "refuses" : "accepts"),
        );
        assert.deepEqual(wrong, [], `the API server disagrees with the table on ${JSON.stringify(wrong)}`);
    });

    it("gives the verdict checkCronSchedule gives, but on the `@every` schedules", function () {
        const ours = (s: string) => (checkCronSchedule(s) === undefined ? "accepts" : "refuses");
        const differ = schedules.filter((s) => ours(s) !== verdicts.get(s));
        assert.deepEqual(differ, refusedOnPurpose);
    });
});
