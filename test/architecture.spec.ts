/**
 * The layering of docs/architecture.md, read from the imports (scripts/architecture.ts): no import
 * runs up a layer or across siblings, no files import each other in a circle, and the drawing in
 * docs/architecture.md is the one the imports give.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { architectureDoc, readStructure, ruleBroken, withDrawing } from "../scripts/architecture";

describe("architecture: the layering holds", function () {
    this.timeout(30_000);
    const structure = readStructure();

    it("reads the imports of every layer", () => {
        const files = Object.keys(structure.imports);
        for (const prefix of [
            "components/model/",
            "components/config/",
            "components/specs/",
            "automation/",
            "policy/src/",
        ]) {
            assert.ok(
                files.some((f) => f.startsWith(prefix)),
                `no file under ${prefix}`,
            );
        }
        assert.ok(structure.imports["index.ts"].includes("components/index.ts"));
    });

    it("no import runs up a layer or across siblings", () => {
        assert.deepEqual(structure.violations, []);
    });

    it("no files import each other in a circle", () => {
        assert.deepEqual(structure.circles, []);
    });

    it("docs/architecture.md shows the drawing the imports give (scripts/architecture.ts rewrites it)", () => {
        const doc = fs.readFileSync(architectureDoc, "utf8");
        assert.equal(doc, withDrawing(doc, structure.drawing));
    });

    const cases: [string, string, string | undefined][] = [
        ["components/specs/worker.ts", "components/model/index.ts", undefined],
        ["components/config/schema.ts", "components/model/names.ts", undefined],
        ["components/worker.ts", "components/specs/worker.ts", undefined],
        ["components/backline-stack.ts", "components/adoption/takeover.ts", undefined],
        ["automation/operations.ts", "components/index.ts", undefined],
        ["components/model/names.ts", "components/specs/common.ts", "model (layer 0) may not import specs (layer 1)"],
        [
            "components/specs/worker.ts",
            "components/config/index.ts",
            "specs and config are siblings (layer 1) and never import each other",
        ],
        [
            "components/worker.ts",
            "components/adoption/plan.ts",
            "core components (layer 2) may not import adoption (layer 3)",
        ],
        [
            "components/preflight/index.ts",
            "components/adoption/prepare.ts",
            "preflight and adoption are siblings (layer 3) and never import each other",
        ],
        [
            "components/cluster/client.ts",
            "automation/config.ts",
            "cluster (layer 1) may not import automation (layer 5)",
        ],
        [
            "policy/src/names.ts",
            "components/model/names.ts",
            "the policy pack is a package of its own: it imports nothing of the program and nothing imports it",
        ],
    ];
    for (const [from, to, why] of cases) {
        it(`${from} → ${to}: ${why ?? "allowed"}`, () => {
            assert.equal(ruleBroken(from, to), why);
        });
    }
});
