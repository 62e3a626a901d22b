import * as pulumi from "@pulumi/pulumi";
import { ScheduledBackups, declareBackupJobs } from "../platform/backup-jobs";
import type { TierId } from "../../config/vocabulary";

export interface RedisSnapshotsArgs extends ScheduledBackups {
    /** Service reaching any Redis member. */
    readonly redisHost: string;
    readonly redisPort: number;
    /** Secret holding the Redis password under `password`. */
    readonly redisPasswordSecretName: string;
}

/**
 * The Redis snapshot CronJobs (one per tier, schedules from `tiers.redis`) and the
 * encryption key they share: a random passphrase kept in a Kubernetes secret. The
 * passphrase is exported as a stack secret so a DR-region rebuild can decrypt the
 * snapshots without this cluster. The jobs are BackupJobs' (declareBackupJobs), children of
 * this component.
 */
export class RedisSnapshots extends pulumi.ComponentResource {
    public readonly keySecretName: string;
    /** The encryption passphrase (secret). */
    public readonly passphrase: pulumi.Output<string>;
    public readonly cronJobNames: Partial<Record<TierId, string>>;

    constructor(name: string, args: RedisSnapshotsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:redis:RedisSnapshots", name, {}, opts);
        const jobs = declareBackupJobs(
            `RedisSnapshots ${name}`,
            name,
            {
                ...args,
                script: "redis-snapshot.sh",
                dataClass: "redis",
                env: [
                    { name: "REDIS_HOST", value: args.redisHost },
                    { name: "REDIS_PORT", value: String(args.redisPort) },
                    { name: "REDIS_PASSWORD_FILE", value: "/var/run/fortress/redis/password" },
                ],
                secretFiles: [{ name: "redis-password", secretName: args.redisPasswordSecretName, mountPath: "/var/run/fortress/redis" }],
            },
            this,
        );
        this.keySecretName = jobs.keySecretName;
        this.passphrase = jobs.passphrase;
        this.cronJobNames = jobs.cronJobNames;
        this.registerOutputs({ keySecretName: this.keySecretName, cronJobNames: this.cronJobNames });
    }
}
