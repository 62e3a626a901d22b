/**
 * The lab description: a JSON file the drills write, naming everything the lab driver talks to
 * on the hosts. Validated with zod; a bad file is one error naming the file and the field.
 */
import * as fs from "fs";
import { z } from "zod";
import { UsageError } from "../../errors";

const tier = z.enum(["tier1", "tier2", "tier3"]);

const repo = z.strictObject({
    /** pgBackRest repo number (repoN). */
    repo: z.number().int().min(1).max(4),
    /** For the storage checks: the bucket and the repo path in it (S3 repos). */
    bucket: z.string().min(1).optional(),
    path: z.string().startsWith("/"),
    /** The lab's own bound for the newest backup's age (seconds), instead of the stack's schedule. */
    maxBackupAgeSeconds: z.number().positive().optional(),
});

export const labDescriptionSchema = z.strictObject({
    schemaVersion: z.literal("fortress.lab/v1"),
    /** Scratch destinations go under here (restores/<name>). */
    workDir: z.string().startsWith("/"),
    pgbackrest: z.strictObject({
        stanza: z.string().min(1),
        config: z.string().startsWith("/"),
        /** Directory of included config files (secrets). */
        configIncludePath: z.string().startsWith("/").optional(),
    }),
    postgres: z.strictObject({
        /** Directory holding pg_ctl, postgres, initdb (drills/lib/prereqs finds it; never hard-coded). */
        bindir: z.string().startsWith("/"),
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(1).max(65535),
        datadir: z.string().startsWith("/"),
        user: z.string().default("postgres"),
        /** Tables whose row counts the validation step reports (and requires > 0). */
        rowCountTables: z.array(z.string().regex(/^[a-z_][a-z0-9_.]*$/)).default([]),
    }),
    /** Tier → pgBackRest repo. */
    repos: z.partialRecord(tier, repo),
    s3: z
        .strictObject({
            /** Plain-HTTP endpoint the AWS SDK uses (moto in the drills). */
            endpoint: z.string().url(),
            region: z.string().default("us-east-1"),
            accessKeyId: z.string().default("fortress-lab"),
            secretAccessKey: z.string().default("fortress-lab"),
            /** Tier-3 bucket with Object Lock: audit records go here. */
            auditBucket: z.string().min(1).optional(),
            /** Buckets per tier (storage checks: retention, listing). */
            buckets: z.partialRecord(tier, z.string().min(1)).default({}),
        })
        .optional(),
    /**
     * CloudWatch for the backup SLO runs of `fortress backup` / `dr-test` (moto in the drills).
     * Absent: the lab publishes nothing and each run says so. Loopback only: a lab never sends
     * metrics off the host.
     */
    cloudwatch: z
        .strictObject({
            endpoint: z
                .string()
                .url()
                .refine((u) => ["127.0.0.1", "localhost", "[::1]"].includes(new URL(u).hostname), "use an endpoint on 127.0.0.1 (moto_server); a lab never sends metrics off the host"),
            /** The stack's DR region, where the platform publishes (the SLO alarms' region). */
            region: z.string().min(1),
            accessKeyId: z.string().default("fortress-lab"),
            secretAccessKey: z.string().default("fortress-lab"),
        })
        .optional(),
    redis: z
        .strictObject({
            host: z.string().default("127.0.0.1"),
            masterPort: z.number().int(),
            replicaPorts: z.array(z.number().int()).default([]),
            /** The master's data directory: the target of `restore --class cache --in-place` (fenced source only). */
            dataDir: z.string().startsWith("/").optional(),
            /** Tools (drills/lib/prereqs finds redis-* or valkey-*); names on PATH by default. */
            server: z.string().min(1).optional(),
            cli: z.string().min(1).optional(),
            checkRdb: z.string().min(1).optional(),
            /** Probes every cache restore runs (besides the key count): a command whose integer reply must be >= min. */
            probes: z.array(z.strictObject({ name: z.string().min(1), command: z.string().min(1), min: z.number().int().min(0).optional() })).optional(),
        })
        .optional(),
    /**
     * Where the snapshot data classes (cache, configuration, secrets) are stored: the same job
     * scripts and layout as the platform (jobs/redis-snapshot.sh, jobs/dir-bundle-backup.sh,
     * jobs/lib/backup.sh: lz4, AES-256, sha256 manifest) in one S3 bucket per tier at the s3
     * endpoint, under <tier>/redis, <tier>/configuration, <tier>/secrets.
     */
    snapshots: z
        .strictObject({
            /** File holding the backup encryption passphrase (BACKUP_KEY_FILE of the jobs). */
            keyFile: z.string().startsWith("/"),
            buckets: z.partialRecord(tier, z.string().min(1)),
        })
        .optional(),
    /** Configuration on the hosts: a directory of exported objects (YAML/JSON manifests), the lab's stand-in for what Velero backs up. */
    configuration: z.strictObject({ dir: z.string().startsWith("/") }).optional(),
    /**
     * Secrets on the hosts: a directory of secret material — the Sealed Secrets sealing keys
     * (sealing-keys.json, a List of Secrets with tls.crt/tls.key, as jobs/sealed-secrets-key-backup.sh
     * exports them) and any other secret files — stored only encrypted.
     */
    secrets: z.strictObject({ dir: z.string().startsWith("/") }).optional(),
    /** The erasure ledger and uploads (cli/erasure/lab.ts validates it), owned by engineer "erasure". */
    erasure: z.record(z.string(), z.unknown()).optional(),
    /** Cross-region lab (drills/lab): read by the lab failover primitives, owned by engineer "lab". */
    failover: z.record(z.string(), z.unknown()).optional(),
});
export type LabDescription = z.infer<typeof labDescriptionSchema>;

export function readLabDescription(file: string): LabDescription {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`--lab ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the lab description the drill wrote`);
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        throw new UsageError(`--lab ${file}: not JSON (${(e as Error).message})`);
    }
    const r = labDescriptionSchema.safeParse(json);
    if (!r.success) {
        const i = r.error.issues[0];
        throw new UsageError(`--lab ${file}: ${i.path.join(".") || "(top level)"}: ${i.message}${r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : ""}`);
    }
    return r.data;
}
