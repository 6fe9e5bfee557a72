/**
 * The files derived from the configuration schema (scripts/gen.ts): each is current, the
 * generator keeps every part of Pulumi.yaml that is not the config block, every key is documented,
 * and the stack files' JSON Schema accepts the committed stacks and the chart's examples and
 * refuses what the program refuses.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";
import { configJsonSchema } from "../components/config/reference";
import {
    configDeclarations,
    referenceRows,
    repoRoot,
    stackFileSchema,
    stackSchemaFile,
    staleFiles,
    updatePulumiYaml,
} from "../scripts/gen";
import * as examples from "./fixtures/examples";

describe("generated files", () => {
    it("are current: Pulumi.yaml's config block, the configuration page's reference, the stack files' JSON Schema", () => {
        assert.deepEqual(staleFiles(), [], "run `npm run gen` and commit the result");
    });

    it("leave every other part of Pulumi.yaml as it is, comments included", () => {
        const before = [
            "name: backline",
            "runtime:",
            "  name: nodejs",
            "  options:",
            "    typescript: true",
            "    # checked elsewhere",
            "    nodeargs: --max-old-space-size=512",
            "options:",
            "  refresh: always",
            "config:",
            "  backline:baseUrl:",
            "    type: string",
            "",
        ].join("\n");
        const after = updatePulumiYaml(before);
        assert.ok(after.startsWith(before.slice(0, before.indexOf("config:"))), after);
        assert.deepEqual(parse(after).config, configDeclarations());
        assert.equal(updatePulumiYaml(after), after, "not stable when run twice");
    });

    it("declare the secret without a default and every object with `{}`", () => {
        const d = configDeclarations();
        assert.deepEqual(d["backline:accessKey"].secret, true);
        assert.ok(!("default" in d["backline:accessKey"]), "Pulumi refuses a default on a secret key");
        for (const section of ["janitor", "worker", "logging", "efs", "kubernetes"]) {
            assert.deepEqual(d[`backline:${section}`].default, {}, section);
            assert.equal(d[`backline:${section}`].type, "object", section);
        }
    });

    it("document every key: a description, and a default or a reason it has none", () => {
        const rows = referenceRows(configJsonSchema(), "");
        assert.ok(rows.length > 60, `only ${rows.length} keys`);
        for (const r of rows) {
            assert.ok(r.node.description, `\`${r.key}\` has no description`);
        }
    });
});

describe("the stack files' JSON Schema", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, stackSchemaFile), "utf8"));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const errorsOf = (file: unknown) =>
        validate(file) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

    /** A stack file holding a configuration, the access key as the CLI stores a secret. */
    function stackFile(values: Record<string, unknown>): unknown {
        const config = Object.fromEntries(
            Object.entries(values).map(([k, v]) => [`backline:${k}`, k === "accessKey" ? { secure: "v1:abc" } : v]),
        );
        return { config: { ...config, "aws:region": "us-west-2" }, encryptionsalt: "v1:x" };
    }

    it("is the one the generator writes", () => {
        assert.deepEqual(schema, stackFileSchema());
    });

    for (const file of ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]) {
        it(`accepts the committed ${file}, which names it in its modeline`, () => {
            const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
            assert.match(text, /^# yaml-language-server: \$schema=\.\/schema\/stack-config\.schema\.json$/m);
            assert.deepEqual(errorsOf(parse(text)), []);
        });
    }

    for (const [name, values] of Object.entries(examples)) {
        it(`accepts the chart's ${name} example`, () => {
            assert.deepEqual(errorsOf(stackFile(values)), []);
        });
    }

    it("accepts what `pulumi config set --path` stores: a number where text is meant, a secret inline kubeconfig", () => {
        const file = stackFile({
            ...examples.noAwsStorage,
            worker: { image: { tag: 123 }, otel: { enabled: false } },
            kubernetes: { kubeconfig: { secure: "v1:abc" } },
        });
        assert.deepEqual(errorsOf(file), []);
    });

    const refused: [string, Record<string, unknown>, RegExp][] = [
        ["an unknown backline key", { ...examples.minimal, namespace: "x" }, /propertyName|must NOT be valid/],
        [
            "a misspelt nested key",
            { ...examples.minimal, worker: { replicas: 2 } },
            /\/config\/backline:worker .*additional properties/,
        ],
        [
            "a pull policy outside its set",
            { ...examples.minimal, worker: { image: { pullPolicy: "always" } } },
            /pullPolicy must be equal to one of the allowed values/,
        ],
        [
            "a negative replica count",
            { ...examples.minimal, worker: { replicaCount: -1 } },
            /replicaCount must be >= 0/,
        ],
        [
            "a boolean that is not one",
            { ...examples.minimal, janitor: { runOnInstall: "yes" } },
            /runOnInstall must be boolean/,
        ],
    ];
    for (const [what, values, message] of refused) {
        it(`refuses ${what}`, () => {
            const errors = errorsOf(stackFile(values));
            assert.ok(
                errors.some((e) => message.test(e)),
                errors.join("\n"),
            );
        });
    }

    it("refuses an access key in plaintext", () => {
        const file = stackFile(examples.minimal) as { config: Record<string, unknown> };
        file.config["backline:accessKey"] = "bk_live_plain";
        assert.ok(
            errorsOf(file).some((e) => /backline:accessKey must be object/.test(e)),
            errorsOf(file).join("\n"),
        );
    });
});
