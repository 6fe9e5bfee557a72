/**
 * README's "Use it from your own program": its TypeScript program is examples/compose/index.ts (the
 * program test/e2e/compose.e2e.ts deploys), as a user writes it against the package; and its list of
 * the keys that take Outputs is the schema's.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { keysTakingOutputs } from "../components/config";

const root = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");

function between(text: string, start: string, end: string): string {
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    assert.ok(from >= 0 && to > from, `no ${start} … ${end}`);
    return text.slice(from + start.length, to);
}

describe("README: use it from your own program", () => {
    it("shows examples/compose/index.ts, importing the package, without its comments", () => {
        const example = between(
            fs.readFileSync(path.join(root, "examples", "compose", "index.ts"), "utf8"),
            "// README:start\n",
            "// README:end",
        )
            .replace('from "../../components"', 'from "@backline/pulumi"')
            .split("\n")
            .filter((line) => !line.trimStart().startsWith("//"))
            .join("\n");
        const block = /```ts\n([\s\S]*?)```/.exec(between(readme, "<!-- compose:start -->", "<!-- compose:end -->"));
        assert.ok(block, "no TypeScript block");
        assert.equal(block[1], example);
    });

    it("lists exactly the keys that take Outputs", () => {
        const text = between(readme, "<!-- output-keys:start -->", "<!-- output-keys:end -->");
        const listed = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        const perWorkload = ["serviceAccount.annotations.*", "podLabels.*", "podAnnotations.*"];
        assert.ok(/of `worker` and `janitor`/.test(text));
        const expanded = listed.flatMap((k) =>
            perWorkload.includes(k) ? [`worker.${k}`, `janitor.${k}`] : k === "worker" || k === "janitor" ? [] : [k],
        );
        assert.deepEqual([...expanded].sort(), [...keysTakingOutputs()].sort());
    });
});
