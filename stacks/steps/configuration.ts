/**
 * Data class `configuration`: the Kubernetes objects, backed up by Velero. Primary and DR
 * halves side by side; the schedules are `tiers.configuration`.
 *
 * Primary: Velero writing tier 2 (daily) and tier 3 (weekly), with the backup-age reporting.
 * DR: Velero reading tier 2 and tier 3 through the DR cluster's own IRSA role, read-only until
 * promoted; once promoted it writes both tiers on the primary's schedules with the DR
 * cluster's writer roles (backup-identity.ts).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT } from "../../components/core/names";
import { Velero, VeleroArgs } from "../../components/platform";
import { FortressConfig, RemoteTierId, tierRegion } from "../../config";
import type { Providers } from "../providers";
import type { DrBackupIdentity, DrDataSources } from "./backup-identity";
import type { DetectionOutputs } from "./detection";
import type { StorageOutputs } from "./storage";

/** Velero's chart and images from the stack config: the same in both regions. */
function veleroRelease(config: FortressConfig): Pick<VeleroArgs, "chartVersion" | "image" | "awsPluginImage"> {
    const v = config.platform.velero;
    return { chartVersion: v.chartVersion, image: v.image, awsPluginImage: v.awsPluginImage };
}

/** Velero's schedules on both remote tiers: `tiers.configuration`. */
function veleroSchedules(config: FortressConfig): NonNullable<VeleroArgs["schedules"]> {
    return { tier2: config.tiers.configuration.tier2, tier3: config.tiers.configuration.tier3 };
}

// --- primary ------------------------------------------------------------------------------------

export function declareConfigurationBackups(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, detection: DetectionOutputs): Velero {
    const location = (t: RemoteTierId) => ({ bucketName: storage.tiers[t].bucketName, bucketArn: storage.tiers[t].bucketArn, region: storage.tiers[t].region, kmsKeyArn: storage.tiers[t].kmsKeyArn });
    return new Velero(
        "velero",
        {
            ...veleroRelease(config),
            oidcIssuer: config.kubernetes.oidcProvider!,
            accountId: storage.accountId,
            locations: { tier2: location("tier2"), tier3: location("tier3") },
            schedules: veleroSchedules(config),
            ageReporting: {
                namespace: config.kubernetes.namespace,
                jobImage: config.jobImage,
                serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
                metricsRegion: detection.monitoringRegion,
                roleArns: { tier2: storage.tiers.tier2.writerRoleArn, tier3: storage.tiers.tier3.writerRoleArn },
            },
        },
        { providers: [cluster, providers.aws.primary] },
    );
}

// --- DR -----------------------------------------------------------------------------------------

/** What the DR region's Velero does in this mode, for the plan. */
export function describeDrConfiguration(config: FortressConfig, promoted: boolean): string {
    const c = config.tiers.configuration;
    return promoted ? `Velero writing tier2/tier3 (schedules ${c.tier2.snapshot}, ${c.tier3.snapshot})` : `Velero read-only on tier2/tier3 (no schedules)`;
}

/** Velero in the DR cluster: read-only on tier 2 and tier 3 until promoted, then writing both. */
export function declareDrConfiguration(
    config: FortressConfig,
    src: DrDataSources,
    identity: DrBackupIdentity,
    cluster: k8s.Provider,
    drAws: aws.Provider,
    oidcIssuer: pulumi.Input<string>,
    dependsOn: pulumi.Resource[],
): Velero {
    const writers = identity.writers;
    const location = (t: RemoteTierId) => ({
        bucketName: src.tiers.apply((x) => x[t].bucketName),
        bucketArn: src.tiers.apply((x) => `arn:aws:s3:::${x[t].bucketName}`),
        region: tierRegion(config.regions, t),
        kmsKeyArn: src.tiers.apply((x) => x[t].kmsKeyArn),
    });
    return new Velero(
        "velero",
        {
            ...veleroRelease(config),
            oidcIssuer,
            accountId: aws.getCallerIdentityOutput({}, { provider: drAws }).accountId,
            locations: { tier2: location("tier2"), tier3: location("tier3") },
            ...(writers
                ? {
                      schedules: veleroSchedules(config),
                      ageReporting: {
                          namespace: config.kubernetes.namespace,
                          jobImage: config.jobImage,
                          serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
                          metricsRegion: config.regions.dr,
                          roleArns: { tier2: writers.tier2.writerRoleArn, tier3: writers.tier3.writerRoleArn },
                      },
                  }
                : { readOnly: true }),
        },
        { providers: [cluster, drAws], dependsOn },
    );
}
