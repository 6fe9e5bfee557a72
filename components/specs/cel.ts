/**
 * CEL literals for the admission policy's expressions (`admission.ts`, `admission-workloads.ts`).
 * The values come from the configuration and the model; quoting them here means no name can
 * change an expression's meaning.
 */

/** A CEL string literal. Names reaching here are DNS-1123 names or label values, but quote them properly anyway. */
export function celString(text: string): string {
    return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export function celList(items: readonly string[]): string {
    return `[${items.map(celString).join(", ")}]`;
}

/** CEL: the map `map` holds every pair of `labels` (how a selector matches a pod). */
export function celHasAllLabels(map: string, labels: Readonly<Record<string, string>>): string {
    return Object.entries(labels)
        .map(([k, v]) => `${celString(k)} in ${map} && ${map}[${celString(k)}] == ${celString(v)}`)
        .join(" && ");
}

/** Pairs as `kubectl -l` writes them: `k=v, k2=v2`. */
export function labelPairs(labels: Readonly<Record<string, string>>): string {
    return Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
}
