/**
 * Every policy of the Backline pack, mandatory first. `index.ts` serves them; tests import them
 * from here (importing `index.ts` would start the analyzer's gRPC server).
 */
import type { Policies } from "@pulumi/policy";
import { admissionPolicyNamespaced, workerJobsAdmission } from "./admission";
import { containerResources, imagesPinnedByDigest, pdbForReplicatedWorkloads } from "./advisory";
import { collectorPolicyScoped, collectorTrustConditions, efsEncrypted, nfsNotOpen } from "./aws";
import {
    accessKeyFromSecretRef,
    accessKeyOnlyInSecret,
    janitorRoleScope,
    namespaceEnforcesRestricted,
    noClusterRbac,
    podSecurityRestricted,
    secretWritesNamed,
    storageClassRetains,
} from "./kubernetes";
import { workerJobsDeleteAdmission, workerSelectorExclusive } from "./stack-workloads";

export const backlinePolicies: Policies = [
    podSecurityRestricted,
    namespaceEnforcesRestricted,
    noClusterRbac,
    admissionPolicyNamespaced,
    workerSelectorExclusive,
    secretWritesNamed,
    janitorRoleScope,
    accessKeyFromSecretRef,
    accessKeyOnlyInSecret,
    storageClassRetains,
    efsEncrypted,
    nfsNotOpen,
    collectorTrustConditions,
    collectorPolicyScoped,
    imagesPinnedByDigest,
    containerResources,
    pdbForReplicatedWorkloads,
    workerJobsAdmission,
    workerJobsDeleteAdmission,
];
