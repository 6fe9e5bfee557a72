/**
 * The janitor's schedule is checked as the Kubernetes API server checks a new CronJob's
 * (test/fixtures/cron-schedules.ts, which test/e2e/cron-schedules.e2e.ts holds to a real API
 * server), and the message names the field at fault.
 */
import { strict as assert } from "assert";
import { checkCronSchedule } from "../components/config/cron";
import { kubernetesAccepts, kubernetesRefuses, refusedOnPurpose } from "./fixtures/cron-schedules";

describe("CronJob schedules", () => {
    it(`accepts the ${kubernetesAccepts.length} schedules the API server accepts`, () => {
        for (const s of kubernetesAccepts) assert.equal(checkCronSchedule(s), undefined, JSON.stringify(s));
    });

    it(`refuses the ${kubernetesRefuses.length} schedules the API server refuses, and \`@every\``, () => {
        for (const s of [...kubernetesRefuses, ...refusedOnPurpose]) {
            assert.match(checkCronSchedule(s) ?? "", /^expected five cron fields/, JSON.stringify(s));
        }
    });

    const messages: [string, RegExp][] = [
        ["* * * * 7", /the day of week field `7` is not valid \(allowed 0-6 or SUN-SAT, `\*`/],
        ["* * * 13 *", /the month field `13` is not valid \(allowed 1-12 or JAN-DEC,/],
        ["* 24 * * *", /the hour field `24` is not valid \(allowed 0-23, `\*`/],
        ["* * L * *", /the day of month field `L` is not valid \(allowed 1-31, `\*`/],
        ["* * * *", /got 4 fields$/],
        ["", /got 0 fields$/],
        ["@every 5m", /known macros: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly$/],
        ["@hourly ", /known macros/],
        ["CRON_TZ=UTC @hourly", /time zones are not accepted in the schedule$/],
    ];
    for (const [schedule, message] of messages) {
        it(`says why ${JSON.stringify(schedule)} is refused`, () => {
            assert.match(checkCronSchedule(schedule) ?? "", message);
        });
    }
});
