/**
 * `janitor`: the CronJob that keeps the credentials and the worker image fresh.
 */
import { bool, int, object, text } from "../fields";
import { checkCronSchedule } from "../cron";
import { imageShape, podKeys, resources } from "../shapes";

export const janitor = object({
    image: object(imageShape({ registry: "docker.io", name: "dtzar/helm-kubectl", tag: "3.16.1" })).prefault({}),
    schedule: text(checkCronSchedule)
        .prefault("* * * * *")
        .describe("Cron schedule (five fields, or a macro such as `@hourly`)."),
    resources: resources({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } }),
    refreshWindowSeconds: int(60, 86_400)
        .prefault(900)
        .describe("Refresh a token or credential that expires within this many seconds."),
    httpTimeoutSeconds: int(1, 120).prefault(10).describe("Whole-request timeout of each SaaS call."),
    runOnInstall: bool()
        .prefault(true)
        .describe(
            "Run the janitor once during `pulumi up` (Job `janitor-install-<hash>`), so a fresh install does not wait for the schedule.",
        ),
    startingDeadlineSeconds: int(10).prefault(60).describe("Skip a run that could not start within this time."),
    activeDeadlineSeconds: int(30).prefault(300).describe("Kill a run that takes longer."),
    backoffLimit: int(0, 10).prefault(1).describe("Retries of a failed run."),
    successfulJobsHistoryLimit: int(0, 100).prefault(3).describe("Finished Jobs kept."),
    failedJobsHistoryLimit: int(0, 100).prefault(3).describe("Failed Jobs kept (for `kubectl logs`)."),
    ...podKeys("janitor"),
})
    .prefault({})
    .describe("The janitor CronJob, which keeps the credentials and the worker image fresh.");
