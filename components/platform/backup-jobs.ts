import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DataClassLabel } from "../core/names";
import { BackupTarget, KEY_SECRET_FIELD, backupCronJobSpec } from "./backup-job";
import type { TierId } from "../../config/vocabulary";

export interface BackupJobsArgs {
    readonly namespace: string;
    readonly jobImage: string;
    /** Script in the job image, e.g. "sealed-secrets-key-backup.sh". */
    readonly script: string;
    /** Data class, the second part of the key prefix: `<tier>/<dataClass>/<subPath>/`. */
    readonly dataClass: DataClassLabel;
    readonly subPath: string;
    /** One cron per tier, from the tier config. */
    readonly schedules: Readonly<Partial<Record<TierId, string>>>;
    readonly targets: Readonly<Partial<Record<TierId, BackupTarget>>>;
    readonly serviceAccountName: string;
    readonly metricsRegion: string;
    readonly env?: { name: string; value: pulumi.Input<string> }[];
    /** Encrypt with this passphrase instead of a new random one (a promoted DR region keeps the primary's). @default new */
    readonly passphrase?: pulumi.Input<string>;
}

/**
 * Scheduled, encrypted backups of one kind to several tiers: a random passphrase in a
 * Kubernetes secret and one CronJob per tier running a script of the job image. The
 * passphrase is exposed (as a secret) for the stack to export: the DR region needs it to
 * open these backups when this cluster is gone.
 */
export class BackupJobs extends pulumi.ComponentResource {
    public readonly passphrase: pulumi.Output<string>;
    public readonly keySecretName: string;

    constructor(name: string, args: BackupJobsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:platform:BackupJobs", name, {}, opts);
        const tiers = Object.keys(args.schedules) as TierId[];
        if (tiers.length === 0) throw new Error(`BackupJobs ${name}: schedules is empty; give the data class's tiers from the stack config`);
        const missing = tiers.filter((t) => !args.targets[t]);
        if (missing.length > 0) throw new Error(`BackupJobs ${name}: no target bucket for ${missing.join(", ")}; pass targets from the storage step`);

        const key = args.passphrase === undefined ? new random.RandomPassword(`${name}-key`, { length: 64, special: false }, { parent: this }).result : pulumi.output(args.passphrase);
        const secret = new k8s.core.v1.Secret(
            `${name}-key`,
            {
                metadata: { name: `${name}-key`, namespace: args.namespace, labels: { "app.kubernetes.io/part-of": "fortress-dr" } },
                stringData: { [KEY_SECRET_FIELD]: pulumi.secret(key) },
            },
            { parent: this },
        );
        for (const tier of tiers) {
            new k8s.batch.v1.CronJob(
                `${name}-${tier}`,
                backupCronJobSpec({
                    name: `${name}-${tier}`,
                    namespace: args.namespace,
                    tier,
                    schedule: args.schedules[tier]!,
                    image: args.jobImage,
                    script: args.script,
                    target: args.targets[tier]!,
                    prefix: `${tier}/${args.dataClass}/${args.subPath}/`,
                    serviceAccountName: args.serviceAccountName,
                    keySecretName: `${name}-key`,
                    metricsRegion: args.metricsRegion,
                    env: args.env,
                    dataClass: args.dataClass,
                }),
                { parent: this, dependsOn: [secret] },
            );
        }
        this.passphrase = pulumi.secret(key);
        this.keySecretName = `${name}-key`;
        this.registerOutputs({ keySecretName: this.keySecretName });
    }
}
