/**
 * The program (`index.ts`, under Pulumi mocks) meets Backline's policy pack for each of the chart's
 * examples, the no-AWS variant and the everything-on-AWS one — the only place the AWS policies see
 * the program's own EFS filesystem, security group, role and policy, since the AWS provider plugin
 * cannot run here (docs/operate/policies.md). The pack keeps its own
 * copy of the object names it checks; this also fails when they drift from the program's.
 */
import { strict as assert } from "assert";
import { names } from "../components/model";
import { backlineNames } from "../policy/src/names";
import { backlinePolicies } from "../policy/src/policies";
import { runPolicies } from "../policy/test/harness";
import * as examples from "./fixtures/examples";
import { StackConfig, runProgram } from "./support/mocks";

async function checkProgram(config: StackConfig) {
    const run = await runProgram(config);
    const resources = run.mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.state }));
    return { run, result: await runPolicies(backlinePolicies, resources) };
}

describe("the program meets the Backline policy pack (under mocks)", () => {
    const cases: [string, StackConfig, string[]][] = [
        ["minimal", examples.minimal, []],
        ["production", examples.production, ["pdb-for-replicated-workloads"]],
        ["customWorkerImage", examples.customWorkerImage, []],
        ["disableObservability", examples.disableObservability, []],
        ["noAwsStorage", examples.noAwsStorage, []],
        ["fullAws", examples.fullAws, []],
    ];
    for (const [title, config, extraAdvisories] of cases) {
        it(`${title}: no mandatory violation; advisories only for tags${extraAdvisories.length ? ` and ${extraAdvisories.join(", ")}` : ""}`, async () => {
            const { result } = await checkProgram(config);
            assert.deepEqual(result.skipped, []);
            const mandatory = result.violations.filter((v) => v.level === "mandatory");
            assert.deepEqual(mandatory, []);
            const advisories = [...new Set(result.violations.map((v) => v.policy))].sort();
            // The chart's images are tags (the janitor moves the worker's): the digest advice stays.
            assert.deepEqual(advisories, ["images-pinned-by-digest", ...extraAdvisories].sort());
        });
    }

    it("fullAws: the AWS policies did look at the program's AWS resources", async () => {
        const { run } = await checkProgram(examples.fullAws);
        const types = new Set(run.mocks.resources.map((r) => r.type));
        for (const t of [
            "aws:efs/fileSystem:FileSystem",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:cloudwatch/logGroup:LogGroup",
        ]) {
            assert.ok(types.has(t), `the program made no ${t}`);
        }
    });

    it("fullAws: the program's role policy and trust policy are the ones checked (widened, they fail)", async () => {
        const run = await runProgram(examples.fullAws);
        const resources = run.mocks.resources.map((r) => ({
            type: r.type,
            name: r.name,
            props: JSON.parse(JSON.stringify(r.state)),
        }));
        const policy = resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!;
        const doc = JSON.parse(policy.props.policy);
        doc.Statement[0].Resource = "*";
        policy.props.policy = JSON.stringify(doc);
        const role = resources.find((r) => r.type === "aws:iam/role:Role")!;
        const trust = JSON.parse(role.props.assumeRolePolicy);
        delete trust.Statement[0].Condition;
        role.props.assumeRolePolicy = JSON.stringify(trust);
        const result = await runPolicies(backlinePolicies, resources);
        assert.deepEqual(
            result.violations.filter((v) => v.level === "mandatory").map((v) => v.policy),
            ["collector-trust-conditions", "collector-policy-scoped"],
        );
    });

    it("with `security.jobAdmissionPolicy` off, the pack says what is lost (advisory), and fails a widened policy", async () => {
        const off = await checkProgram({ ...examples.minimal, security: { jobAdmissionPolicy: false } });
        assert.deepEqual([...new Set(off.result.violations.map((v) => `${v.level} ${v.policy}`))].sort(), [
            "advisory images-pinned-by-digest",
            "advisory worker-jobs-admission",
        ]);
        const run = await runProgram(examples.minimal);
        const resources = run.mocks.resources.map((r) => ({
            type: r.type,
            name: r.name,
            props: JSON.parse(JSON.stringify(r.state)),
        }));
        const policy = resources.find(
            (r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
        )!;
        delete policy.props.spec.matchConstraints.namespaceSelector;
        const result = await runPolicies(backlinePolicies, resources);
        assert.deepEqual(
            result.violations.filter((v) => v.level === "mandatory").map((v) => v.policy),
            ["admission-policy-namespaced"],
        );
    });

    it("a digest-pinned stack gets no advisory but the PDB one", async () => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const { result } = await checkProgram({
            ...examples.noAwsStorage,
            janitor: { image: { tag: digest } },
            worker: { ...(examples.noAwsStorage.worker as object), replicaCount: 2, image: { tag: digest } },
        });
        assert.deepEqual(
            [...new Set(result.violations.map((v) => `${v.level} ${v.policy}`))],
            ["advisory pdb-for-replicated-workloads"],
        );
    });
});

describe("the policy pack's names", () => {
    it("are the program's", () => {
        assert.deepEqual(
            {
                workerDeployment: backlineNames.workerDeployment,
                janitorRole: backlineNames.janitorRole,
                workerRole: backlineNames.workerRole,
                jwtSecret: backlineNames.jwtSecret,
                dockerconfigSecret: backlineNames.dockerconfigSecret,
                accessKeySecret: backlineNames.accessKeySecret,
                accessKeySecretKey: backlineNames.accessKeySecretKey,
            },
            {
                workerDeployment: names.workerDeployment,
                janitorRole: names.janitorServiceAccount,
                workerRole: names.workerServiceAccount,
                jwtSecret: names.jwtSecret,
                dockerconfigSecret: names.dockerconfigSecret,
                accessKeySecret: names.accessKeySecret,
                accessKeySecretKey: names.accessKeySecretKey,
            },
        );
    });

    it("find the annotation and the environment variable the program sets", async () => {
        const { mocks } = await runProgram(examples.minimal);
        const d = mocks.one("kubernetes:apps/v1:Deployment", names.workerDeployment).inputs;
        assert.equal(d.metadata.annotations[backlineNames.imageUpdatesAnnotation], "janitor");
        const env = d.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
        assert.ok(env.includes(backlineNames.accessKeyEnv), env.join(", "));
    });
});
