import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BackupTarget, KEY_SECRET_FIELD, backupCronJobSpec } from "../platform/backup-job";
import type { TierId } from "../../config/vocabulary";

export interface RedisSnapshotsArgs {
    readonly namespace: string;
    /** The backup-job image (jobs/Dockerfile), from the stack config `jobImage`. */
    readonly jobImage: string;
    /** Service reaching any Redis member. */
    readonly redisHost: string;
    readonly redisPort: number;
    /** Secret holding the Redis password under `password`. */
    readonly redisPasswordSecretName: string;
    /** One schedule per tier, from `tiers.redis` of the stack config. */
    readonly schedules: Readonly<Partial<Record<TierId, string>>>;
    /** The tier buckets and writer roles, from the storage step. */
    readonly targets: Readonly<Partial<Record<TierId, BackupTarget>>>;
    readonly serviceAccountName: string;
    /** Region of the backup-age metric (the primary region). */
    readonly metricsRegion: string;
    /**
     * Encrypt with this passphrase instead of a new random one: a promoted DR region keeps
     * the primary's, so one key opens every snapshot under a prefix whichever region wrote
     * it (the restore picks the newest of them). @default a new random passphrase
     */
    readonly passphrase?: pulumi.Input<string>;
}

/**
 * The Redis snapshot CronJobs (one per tier, schedules from the tier config) and the
 * encryption key they share: a random passphrase kept in a Kubernetes secret. The
 * passphrase is exported as a stack secret so a DR-region rebuild can decrypt the
 * snapshots without this cluster.
 */
export class RedisSnapshots extends pulumi.ComponentResource {
    public readonly keySecretName: string;
    /** The encryption passphrase (secret). */
    public readonly passphrase: pulumi.Output<string>;
    public readonly cronJobNames: Partial<Record<TierId, string>> = {};

    constructor(name: string, args: RedisSnapshotsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:redis:RedisSnapshots", name, {}, opts);
        const tiers = Object.keys(args.schedules) as TierId[];
        if (tiers.length === 0) throw new Error(`RedisSnapshots ${name}: schedules is empty; give tiers.redis from the stack config`);
        for (const tier of tiers) {
            if (!args.targets[tier]) {
                throw new Error(`RedisSnapshots ${name}: tier ${tier} has a schedule but no target bucket; pass targets.${tier} from the storage step`);
            }
        }

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
            const jobName = `${name}-${tier}`;
            new k8s.batch.v1.CronJob(
                jobName,
                backupCronJobSpec({
                    name: jobName,
                    namespace: args.namespace,
                    tier,
                    schedule: args.schedules[tier]!,
                    image: args.jobImage,
                    script: "redis-snapshot.sh",
                    target: args.targets[tier]!,
                    prefix: `${tier}/redis/`,
                    serviceAccountName: args.serviceAccountName,
                    keySecretName: `${name}-key`,
                    metricsRegion: args.metricsRegion,
                    env: [
                        { name: "REDIS_HOST", value: args.redisHost },
                        { name: "REDIS_PORT", value: String(args.redisPort) },
                        { name: "REDIS_PASSWORD_FILE", value: "/var/run/fortress/redis/password" },
                    ],
                    secretFiles: [{ name: "redis-password", secretName: args.redisPasswordSecretName, mountPath: "/var/run/fortress/redis" }],
                    dataClass: "redis",
                }),
                { parent: this, dependsOn: [secret] },
            );
            this.cronJobNames[tier] = jobName;
        }

        this.keySecretName = `${name}-key`;
        this.passphrase = pulumi.secret(key);
        this.registerOutputs({ keySecretName: this.keySecretName, cronJobNames: this.cronJobNames });
    }
}
