/**
 * The primary stack: everything that must exist before a disaster, in every region it
 * touches. It never reads the DR stack; the DR stack reads these exports (stacks/contract.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { existingClusterProvider, providers as makeProviders } from "./providers";
import type { FortressConfig } from "../config";
import type { PrimaryExports } from "./contract";
import { declareBackupIdentity } from "./steps/backup-identity";
import { declareCache } from "./steps/cache";
import { declareConfigurationBackups } from "./steps/configuration";
import { declareDatabase, declareIntegrityWatch } from "./steps/database";
import { declareDetection } from "./steps/detection";
import { declareErasureLedger } from "./steps/erasure-ledger";
import { declareLogs } from "./steps/logs";
import { declareManifest } from "./steps/manifest";
import { declareSecrets } from "./steps/secrets";
import { declareUploads } from "./steps/uploads";
import { declareRuntimeDetection } from "./steps/runtime-detection";
import { declareRecoveryTests } from "./steps/recovery-tests";
import { declareSlo } from "./steps/slo";
import { declareStorage } from "./steps/storage";
import { declareWorkloads } from "./steps/workloads";

export async function primary(config: FortressConfig, kubeconfig?: pulumi.Output<string>): Promise<PrimaryExports> {
    const providers = makeProviders(config);
    const storage = declareStorage(config, providers);
    declareManifest(config, storage, providers.aws.primary);
    const detection = declareDetection(config, providers, storage.accountId);
    // The primary cluster's provider: steps that declare Kubernetes objects share this one.
    const cluster = existingClusterProvider("primary-cluster", config, kubeconfig);
    declareWorkloads(config, cluster);
    // One step per data class (config/vocabulary.ts DATA_CLASSES); each file holds its DR half too.
    const backupIdentity = declareBackupIdentity(config, providers, cluster, storage);
    const cache = declareCache(config, providers, cluster, storage, detection, backupIdentity);
    declareConfigurationBackups(config, providers, cluster, storage, detection);
    const secrets = declareSecrets(config, providers, cluster, storage, detection, backupIdentity);
    const uploads = declareUploads(config, providers, storage, detection);
    const logArchive = declareLogs(config, providers, storage, detection);
    const database = declareDatabase(config, providers, cluster, storage, detection);
    declareIntegrityWatch(config, providers, cluster, storage, detection);
    declareRuntimeDetection(config, providers, cluster, storage, detection);
    const slo = declareSlo(config, providers, cluster, storage, detection, logArchive, database.alarms);
    const erasureLedger = declareErasureLedger(config, providers, storage, detection);
    declareRecoveryTests(config, providers, cluster, storage, database.scratchReaderRoleArn);

    return {
        environment: config.environment,
        regions: config.regions,
        tiers: storage.tiers,
        gcsTier3Bucket: storage.gcsBucketName,
        monitoring: {
            region: detection.monitoringRegion,
            alarmNamePrefix: detection.alarmNamePrefix,
            alertTopicArn: detection.alertTopicArns[detection.monitoringRegion],
            dashboardName: slo.dashboardName,
        },
        endpoints: detection.endpoints,
        // The DR region opens the encrypted Redis, sealing-key and Vault backups with these.
        backupPassphrases: { redis: cache.snapshotPassphrase, sealedSecrets: secrets.sealedSecretsPassphrase, vault: secrets.vault?.backupPassphrase ?? pulumi.secret("") },
        vault: secrets.vault && { unsealKeyArn: secrets.vault.unsealKeyArn, unsealReplicaArns: secrets.vault.unsealReplicaArns, sealStanza: secrets.vault.sealStanza },
        uploads,
        logArchive,
        // GDPR Art. 17: where the DR region's replay reads the erasure ledger (absent without an erasure section).
        ...(erasureLedger ? { erasureLedger: { bucketName: erasureLedger.bucketName, replicaBucketName: erasureLedger.replicaBucketName, readerRoleArn: erasureLedger.readerRoleArn } } : {}),
        // The DR standby opens repo2/repo3 with these and streams with the shared certificates.
        postgres: { cipherPassphrases: database.cipherPassphrases, replicationTls: database.replicationTls },
        // fortress restore/dr-test (platform driver) annotate the scratch cluster's service accounts with it.
        scratchRestore: { readerRoleArn: database.scratchReaderRoleArn },
        // fortress failover denies these writers the tier-2 and tier-3 buckets and the uploads' DR copy (DR stack output failoverFence).
        failoverFence: { principals: [database.repoWriterRoleArn, storage.tiers.tier2.writerRoleArn, storage.tiers.tier3.writerRoleArn, storage.replicationRoleArn, uploads.replicationRoleArn] },
    };
}
