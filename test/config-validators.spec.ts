/**
 * The pure value checks behind the configuration's messages, value by value: a table of inputs
 * each must accept and refuse, so that a check is tightened or loosened only on purpose.
 */
import { strict as assert } from "assert";
import { checkAwsRegion, checkIamRoleArn } from "../components/config/aws-checks";
import { checkCronSchedule } from "../components/config/cron";
import {
    checkBytes,
    checkCpu,
    checkDns1123Label,
    checkImageReference,
    parseQuantity,
} from "../components/config/validators";

describe("validators", () => {
    const table: [string, (s: string) => string | undefined, string[], string[]][] = [
        ["checkCpu", checkCpu, ["100m", "2", "0.5", "2000m", "1.5"], ["0", "-1", "fast", "1Gi", "0.0001", "", " 1"]],
        [
            "checkBytes",
            checkBytes,
            ["128Mi", "1Gi", "50Gi", "1G", "512M", "1e9", "1024"],
            ["0", "2GB", "1gb", "128m", "lots", "-1Gi", "0.5"],
        ],
        [
            "checkCronSchedule",
            checkCronSchedule,
            ["* * * * *", "*/3 * * * *", "0 0 * * SUN", "0 9-17 * JAN-MAR 1-5", "@hourly", "5,10 * * * *"],
            [
                "* * * *",
                "60 * * * *",
                "* 24 * * *",
                "* * 0 * *",
                "* * * 13 *",
                "*/0 * * * *",
                "5-1 * * * *",
                "@every 5m",
                "CRON_TZ=UTC * * * * *",
            ],
        ],
        [
            "checkDns1123Label",
            checkDns1123Label,
            ["backline", "backline-prod", "a1"],
            ["Backline", "-a", "a-", "a_b", "", "a".repeat(64)],
        ],
        [
            "checkIamRoleArn",
            checkIamRoleArn,
            [
                "arn:aws:iam::123456789012:role/R",
                "arn:aws-us-gov:iam::123456789012:role/path/R",
                "arn:aws-cn:iam::123456789012:role/a.b@c",
            ],
            [
                "arn:aws:iam::12345:role/R",
                "arn:aws:iam::123456789012:user/R",
                "role/R",
                "arn:aws:sts::123456789012:role/R",
            ],
        ],
        [
            "checkAwsRegion",
            checkAwsRegion,
            ["us-west-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1"],
            ["us-west", "US-WEST-1", "california", "us_west_1", ""],
        ],
        [
            "checkImageReference",
            checkImageReference,
            [
                "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2",
                `r.example.com:5000/a/b@sha256:${"a".repeat(64)}`,
            ],
            ["aws-otel-collector:v1", "public.ecr.aws/x", "public.ecr.aws/X:1", "r/a@sha256:abc"],
        ],
    ];
    for (const [name, fn, good, badInputs] of table) {
        it(`${name} accepts ${good.length} and refuses ${badInputs.length} values`, () => {
            for (const g of good) assert.equal(fn(g), undefined, `${name} refused ${JSON.stringify(g)}`);
            for (const b of badInputs) assert.ok(fn(b), `${name} accepted ${JSON.stringify(b)}`);
        });
    }

    it("parseQuantity knows binary, decimal and exponent suffixes", () => {
        assert.equal(parseQuantity("1Gi")?.value, 2 ** 30);
        assert.equal(parseQuantity("500m")?.value, 0.5);
        assert.equal(parseQuantity("1e3")?.value, 1000);
        assert.equal(parseQuantity("1G")?.value, 1e9);
        assert.equal(parseQuantity("1Gb"), undefined);
    });
});
