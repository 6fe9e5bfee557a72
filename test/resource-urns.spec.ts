/**
 * Resource URNs are public API: a changed name, type or parent turns the next `pulumi up` of every
 * deployed stack into a delete and a create (docs/versioning.md). Every example stack registers
 * exactly the URNs recorded in `test/fixtures/resource-urns.json`, computed as the engine does
 * (the whole chain of parent types, the root stack left out).
 *
 * A deliberate change updates the fixture (`UPDATE_URNS=1 npm test -- --grep URNs`) together with
 * `aliases` that keep the old URNs, and a changelog entry.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { BacklineStack, kubernetesProviderArgs, parseBacklineConfig } from "../components";
import { preparedAdoption } from "./fixtures/adoption";
import * as enterprise from "./fixtures/enterprise-examples";
import * as examples from "./fixtures/examples";
import { RecordingMocks, StackConfig, registeredUrns, settle, urnsRegisteredBy } from "./support/mocks";

const fixtureFile = path.join(__dirname, "fixtures", "resource-urns.json");

const stacks: Record<string, () => Promise<string[]>> = {
    ...Object.fromEntries(
        Object.entries(examples).map(([name, config]) => [name, () => registeredUrns(config, { stack: "dev" })]),
    ),
    airGapped: () => registeredUrns(enterprise.airGapped, { stack: "dev" }),
    proxyWithCredentials: () =>
        registeredUrns(enterprise.proxyWithCredentials, { stack: "dev", secretKeys: ["proxy"] }),
    // The program reads the release from the cluster first; here the plan comes from the fixtures.
    adoptedRelease: () => urnsRegisteredBy(adoptionStack),
};

/** What `index.ts` declares for the Minimal stack adopting the Minimal install of the chart. */
async function adoptionStack(): Promise<void> {
    await pulumi.runtime.setMocks(new RecordingMocks(), "backline", "dev", false);
    const values: StackConfig = { ...examples.minimal, adopt: { helmRelease: "backline" } };
    const parsed = parseBacklineConfig(values);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(parsed.config.kubernetes));
    new BacklineStack("backline", { config: parsed.config, adoption: preparedAdoption() }, { providers: [provider] });
    await settle();
}

describe("resource URNs stay what deployed stacks recorded", function () {
    this.timeout(60_000);
    const recorded = fs.existsSync(fixtureFile)
        ? (JSON.parse(fs.readFileSync(fixtureFile, "utf8")) as Record<string, string[]>)
        : {};
    const now: Record<string, string[]> = {};

    after(() => {
        if (process.env.UPDATE_URNS === "1") fs.writeFileSync(fixtureFile, `${JSON.stringify(now, null, 2)}\n`);
    });

    it("the fixture covers every example stack", () => {
        if (process.env.UPDATE_URNS === "1") return;
        assert.deepEqual(Object.keys(recorded).sort(), Object.keys(stacks).sort());
    });

    for (const [name, urns] of Object.entries(stacks)) {
        it(`${name}: the same URNs`, async () => {
            now[name] = await urns();
            if (process.env.UPDATE_URNS === "1") return;
            const before = new Set(recorded[name]);
            const after = new Set(now[name]);
            const gone = [...before].filter((u) => !after.has(u));
            const added = [...after].filter((u) => !before.has(u));
            assert.deepEqual(
                { gone, added },
                { gone: [], added: [] },
                `URNs changed for ${name}: a gone URN is a delete on upgrade unless an alias keeps it`,
            );
        });
    }
});
