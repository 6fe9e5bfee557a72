#!/usr/bin/env bash
# npm run build (and `npm pack`, through `prepack`): compiles the program, the components, the
# Automation API and Backline's policy pack into dist/ (JavaScript and declarations,
# tsconfig.build.json), so the installed package runs without ts-node.
#
# dist/policy is the policy pack as the installed package ships it: the compiled pack, its
# package.json (PolicyPack reads its version there) pointing at index.js, PulumiPolicy.yaml (the
# folder form) and the `analyzer` launcher (the executable form, docs/operate/policies.md). Its dependencies (@pulumi/policy, @pulumi/pulumi) are the package's own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json

find dist/policy -name '*.d.ts' -delete
cp policy/PulumiPolicy.yaml dist/policy/PulumiPolicy.yaml
install -m 0755 policy/analyzer dist/policy/analyzer
node -e '
const pkg = require("./policy/package.json");
const out = { name: pkg.name, version: pkg.version, description: pkg.description, private: true, license: pkg.license, main: "index.js" };
process.stdout.write(JSON.stringify(out, null, 4) + "\n");
' >dist/policy/package.json

# dist/provider: the component provider as the installed package ships it, its launcher next to the
# compiled entry (which it runs as it is); the schema it serves is provider/schema.json of the package.
find dist/provider -name '*.d.ts' -delete
install -m 0755 provider/pulumi-resource-backline dist/provider/pulumi-resource-backline
