/**
 * Data class `secrets`: the Sealed Secrets controller's sealing keys and Vault. Primary and DR
 * halves side by side; the schedules are `tiers.secrets`.
 *
 * Primary: Sealed Secrets with its key backups to tier 2 and tier 3, and (when
 * `platform.vault.enabled`) Vault's auto-unseal key with its DR replica and the Raft snapshots.
 * DR: Sealed Secrets started on the primary's sealing keys, read from the tier the plan
 * restores from with the DR cluster's reader role; once promoted it backs its keys up to tier
 * 2 and tier 3 again, with the primary's passphrase (one key opens every backup under a
 * prefix, whichever region wrote it). Vault's DR half is the primary's: the unseal key's
 * replica in the DR region and the exports `vault` and `backupPassphrases.vault`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT } from "../../components/core/names";
import { SealedSecrets, SealedSecretsArgs, VaultDr } from "../../components/platform";
import { FortressConfig, RemoteTierId, tierRegion } from "../../config";
import type { Providers } from "../providers";
import type { DrBackupIdentity, DrDataSources, PrimaryBackupIdentity } from "./backup-identity";
import type { DetectionOutputs } from "./detection";
import { accountRoleArn, StorageOutputs } from "./storage";

/** The controller's chart and where its key-backup jobs run: the same in both regions. */
function sealedSecretsRelease(config: FortressConfig): Pick<SealedSecretsArgs, "chartVersion" | "namespace" | "jobNamespace" | "jobServiceAccount" | "jobImage"> {
    return {
        chartVersion: config.platform.sealedSecrets.chartVersion,
        namespace: config.platform.sealedSecrets.namespace,
        jobNamespace: config.kubernetes.namespace,
        jobServiceAccount: BACKUP_JOB_SERVICE_ACCOUNT,
        jobImage: config.jobImage,
    };
}

function secretsSchedules(config: FortressConfig): Record<RemoteTierId, string> {
    return { tier2: config.tiers.secrets.tier2.snapshot, tier3: config.tiers.secrets.tier3.snapshot };
}

// --- primary ------------------------------------------------------------------------------------

export interface SecretsOutputs {
    /** Passphrase of the encrypted sealing-key backups (secret). */
    readonly sealedSecretsPassphrase: pulumi.Output<string>;
    readonly vault?: VaultDr;
}

export function declareSecrets(
    config: FortressConfig,
    providers: Providers,
    cluster: k8s.Provider,
    storage: StorageOutputs,
    detection: DetectionOutputs,
    identity: PrimaryBackupIdentity,
): SecretsOutputs {
    const metricsRegion = detection.monitoringRegion;
    const sealed = new SealedSecrets(
        "sealed-secrets",
        { ...sealedSecretsRelease(config), schedules: secretsSchedules(config), targets: identity.targets(["tier2", "tier3"]), metricsRegion },
        { provider: cluster, dependsOn: [identity.serviceAccount] },
    );
    const vault = config.platform.vault.enabled ? declareVault(config, providers, cluster, storage, metricsRegion, identity) : undefined;
    return { sealedSecretsPassphrase: sealed.backupPassphrase, vault };
}

function declareVault(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, metricsRegion: string, identity: PrimaryBackupIdentity): VaultDr {
    const { regions } = config;
    const v = config.platform.vault;
    return new VaultDr(
        "vault",
        {
            accountId: storage.accountId,
            adminRoleArns: [accountRoleArn(storage.accountId, config.aws.deployRoleName)],
            replicas: { [regions.dr]: providers.aws.dr },
            primaryRegion: regions.primary,
            metricsRegion,
            oidcIssuer: config.kubernetes.oidcProvider!,
            vaultNamespace: v.namespace,
            vaultServiceAccount: v.serviceAccount,
            vaultAddress: v.address,
            snapshotRole: v.snapshotRole,
            jobNamespace: config.kubernetes.namespace,
            jobServiceAccount: BACKUP_JOB_SERVICE_ACCOUNT,
            jobImage: config.jobImage,
            schedules: secretsSchedules(config),
            targets: identity.targets(["tier2", "tier3"]),
            protect: config.environment === "prod",
        },
        { providers: [cluster, providers.aws.primary], dependsOn: [identity.serviceAccount] },
    );
}

// --- DR -----------------------------------------------------------------------------------------

export function sealedKeyPrefixes(tier: RemoteTierId): string[] {
    return [`${tier}/secrets/sealed-secrets`];
}

/** What the DR region's Sealed Secrets does in this mode, for the plan. */
export function describeDrSecrets(restoreTier: RemoteTierId, promoted: boolean): string {
    return `Sealed Secrets started on the primary's sealing keys from ${sealedKeyPrefixes(restoreTier).join(", ")}${promoted ? ", key backups to tier2/tier3" : ""}`;
}

/** Sealed Secrets started on the primary's sealing keys; once promoted, backing its keys up again. */
export function declareDrSecrets(config: FortressConfig, src: DrDataSources, identity: DrBackupIdentity, cluster: k8s.Provider, dependsOn: pulumi.Resource[]): SealedSecrets {
    const writers = identity.writers;
    const restoreTier = identity.restoreTier;
    const passphrase = () => pulumi.secret(src.backupPassphrases.apply((p) => p.sealedSecrets));
    return new SealedSecrets(
        "sealed-secrets",
        {
            ...sealedSecretsRelease(config),
            schedules: writers ? secretsSchedules(config) : {},
            targets: writers ?? {},
            metricsRegion: config.regions.dr,
            backupPassphrase: passphrase(),
            restoreKeys: {
                bucketName: src.tiers.apply((x) => x[restoreTier].bucketName),
                region: tierRegion(config.regions, restoreTier),
                prefixes: sealedKeyPrefixes(restoreTier),
                readerRoleArn: identity.readerRoleArn,
                passphrase: passphrase(),
            },
        },
        { provider: cluster, dependsOn: [...dependsOn, identity.serviceAccount] },
    );
}
