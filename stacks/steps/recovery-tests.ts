/**
 * Primary step: the scheduled recovery tests (R-TEST-WEEKLY, R-TEST-MONTHLY): the CLI's stack
 * file and outputs as ConfigMaps, the drill's IRSA role and the CronJobs
 * (components/recovery/recovery-tests.ts). Schedules: config section `recoveryTests`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../../components/core/irsa-role";
import { TAG_KEYS } from "../../components/core/tags";
import { BACKUP_SLO_NAMESPACE } from "../../components/detection/slo";
import { declareCliStackFiles } from "../../components/recovery/cli-pod";
import { recoveryTestPolicy } from "../../components/recovery/recovery-test-policy";
import { RECOVERY_TEST_SERVICE_ACCOUNT, RecoveryTests, ScheduledDrill } from "../../components/recovery/recovery-tests";
import { TIERS } from "../../config/vocabulary";
import type { FortressConfig } from "../../config";
import type { Providers } from "../providers";
import { CLI_AUDIT_PREFIX } from "./slo";
import type { StorageOutputs } from "./storage";

/** The weekly service recovery test (tier 1) and the monthly one (tier 2, the DR region's copy). */
export function scheduledDrills(config: FortressConfig): ScheduledDrill[] {
    return [
        { id: "weekly", schedule: config.recoveryTests.weeklySchedule, tier: "tier1", into: "drill-weekly" },
        { id: "monthly", schedule: config.recoveryTests.monthlySchedule, tier: "tier2", into: "drill-monthly" },
    ];
}

export function declareRecoveryTests(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, scratchReaderRoleArn: pulumi.Output<string>): RecoveryTests {
    const ns = config.kubernetes.namespace;
    const stack = pulumi.getStack();
    const tiers = TIERS.map((t) => storage.tiers[t]);
    const tier3 = storage.tiers.tier3;
    declareCliStackFiles(
        "recovery-test",
        {
            namespace: ns,
            stack,
            config: pulumi.runtime.allConfig(),
            outputs: { tiers: Object.fromEntries(TIERS.map((t) => [t, { bucketName: storage.tiers[t].bucketName, region: storage.tiers[t].region }])), scratchRestore: { readerRoleArn: scratchReaderRoleArn } },
            labels: { "app.kubernetes.io/part-of": "fortress-dr" },
        },
        { provider: cluster },
    );
    const role = new IrsaRole(
        "recovery-test",
        {
            description: "Fortress DR: scheduled recovery tests (fortress dr-test): read the tiers, write the audit records, publish the recovery runs",
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider!,
            namespace: ns,
            serviceAccounts: [RECOVERY_TEST_SERVICE_ACCOUNT],
            tags: { [TAG_KEYS.purpose]: "recovery-test" },
            policy: pulumi
                .all([pulumi.all(tiers.map((t) => pulumi.all([t.bucketArn, t.kmsKeyArn]))), tier3.bucketArn, tier3.kmsKeyArn])
                .apply(([ts, bucketArn, kmsKeyArn]) =>
                    JSON.stringify(
                        recoveryTestPolicy({ tiers: ts.map(([b, k]) => ({ bucketArn: b, kmsKeyArn: k })), audit: { bucketArn, kmsKeyArn, prefix: `${CLI_AUDIT_PREFIX}/${stack}` }, metricsNamespace: BACKUP_SLO_NAMESPACE }),
                    ),
                ),
        },
        { provider: providers.aws.primary },
    );
    return new RecoveryTests("recovery-tests", { namespace: ns, stack, cliImage: config.cliImage, roleArn: role.arn, drills: scheduledDrills(config) }, { provider: cluster });
}
