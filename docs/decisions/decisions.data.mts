/** Every record in docs/decisions/, for the index page: the list grows as records are added. */
import { createContentLoader } from "vitepress";

export interface Decision {
    readonly url: string;
    readonly title: string;
}

declare const data: Decision[];
export { data };

export default createContentLoader("decisions/[0-9]*.md", {
    includeSrc: true,
    transform(raw): Decision[] {
        return raw
            .map((page) => ({
                url: page.url,
                title: /^#\s+(.+)$/m.exec(page.src ?? "")?.[1] ?? page.url,
            }))
            .sort((a, b) => a.url.localeCompare(b.url));
    },
});
