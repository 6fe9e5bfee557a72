import { strict as assert } from "assert";

/**
 * The fenced bash block of a documentation page between `<!-- <name>:start -->` and
 * `<!-- <name>:end -->`: the walk-throughs the end-to-end tests run as written.
 */
export function pageBlock(page: string, name: string, file: string): string {
    const start = page.indexOf(`<!-- ${name}:start -->`);
    const end = page.indexOf(`<!-- ${name}:end -->`);
    assert.ok(start >= 0 && end > start, `${file} has no ${name} block`);
    const fenced = /```bash\n([\s\S]*?)```/.exec(page.slice(start, end));
    assert.ok(fenced, `the ${name} block of ${file} holds no bash code`);
    return fenced[1];
}
