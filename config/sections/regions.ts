/**
 * Section `regions`: the primary, DR and tier-3 AWS regions (config/vocabulary.ts `tierRegion`
 * says which tier lives where).
 */
import { z } from "zod";
import { awsRegion } from "../fields";

export const regionsSection = z.strictObject({
    primary: awsRegion,
    dr: awsRegion,
    /** Third AWS region: tier 3 (S3 Object Lock). */
    tier3: awsRegion,
});
