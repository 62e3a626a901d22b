import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DataClassLabel } from "../core/names";
import { BackupCronJobOptions, BackupTarget, KEY_SECRET_FIELD, backupCronJobSpec } from "./backup-job";
import type { TierId } from "../../config/vocabulary";

/** Where a set of backup jobs runs, and where each tier's backups go. */
export interface ScheduledBackups {
    readonly namespace: string;
    /** The backup-job image (jobs/Dockerfile), from the stack config `jobImage`. */
    readonly jobImage: string;
    /** One cron per tier, from the data class's tier config. */
    readonly schedules: Readonly<Partial<Record<TierId, string>>>;
    /** The tier buckets and writer roles, from the storage step. */
    readonly targets: Readonly<Partial<Record<TierId, BackupTarget>>>;
    readonly serviceAccountName: string;
    /** Region of the backup-age and SLO metrics (the monitoring region, where the alarms are). */
    readonly metricsRegion: string;
    /**
     * Encrypt with this passphrase instead of a new random one: a promoted DR region keeps
     * the primary's, so one key opens every backup under a prefix whichever region wrote it
     * (a restore picks the newest of them). @default a new random passphrase
     */
    readonly passphrase?: pulumi.Input<string>;
}

export interface BackupJobsArgs extends ScheduledBackups {
    /** Script in the job image, e.g. "sealed-secrets-key-backup.sh". */
    readonly script: string;
    /** Data class, the second part of the key prefix: `<tier>/<dataClass>/<subPath>/`. */
    readonly dataClass: DataClassLabel;
    /** @default none: `<tier>/<dataClass>/` */
    readonly subPath?: string;
    readonly env?: BackupCronJobOptions["env"];
    readonly secretFiles?: BackupCronJobOptions["secretFiles"];
}

/**
 * The backup jobs a platform component runs beside itself (Vault's raft snapshots, the
 * sealing keys), in the job namespace under the job service account.
 */
export interface ComponentBackupJobs {
    readonly jobNamespace: string;
    readonly jobServiceAccount: string;
    readonly jobImage: string;
    /** `tiers.<dataClass>` of the stack config. */
    readonly schedules: Readonly<Partial<Record<TierId, string>>>;
    readonly targets: Readonly<Partial<Record<TierId, BackupTarget>>>;
    /** Where the jobs publish their metrics: the monitoring region, where the backup-age and SLO alarms are. */
    readonly metricsRegion: string;
}

/** A component's job settings as BackupJobs takes them. */
export function scheduledBackupsOf(c: ComponentBackupJobs): Omit<ScheduledBackups, "passphrase"> {
    return { namespace: c.jobNamespace, jobImage: c.jobImage, schedules: c.schedules, targets: c.targets, serviceAccountName: c.jobServiceAccount, metricsRegion: c.metricsRegion };
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
        const jobs = declareBackupJobs(`BackupJobs ${name}`, name, args, this);
        this.passphrase = jobs.passphrase;
        this.keySecretName = jobs.keySecretName;
        this.registerOutputs({ keySecretName: this.keySecretName });
    }
}

/**
 * The passphrase secret `<name>-key` and a CronJob `<name>-<tier>` per scheduled tier, all
 * children of `parent` (BackupJobs, or a component such as RedisSnapshots that is itself the
 * set of jobs). `what` names the caller in errors.
 */
export function declareBackupJobs(
    what: string,
    name: string,
    args: BackupJobsArgs,
    parent: pulumi.Resource,
): { passphrase: pulumi.Output<string>; keySecretName: string; cronJobNames: Partial<Record<TierId, string>> } {
    const tiers = Object.keys(args.schedules) as TierId[];
    if (tiers.length === 0) throw new Error(`${what}: schedules is empty; give the data class's tiers (tiers.${args.dataClass}) from the stack config`);
    for (const tier of tiers) {
        if (!args.targets[tier]) throw new Error(`${what}: tier ${tier} has a schedule but no target bucket; pass targets.${tier} from the storage step`);
    }
    const keySecretName = `${name}-key`;
    const key = args.passphrase === undefined ? new random.RandomPassword(keySecretName, { length: 64, special: false }, { parent }).result : pulumi.output(args.passphrase);
    const secret = new k8s.core.v1.Secret(
        keySecretName,
        {
            metadata: { name: keySecretName, namespace: args.namespace, labels: { "app.kubernetes.io/part-of": "fortress-dr" } },
            stringData: { [KEY_SECRET_FIELD]: pulumi.secret(key) },
        },
        { parent },
    );
    const cronJobNames: Partial<Record<TierId, string>> = {};
    for (const tier of tiers) {
        const jobName = `${name}-${tier}`;
        new k8s.batch.v1.CronJob(
            jobName,
            backupCronJobSpec({
                name: jobName,
                namespace: args.namespace,
                tier,
                schedule: args.schedules[tier]!,
                image: args.jobImage,
                script: args.script,
                target: args.targets[tier]!,
                prefix: args.subPath === undefined ? `${tier}/${args.dataClass}/` : `${tier}/${args.dataClass}/${args.subPath}/`,
                serviceAccountName: args.serviceAccountName,
                keySecretName,
                metricsRegion: args.metricsRegion,
                env: args.env,
                secretFiles: args.secretFiles,
                dataClass: args.dataClass,
            }),
            { parent, dependsOn: [secret] },
        );
        cronJobNames[tier] = jobName;
    }
    return { passphrase: pulumi.secret(key), keySecretName, cronJobNames };
}
