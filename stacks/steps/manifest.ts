/**
 * Step: the DR manifest — the resolved configuration (objectives, tiers, regions, bucket
 * names) written as a versioned object into tier 1, whence replication copies every version
 * to tier 2 (DR region) and tier 3 (immutable). The recovery commands read it in an incident
 * when the Pulumi state may be out of reach, and the CrossGuard stack rule reads it to
 * compare what the stack declares with the objectives it promises.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MANIFEST_KEY } from "../../components/core/names";
import type { FortressConfig } from "../../config";
import type { StorageOutputs } from "./storage";

export const MANIFEST_SCHEMA_VERSION = 1;

/** The manifest's content: the resolved config without anything secret (there is none in it). */
export function manifestDocument(config: FortressConfig, stack: string): Record<string, unknown> {
    return { schemaVersion: MANIFEST_SCHEMA_VERSION, stack, ...config };
}

export function declareManifest(config: FortressConfig, storage: StorageOutputs, provider: aws.Provider): aws.s3.BucketObjectv2 {
    return new aws.s3.BucketObjectv2(
        "dr-manifest",
        {
            bucket: storage.tier1Bucket.bucketName,
            key: MANIFEST_KEY,
            content: JSON.stringify(manifestDocument(config, pulumi.getStack()), null, 2),
            contentType: "application/json",
            serverSideEncryption: "aws:kms",
            kmsKeyId: storage.tiers.tier1.kmsKeyArn,
            checksumAlgorithm: "SHA256",
        },
        { provider, dependsOn: [storage.tier1Bucket] },
    );
}
