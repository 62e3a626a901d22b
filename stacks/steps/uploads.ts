/**
 * Data class `uploads`: the platform's user uploads bucket.
 *
 * Primary: the bucket in the primary region and its replica in the DR region (S3 Replication
 * Time Control, a replication-latency alarm against `objectives.dataClasses.uploads`).
 * DR: nothing to declare — the replica must exist before a disaster, so the primary owns it;
 * the DR region reads it through the export `uploads`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Uploads } from "../../components/storage/uploads";
import type { FortressConfig } from "../../config";
import type { Providers } from "../providers";
import type { DetectionOutputs } from "./detection";
import { drCopiedBucketArgs, StorageOutputs } from "./storage";

export interface UploadsOutputs {
    readonly bucketName: pulumi.Output<string>;
    readonly replicaBucketName: pulumi.Output<string>;
    /** The writer into the DR copy (S3 replication's role): fenced by `fortress failover`. */
    readonly replicationRoleArn: pulumi.Output<string>;
}

export function declareUploads(config: FortressConfig, providers: Providers, storage: StorageOutputs, detection: DetectionOutputs): UploadsOutputs {
    const uploads = new Uploads(
        "uploads",
        {
            ...drCopiedBucketArgs(config, providers, storage, "uploads"),
            rpoSeconds: config.objectives.dataClasses.uploads.rpoSeconds,
            replicaAlarmTopicArn: detection.alertTopicArns[config.regions.dr],
        },
        { provider: providers.aws.primary },
    );
    return { bucketName: uploads.bucketName, replicaBucketName: uploads.replicaBucketName, replicationRoleArn: uploads.replicationRoleArn };
}
