/**
 * Backline's policy pack. Run it with a preview or an update:
 *
 *     pulumi preview --policy-pack policy           # a standard Pulumi install
 *     pulumi preview --policy-pack policy/analyzer  # engines whose language host cannot run packs (README)
 *
 * Constructing the pack starts the analyzer's gRPC server, so nothing else imports this file.
 */
// First: makes `@pulumi/policy`'s import of the SDK cheap (the pack's start is on every preview's path).
import "./src/lazy-sdk";
import { PolicyPack } from "@pulumi/policy";
import { backlinePolicies } from "./src/policies";

new PolicyPack("backline", {
    description:
        "Backline's invariants: Pod Security, namespaced RBAC and admission policies, the access key in a Secret, encrypted and closed storage, a scoped collector role.",
    enforcementLevel: "mandatory",
    policies: backlinePolicies,
});
