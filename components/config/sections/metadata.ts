/**
 * `commonLabels` and `commonAnnotations`: metadata on every object and pod the stack makes.
 */
import { metadataMap } from "../shapes";

export const commonLabels = metadataMap("label")
    .prefault({})
    .describe("Labels on every object and pod the stack makes.");

export const commonAnnotations = metadataMap("annotation")
    .prefault({})
    .describe("Annotations on every object and pod the stack makes.");
