/**
 * CronJob schedules, checked as the Kubernetes API server checks them when it creates a CronJob
 * (`pkg/apis/batch/validation`: `cron.ParseStandard` of github.com/robfig/cron/v3, and no `TZ` in
 * the schedule), so a schedule accepted here is never refused at `pulumi up`. The fields are parsed
 * by cron-parser; where it reads a field otherwise than robfig/cron, the corrections below keep the
 * verdict Kubernetes'. Rationale and the table it is tested against: docs/decisions/0001-cron-schedules.md,
 * test/fixtures/cron-schedules.ts (the e2e test sends every row to a real API server).
 */
import { CronExpressionParser } from "cron-parser";

const macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

interface CronField {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly names?: readonly string[];
}

const fields: readonly CronField[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    {
        name: "month",
        min: 1,
        max: 12,
        names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    },
    { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/**
 * One field as robfig/cron reads it; cron-parser parses it, after these corrections: robfig/cron
 * skips empty list items (`1,,2`), reads only the star of `*-5` and takes `+5` for 5 (Go's
 * `strconv.Atoi`), and it knows no `L`, `W`, `#` or `H`, no Sunday 7 and no step beyond int64.
 */
function fieldIsValid(text: string, index: number): boolean {
    const field = fields[index];
    const items = text
        .split(",")
        .filter((item) => item !== "")
        .map((item) => item.replace(/^([*?])-[^/]*/, "$1").replace(/(^|[-/])\+(?=\d)/g, "$1"));
    const robfig = items.every((item) => {
        const [range, ...steps] = item.split("/");
        return (
            /^[0-9a-z*?/-]+$/i.test(item) &&
            (item.match(/[a-z]+/gi) ?? []).every((word) => field.names?.includes(word.toLowerCase())) &&
            range.split("-").every((n) => !/^\d+$/.test(n) || Number(n) <= field.max) &&
            steps.every((n) => !/^\d+$/.test(n) || BigInt(n) < 2n ** 63n)
        );
    });
    if (!robfig || items.length === 0) return robfig;
    const probe = ["*", "*", "*", "*", "*"];
    probe[index] = items.join(",");
    try {
        CronExpressionParser.parse(probe.join(" "));
        return true;
    } catch {
        return false;
    }
}

/**
 * A CronJob schedule as Kubernetes accepts it: five fields or a macro such as `@hourly`.
 * https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 * Time zones belong in `spec.timeZone`: the API server refuses `TZ=`/`CRON_TZ=` in a new schedule.
 * `@every <duration>`, which the API server lets through from robfig/cron but Kubernetes does not
 * document, is refused: the schedule must read the same to every cron tool.
 */
export function checkCronSchedule(text: string): string | undefined {
    const accepted =
        "expected five cron fields (`minute hour day-of-month month day-of-week`, e.g. `*/3 * * * *`) or a macro such as `@hourly`";
    if (text.includes("TZ")) return `${accepted}; time zones are not accepted in the schedule`;
    if (text.startsWith("@")) {
        return macros.includes(text) ? undefined : `${accepted}; known macros: ${macros.join(", ")}`;
    }
    const parts = text.split(/\s+/).filter((part) => part !== "");
    if (parts.length !== 5) return `${accepted}; got ${parts.length} field${parts.length === 1 ? "" : "s"}`;
    const bad = parts.findIndex((part, i) => !fieldIsValid(part, i));
    if (bad < 0) return undefined;
    const { name, min, max, names } = fields[bad];
    const words = names ? ` or ${`${names[0]}-${names[names.length - 1]}`.toUpperCase()}` : "";
    return `${accepted}; the ${name} field \`${parts[bad]}\` is not valid (allowed ${min}-${max}${words}, \`*\`, ranges \`a-b\`, steps \`*/n\` and lists \`a,b\`)`;
}
