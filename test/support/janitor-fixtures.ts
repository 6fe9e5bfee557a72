/**
 * Fixtures of the janitor's end-to-end cases (test/support/janitor-cases.ts and
 * test/support/janitor-hostile-cases.ts): the SaaS API, secret values (every form of which the
 * suite checks never shows up in output or argv), RFC 3339 times, SaaS answers, the objects the
 * janitor reads and writes, and `JanitorSuite`, the handle through which cases drive one backend.
 */
import { randomBytes } from "node:crypto";

import { EndpointBehaviour, FakeSaas, RecordedRequest } from "./fake-saas";
import { JanitorRun, KubeBackend, KubeObject, KubeWrite, StoredObject } from "./kube-backend";

export const ACCESS_KEY = `bk_live_${randomBytes(9).toString("hex")}`;
export const API = {
    token: { method: "POST", path: "/api/v1/onprem/token" },
    registry: { method: "GET", path: "/api/v1/onprem/registry-credentials" },
    image: { method: "GET", path: "/api/v1/onprem/worker-image" },
} as const;
export type Step = keyof typeof API;
export const STEPS: Step[] = ["token", "registry", "image"];
export const REQUIRED_FIELDS: Record<Step, string[]> = {
    token: ["token", "expiresAt"],
    registry: ["registry", "username", "password", "expiresAt"],
    image: ["image"],
};
export const REGISTRY = "580550010989.dkr.ecr.us-west-1.amazonaws.com";
export const IMAGE_A = `${REGISTRY}/prod-worker:2faf8c5-1757332651`;
export const IMAGE_B = `${REGISTRY}/prod-worker:3b0d9e1-1764072000`;
export const IMAGE_C = `${REGISTRY}/prod-worker@sha256:${"0123456789abcdef".repeat(4)}`;
export const SIDECAR = { name: "adot-collector", image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2" };
export const OBJECTS = [
    ["Secret", "jwt-token"],
    ["Secret", "dockerconfig"],
    ["Deployment", "worker"],
] as const;

// --- secret values and their derived forms: none may ever show up in output or argv ----------
export const SECRETS = new Set<string>([ACCESS_KEY]);
export const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
export const unb64 = (s: string): string => Buffer.from(s, "base64").toString("utf8");
let serial = 0;
export function secretValue(label: string): string {
    const value = `${label}-${++serial}-${randomBytes(8).toString("hex")}`;
    addSecret(value);
    return value;
}
/** Records a secret in each form the janitor gives it or an error may echo it in: as is, base64, JSON-escaped (twice). */
export function addSecret(value: string): void {
    const escaped = JSON.stringify(value).slice(1, -1);
    for (const form of [value, b64(value), escaped, JSON.stringify(escaped).slice(1, -1)]) SECRETS.add(form);
}

// --- times ---------------------------------------------------------------------------------
const pad = (n: number): string => String(n).padStart(2, "0");
/** RFC 3339 time `secondsFromNow` ahead, written with a UTC offset (minutes) and a fraction. */
export function at(secondsFromNow: number, opts: { offsetMinutes?: number; fraction?: string } = {}): string {
    const epoch = Math.floor(Date.now() / 1000) + secondsFromNow;
    const off = opts.offsetMinutes;
    const wall = new Date((epoch + (off ?? 0) * 60) * 1000).toISOString().slice(0, 19);
    const zone =
        off === undefined
            ? "Z"
            : `${off < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
    return `${wall}${opts.fraction ?? ""}${zone}`;
}
export const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

// --- SaaS answers and the objects the janitor writes ----------------------------------------
export interface TokenAnswer {
    token: string;
    expiresAt: string;
}
export interface RegistryAnswer {
    registry: string;
    username: string;
    password: string;
    expiresAt: string;
}
export function tokenAnswer(expiresAt = at(3600)): TokenAnswer {
    return { token: secretValue("jwt"), expiresAt };
}
export function dockerConfigJson(a: RegistryAnswer): string {
    return JSON.stringify({
        auths: {
            [a.registry]: { username: a.username, password: a.password, auth: b64(`${a.username}:${a.password}`) },
        },
    });
}
export function registryAnswer(expiresAt = at(3600)): RegistryAnswer {
    const a = { registry: REGISTRY, username: "AWS", password: secretValue("pw"), expiresAt };
    SECRETS.add(b64(`${a.username}:${a.password}`));
    SECRETS.add(b64(dockerConfigJson(a)));
    return a;
}
export const MANAGED = { "app.kubernetes.io/managed-by": "backline-janitor" };
/** `expiresAt: null` leaves the annotation out. */
export function tokenSecret(a: TokenAnswer, expiresAt: string | null = a.expiresAt, name = "jwt-token"): KubeObject {
    return {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: {
            name,
            labels: MANAGED,
            annotations: expiresAt === null ? {} : { "backline.ai/expires-at": expiresAt },
        },
        data: { token: b64(a.token) },
    };
}
export function registrySecret(
    a: RegistryAnswer,
    expiresAt: string | null = a.expiresAt,
    name = "dockerconfig",
): KubeObject {
    return {
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/dockerconfigjson",
        metadata: {
            name,
            labels: MANAGED,
            annotations: expiresAt === null ? {} : { "backline.ai/expires-at": expiresAt },
        },
        data: { ".dockerconfigjson": b64(dockerConfigJson(a)) },
    };
}
export function workerDeployment(image: string, name = "worker", container = "worker"): KubeObject {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, labels: { "app.kubernetes.io/name": name }, generation: 1 },
        spec: {
            replicas: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: {
                metadata: { labels: { "app.kubernetes.io/name": name } },
                spec: {
                    imagePullSecrets: [{ name: "dockerconfig" }],
                    containers: [{ name: container, image, ports: [{ containerPort: 8080 }] }, SIDECAR],
                },
            },
        },
    };
}
export function containerImage(d: StoredObject | undefined, container = "worker"): string | undefined {
    const spec = d?.object.spec as
        { template: { spec: { containers: { name: string; image: string }[] } } } | undefined;
    return spec?.template.spec.containers.find((c) => c.name === container)?.image;
}
export const dataOf = (s: StoredObject | undefined): Record<string, string> =>
    ((s?.object as { data?: Record<string, string> } | undefined)?.data ?? {}) as Record<string, string>;

export interface Run extends JanitorRun {
    stdoutLines: string[];
    stderrLines: string[];
    writes: KubeWrite[];
    calls: string[][] | undefined;
    requests: RecordedRequest[];
}
export const show = (r: JanitorRun): string => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

/** One registered suite (one backend): what the cases use to seed, answer, run and check. */
export interface JanitorSuite {
    readonly saas: FakeSaas;
    readonly kube: KubeBackend;
    /** Sets what one endpoint answers. */
    answer(step: Step, behaviour: EndpointBehaviour): void;
    /** `METHOD BASE/PATH` of a step as a regular expression source (base: a regex source too). */
    url(step: Step, base?: string): string;
    /** Runs the script and checks the invariants that hold for every run. */
    run(extraEnv?: Record<string, string | undefined>): Promise<Run>;
    snapshot(): Promise<Map<string, StoredObject | undefined>>;
    assertUnchanged(before: Map<string, StoredObject | undefined>, keys?: string[]): Promise<void>;
    /** Both secrets fresh for 2 h, the worker running `image`. */
    seedFresh(image?: string): Promise<{ token: TokenAnswer; registry: RegistryAnswer }>;
    /** Every step would write if the SaaS answered: both secrets expire in 2 min, worker on IMAGE_A. */
    seedStale(): Promise<void>;
}
