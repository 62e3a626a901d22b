/**
 * Data class `logs`: the audit log archive (CloudTrail with S3 data events on the backup
 * tiers, and the S3 access logs of every region), locked for `storage.complianceRetentionDays`.
 *
 * Primary: the archive bucket, its DR-region copy (replication-latency alarm against
 * `objectives.dataClasses.logs`) and the trail. DR: nothing to declare — the copy must exist
 * before a disaster, so the primary owns it; the DR side reads the export `logArchive`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketName } from "../../components/core/names";
import { LogArchive } from "../../components/storage/log-archive";
import type { FortressConfig } from "../../config";
import type { Providers } from "../providers";
import type { DetectionOutputs } from "./detection";
import { accountRoleArn, StorageOutputs } from "./storage";

export interface LogsOutputs {
    readonly bucketName: pulumi.Output<string>;
    readonly trailArn: pulumi.Output<string>;
}

export function declareLogs(config: FortressConfig, providers: Providers, storage: StorageOutputs, detection: DetectionOutputs): LogsOutputs {
    const { regions, environment, namePrefix } = config;
    const providerOf: Record<string, aws.Provider> = { [regions.primary]: providers.aws.primary, [regions.dr]: providers.aws.dr, [regions.tier3]: providers.aws.tier3 };
    const logArchive = new LogArchive(
        "log-archive",
        {
            bucketName: bucketName(namePrefix, environment, "log-archive", regions.primary),
            region: regions.primary,
            accountId: storage.accountId,
            adminRoleArns: [accountRoleArn(storage.accountId, config.aws.deployRoleName)],
            replica: {
                bucketName: bucketName(namePrefix, environment, "log-archive", regions.dr),
                region: regions.dr,
                provider: providers.aws.dr,
                rpoSeconds: config.objectives.dataClasses.logs.rpoSeconds,
                alarmTopicArn: detection.alertTopicArns[regions.dr],
            },
            retentionDays: config.storage.complianceRetentionDays,
            // The mode tier 3 uses: COMPLIANCE wherever the schema requires it (staging, prod).
            lockMode: config.storage.tier3.objectLock.mode,
            breakGlassRoleArn: accountRoleArn(storage.accountId, config.aws.breakGlassRoleName),
            trailName: `${namePrefix}-${environment}`,
            dataEventBucketArns: (["tier1", "tier2", "tier3"] as const).map((t) => storage.tiers[t].bucketArn),
            accessLogSources: Object.entries(storage.accessLogBuckets).map(([region, b]) => ({ bucketName: b.bucketName, bucketArn: b.arn, provider: providerOf[region], dependsOn: [b] })),
            protect: environment === "prod",
        },
        { provider: providers.aws.primary },
    );
    return { bucketName: logArchive.bucketName, trailArn: logArchive.trailArn };
}
