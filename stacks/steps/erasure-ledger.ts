/**
 * Step: the GDPR erasure ledger (issue 15) — declared when the stack config has an `erasure`
 * section. Its own Object Lock bucket in the primary region beside the log archive, a copy in
 * the DR region, the application's appender role and the restore jobs' reader role
 * (components/compliance/erasure-ledger.ts; docs/erasure.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { ErasureLedger } from "../../components/compliance/erasure-ledger";
import { RESTORE_JOB_SERVICE_ACCOUNT } from "../../components/core/names";
import { longestRetentionDays } from "../../config";
import type { FortressConfig } from "../../config";
import { TIERS } from "../../config/vocabulary";
import type { Providers } from "../providers";
import type { DetectionOutputs } from "./detection";
import { drCopiedBucketArgs, StorageOutputs } from "./storage";

export interface ErasureLedgerOutputs {
    readonly bucketName: pulumi.Output<string>;
    readonly replicaBucketName: pulumi.Output<string>;
    readonly readerRoleArn: pulumi.Output<string>;
    readonly appenderRoleArn: pulumi.Output<string>;
}

export function declareErasureLedger(config: FortressConfig, providers: Providers, storage: StorageOutputs, detection: DetectionOutputs): ErasureLedgerOutputs | undefined {
    const e = config.erasure;
    if (!e) return undefined;
    const { regions } = config;
    const ledger = new ErasureLedger(
        "erasure-ledger",
        {
            ...drCopiedBucketArgs(config, providers, storage, "erasure-ledger"),
            retentionDays: config.storage.complianceRetentionDays,
            // Every backup that may hold personal data: each tier's longest retention, and the compliance archives.
            longestBackupRetentionDays: Math.max(...TIERS.map((t) => longestRetentionDays(config.tiers, t))),
            lockMode: config.storage.tier3.objectLock.mode,
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider!,
            appender: { namespace: e.ledger.appenderNamespace ?? config.kubernetes.namespace, serviceAccounts: e.ledger.appenderServiceAccounts },
            reader: { namespace: config.kubernetes.namespace, serviceAccounts: [RESTORE_JOB_SERVICE_ACCOUNT] },
            replicaAlarmTopicArn: detection.alertTopicArns[regions.dr],
            replicaRpoSeconds: config.objectives.dataClasses.logs.rpoSeconds,
        },
        { provider: providers.aws.primary },
    );
    return { bucketName: ledger.bucketName, replicaBucketName: ledger.replicaBucketName, readerRoleArn: ledger.readerRoleArn, appenderRoleArn: ledger.appenderRoleArn };
}
