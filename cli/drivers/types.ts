/**
 * The recovery primitives every `fortress` command is written against. Two drivers implement
 * them: `drivers/lab/` on hosts (pgBackRest, PostgreSQL, redis-cli, an S3 endpoint; the drills
 * and CI) and `drivers/platform/` on the real platform (Kubernetes API through
 * @kubernetes/client-node, AWS SDK v3, the Pulumi Automation API). The commands' logic — steps,
 * guards, fencing order, verification — exists once, in `cli/commands/`.
 *
 * Rules every implementation keeps (the faults the issue lists):
 * - Nothing returns success on the say-so of an exit code or a "submitted" answer: a backup is
 *   returned only once it is LISTED and COMPLETE; a verify returns what the tool's output says
 *   per object; a restore returns only after the target's state was read back.
 * - Every wait takes a `Wait` (deadline + what it waits for) and throws WaitTimeout past it;
 *   a custom resource that stops moving is reported as stuck with its last status.
 * - A primitive a driver cannot provide is absent (`undefined`), never a stub: the command says
 *   which driver lacks what and stops before doing anything.
 */

export const DATA_CLASSES = ["database", "cache", "configuration", "secrets"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** The data classes kept as snapshots (everything but the database), in the order the commands read them. */
export const SNAPSHOT_CLASSES = ["cache", "configuration", "secrets"] as const;
export type SnapshotClass = (typeof SNAPSHOT_CLASSES)[number];
/** A snapshot class's name in the stack config (`tiers.redis`), the bucket layout and the manifests: the cache is "redis". */
export const snapshotClassKey = (dc: SnapshotClass) => (dc === "cache" ? "redis" : dc);

export const TIER_IDS = ["tier1", "tier2", "tier3"] as const;
export type Tier = (typeof TIER_IDS)[number];

/** A bounded wait: every primitive that waits receives one. */
export interface Wait {
    /** Epoch ms after which the wait throws WaitTimeout. */
    readonly deadline: number;
    /** Progress lines for the operator ("restore: 40 % of 12 GiB"); optional. */
    readonly progress?: (line: string) => void;
}

/** An AbortSignal that fires at the wait's deadline (at least 1 ms away): AWS SDK sends, the Automation API. */
export const deadlineSignal = (w: Wait): AbortSignal => AbortSignal.timeout(Math.max(1, w.deadline - Date.now()));

/** The options of an AWS SDK v3 `send` that gives up at the wait's deadline. */
export const untilDeadline = (w: Wait) => ({ abortSignal: deadlineSignal(w) });

/** A bad object a check found: the object is named, so the operator knows what to look at. */
export interface Finding {
    readonly severity: "error" | "warning";
    readonly dataClass: DataClass;
    readonly tier?: Tier;
    /** What is bad: a repo file ("archive/db/15-1/.../000000010000000000000005-....gz"), a bucket key, a backup label. */
    readonly object: string;
    /** Which check found it ("pgbackrest-verify", "wal-continuity", "object-lock", "staleness", "checksum", "decrypt"). */
    readonly check: string;
    readonly message: string;
}

// ---------------------------------------------------------------------------------------------
// Database (PostgreSQL + pgBackRest; on the platform through the Percona operator)

export interface DatabaseBackup {
    readonly tier: Tier;
    /** pgBackRest label ("20261203-061500F") — what `--set` takes. */
    readonly label: string;
    readonly type: "full" | "diff" | "incr";
    readonly startedAt: Date;
    readonly stoppedAt: Date;
    /** First and last WAL segment the backup needs. */
    readonly walStart: string;
    readonly walStop: string;
    readonly lsnStart?: string;
    readonly lsnStop?: string;
    /** pgBackRest flagged page checksum errors in it. */
    readonly error: boolean;
    /** The backup's own record says it finished (info lists it, the operator's status says Succeeded). */
    readonly complete: boolean;
}

export interface ArchiveRange {
    readonly tier: Tier;
    /** Oldest and newest WAL segment in the repo's archive for the current database. */
    readonly min?: string;
    readonly max?: string;
}

export interface DatabaseInfo {
    readonly tier: Tier;
    readonly backups: readonly DatabaseBackup[];
    readonly archive: ArchiveRange;
    /** The repo's status as the tool reports it ("ok" or its message). */
    readonly status: string;
}

/** Where a restore aims. Exactly one kind; `tier` picks the repo. */
export type RecoveryTarget =
    | { readonly kind: "latest" }
    | { readonly kind: "time"; readonly time: Date }
    | { readonly kind: "lsn"; readonly lsn: string }
    /** The end of one backup set (consistent point, no WAL replay past it). */
    | { readonly kind: "set"; readonly label: string };

/** Where a restore writes. Never the live primary: `in-place` needs a fenced source (checked by the command). */
export interface RestoreDestination {
    readonly kind: "scratch" | "new-cluster" | "in-place";
    /** Scratch directory / new cluster name / the cluster restored in place. */
    readonly name: string;
}

export interface RestoreRequest {
    readonly tier: Tier;
    readonly target: RecoveryTarget;
    readonly destination: RestoreDestination;
    /**
     * What happens at the target: `inspect` stops read-only (recovery paused) for a person to
     * check; `promote` opens it read-write. Never left to a default that pauses silently.
     */
    readonly action: "inspect" | "promote";
    /** WAL archiving of the restored copy: always off for drills and scratch restores. */
    readonly archiving: "off" | "on";
    /** The backup set the plan chose (pgBackRest label); the driver restores from exactly this one. */
    readonly set?: string;
}

/** The restored server as read back from it (never assumed). */
export interface RestoredState {
    readonly destination: RestoreDestination;
    /** Where a person connects to inspect it ("127.0.0.1:5433", a Service DNS name). */
    readonly endpoint?: string;
    readonly running: boolean;
    readonly inRecovery: boolean;
    readonly replayPaused: boolean;
    readonly replayLsn?: string;
    /** Commit time of the last transaction replayed (pg_last_xact_replay_timestamp or the newest commit seen). */
    readonly lastCommitAt?: Date;
    readonly timeline?: number;
    /** archive_mode / archive_command of the restored server, as it reports them. */
    readonly archiveMode: string;
    readonly archiveCommand: string;
}

export interface ProbeResult {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    readonly value?: number | string;
}

/** The primary's and standby's positions (LSNs as "X/Y"). */
export interface DatabasePositions {
    /** Current write position of the primary (absent when it is unreachable). */
    readonly primaryWriteLsn?: string;
    /** Last WAL segment archived (per tier). */
    readonly archived: Partial<Record<Tier, { readonly wal?: string; readonly at?: Date }>>;
    /** Standby: received (flush) and replayed positions, and the replay lag in seconds. */
    readonly standby?: { readonly flushLsn?: string; readonly replayLsn?: string; readonly replayLagSeconds?: number; readonly lastReplayAt?: Date };
}

export interface DatabasePrimitives {
    info(tier: Tier, wait: Wait): Promise<DatabaseInfo>;
    /** Takes a backup and returns it only once it is listed and complete. */
    backup(tier: Tier, type: "full" | "diff" | "incr", wait: Wait): Promise<DatabaseBackup>;
    /** Verifies the repo (pgBackRest verify read from its output, plus WAL continuity): one finding per bad object. */
    verify(tier: Tier, wait: Wait): Promise<readonly Finding[]>;
    /** Restores into `destination` and brings it to the target; returns the state read back. Idempotent: a rerun starts the destination over. */
    restore(request: RestoreRequest, wait: Wait): Promise<RestoredState>;
    /** Reads the restored server's state. */
    inspect(destination: RestoreDestination, wait: Wait): Promise<RestoredState>;
    /** Opens a restored server held at its target (`--promote` after `--inspect`). */
    promoteRestored(destination: RestoreDestination, wait: Wait): Promise<RestoredState>;
    /** Integrity checks and the configured SQL probes / row counts against the restored copy. */
    probe(destination: RestoreDestination, probes: readonly SqlProbe[], wait: Wait): Promise<readonly ProbeResult[]>;
    /** Removes a scratch destination and proves it is gone (no process, no data, no listener). */
    teardown(destination: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]>;
    positions(wait: Wait): Promise<DatabasePositions>;
    /**
     * Whether the live source database is fenced (accepts no writes, archives nothing), proved
     * from outside. `restore --in-place` refuses unless `fenced` is true.
     */
    sourceFenced(wait: Wait): Promise<FenceProof & { readonly fenced: boolean }>;
    /** History files (`0000000N.history`) in a tier's archive: a promoted copy that archives adds one. */
    archiveHistoryFiles(tier: Tier, wait: Wait): Promise<readonly string[]>;
}

/** One application-level check on a restored database: a query returning one row with one number. */
export interface SqlProbe {
    readonly name: string;
    readonly sql: string;
    /** The value must be at least this (row counts); absent: only "the query ran". */
    readonly min?: number;
}

// ---------------------------------------------------------------------------------------------
// Snapshot data classes: cache (Redis RDB), configuration (exported objects / Velero), secrets
// (Sealed Secrets sealing keys, Vault raft). One shape for all three: taken, listed, verified,
// restored into a scratch target and validated there.

export interface Snapshot {
    readonly dataClass: DataClass;
    readonly tier: Tier;
    /** What `--snapshot` takes and what findings name: the manifest key / backup name. */
    readonly id: string;
    /** The stored object holding the data (s3://bucket/key), when it is not `id` itself. */
    readonly object?: string;
    readonly takenAt: Date;
    /** Size of the stored object, as recorded when it was written. */
    readonly sizeBytes: number;
    /** Checksum recorded when it was taken (sha256 hex of the stored object), if the writer recorded one. */
    readonly sha256?: string;
    /** What the writer counted in it (Redis keys, files, sealing keys), as recorded. */
    readonly counts?: Readonly<Record<string, number>>;
}

/** A snapshot restored into its destination, as read back from there (never assumed). */
export interface SnapshotRestored {
    readonly snapshot: Snapshot;
    readonly destination: RestoreDestination;
    /** Where a person looks at it: "127.0.0.1:6391" (a scratch Redis), a directory, a namespace. */
    readonly endpoint: string;
    /** Validation against the destination: key count / file checksums / decryption, and the configured probes. */
    readonly probes: readonly ProbeResult[];
}

/**
 * A check run against a restored snapshot: cache — a Redis command whose integer reply must be
 * at least `min` (`DBSIZE`, `EXISTS user:1`); configuration/secrets — a file that must exist in
 * the restored tree (`min` unused). Parsed from `--probe name=<command or path>[>=N]`.
 */
export interface SnapshotProbe {
    readonly name: string;
    readonly check: string;
    readonly min?: number;
}

export interface SnapshotPrimitives {
    /** The data class these primitives serve. */
    readonly dataClass: Exclude<DataClass, "database">;
    /**
     * Takes one snapshot (secrets on the platform: the sealing keys and a Vault raft snapshot)
     * and returns them only once each is listed, its size and checksum match what was recorded,
     * and it loads (RDB check / archive index); never on the say-so of the writer's exit code.
     */
    take(tier: Tier, wait: Wait): Promise<readonly Snapshot[]>;
    /** Complete snapshots in a tier (a snapshot whose manifest/record is missing is not listed), oldest first. */
    list(tier: Tier, wait: Wait): Promise<readonly Snapshot[]>;
    /**
     * Fetches and checks one snapshot without touching any target: stored checksum and size,
     * decryption with the configured key, payload checksum, and that it loads. One finding per
     * problem, naming the object; none when it is good.
     */
    verify(snapshot: Snapshot, wait: Wait): Promise<readonly Finding[]>;
    /**
     * Restores into `destination` (scratch by default; `in-place` only after the command proved
     * `sourceFenced`) and validates it there (counts against the recorded ones, `probes`).
     * Idempotent: a rerun starts the destination over.
     */
    restore(snapshot: Snapshot, destination: RestoreDestination, probes: readonly SnapshotProbe[], wait: Wait): Promise<SnapshotRestored>;
    /** Removes a scratch destination and proves it is gone. */
    teardown(destination: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]>;
    /** Whether the live source is fenced (nothing serves or writes it), proved from outside; absent: no in-place restore. */
    sourceFenced?(wait: Wait): Promise<FenceProof & { readonly fenced: boolean }>;
}

export interface CachePrimitives extends SnapshotPrimitives {
    readonly dataClass: "cache";
    /** Master offset and each replica's offset and lag. */
    replicaOffsets(wait: Wait): Promise<{ readonly masterOffset: number; readonly replicas: readonly { readonly name: string; readonly offset: number; readonly lagSeconds: number; readonly state: string }[] }>;
}

/**
 * Configuration (platform: a Velero Backup, returned only when Completed — PartiallyFailed /
 * Failed / Finalizing* are not; lab: a directory of exported objects) and secrets (platform:
 * the Sealed Secrets sealing keys and a Vault raft snapshot; lab: a directory of secret
 * material) — each stored encrypted with a checksummed manifest.
 */
export type ConfigPrimitives = SnapshotPrimitives;

// ---------------------------------------------------------------------------------------------
// Storage (the tier buckets)

export interface StoredObject {
    readonly tier: Tier;
    readonly bucket: string;
    readonly key: string;
    readonly sizeBytes: number;
    readonly lastModified: Date;
    readonly versionId?: string;
}

export interface ObjectRetention {
    readonly mode?: "COMPLIANCE" | "GOVERNANCE";
    readonly retainUntil?: Date;
}

export interface StoragePrimitives {
    listObjects(tier: Tier, prefix: string, wait: Wait): Promise<readonly StoredObject[]>;
    objectRetention(object: StoredObject, wait: Wait): Promise<ObjectRetention>;
    /** The bucket's default Object Lock retention (days), if any. */
    bucketRetention(tier: Tier, wait: Wait): Promise<{ readonly mode?: string; readonly days?: number }>;
    /** Reads an object's bytes (checksum and decryption checks). */
    getObject(object: StoredObject, wait: Wait): Promise<Buffer>;
}

/** Where audit records go beyond the local file: tier 3, write-once. */
export interface AuditSink {
    /** PutObject with Object Lock headers; returns the key and version written. */
    putAuditRecord(key: string, body: string, retainUntil: Date, wait: Wait): Promise<{ readonly location: string; readonly versionId?: string }>;
}

/** One CloudWatch datapoint (the backup SLO runs: components/detection/slo.ts sloRunDatums). */
export interface MetricDatum {
    readonly MetricName: string;
    /** In the order the jobs send them (moto matches a dimension set only in that order). */
    readonly Dimensions: readonly { readonly Name: string; readonly Value: string }[];
    readonly Value: number;
    readonly Unit: "Count" | "Seconds" | "Bytes";
}

/** Where the CLI's own metrics go: CloudWatch in the stack's DR (monitoring) region; moto in the lab. */
export interface MetricsSink {
    /** "CloudWatch us-west-2", "CloudWatch us-west-2 at http://127.0.0.1:5000". */
    readonly describe: string;
    /** PutMetricData, all at one timestamp; throws naming the endpoint and the cause. */
    putMetricData(namespace: string, data: readonly MetricDatum[], wait: Wait): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Cross-region failover

export interface FenceProof {
    /** The old primary accepts no writes (a write attempt failed / it is down / read-only), said how. */
    readonly writesStopped: boolean;
    /** Its repo writes stopped (archive-push disabled / stanza stopped / credentials revoked), said how. */
    readonly repoWritesStopped: boolean;
    /** The position at which it stopped, when known: the promotion must reach at least this. */
    readonly fencedAtLsn?: string;
    readonly evidence: readonly string[];
}

export interface FailoverPrimitives {
    /** Positions on both sides; must work with the primary region unreachable (fields then absent). */
    positions(wait: Wait): Promise<DatabasePositions>;
    /** Free capacity in the DR region (nodes ready / instances), for the pre-flight. */
    drCapacity(wait: Wait): Promise<ProbeResult>;
    /** Stops the old primary's writes and its repo writes (WAN proxy, Patroni, scaling to zero). */
    fencePrimary(wait: Wait): Promise<FenceProof>;
    /** Re-checks the fence from outside (never trusts fencePrimary's own answer). */
    proveFenced(wait: Wait): Promise<FenceProof>;
    /** Promotes the DR standby once it has replayed at least `minLsn`; returns its new state. */
    promoteStandby(minLsn: string | undefined, wait: Wait): Promise<{ readonly promotedAtLsn: string; readonly timeline: number; readonly evidence: readonly string[] }>;
    /** Fail-back: undoes a fence that outlives the incident (the platform's bucket-policy Deny) and proves it gone; absent where nothing outlives it. */
    liftFence?(wait: Wait): Promise<{ readonly ok: boolean; readonly evidence: readonly string[] }>;
}

export interface TrafficPrimitives {
    /** Points traffic at `region` (the DR stack's endpoints.activeRegion through the Automation API on the platform). */
    switchTo(region: "primary" | "dr", wait: Wait): Promise<readonly string[]>;
    /** What the world sees: the DNS answer / health-check status (data plane, no primary-region control plane). */
    confirm(region: "primary" | "dr", wait: Wait): Promise<ProbeResult>;
}

// ---------------------------------------------------------------------------------------------
// The driver

export interface Driver {
    /** "lab" or "platform". */
    readonly name: string;
    /** One line saying what it talks to ("lab: pgBackRest stanza db on 127.0.0.1:5433, S3 https://localhost:4567"). */
    readonly describe: string;
    readonly database: DatabasePrimitives;
    readonly storage?: StoragePrimitives;
    readonly cache?: CachePrimitives;
    readonly configuration?: ConfigPrimitives;
    readonly secrets?: ConfigPrimitives;
    readonly failover?: FailoverPrimitives;
    readonly traffic?: TrafficPrimitives;
    readonly audit?: AuditSink;
    /** CloudWatch for the backup SLO runs `fortress backup` and `fortress dr-test` publish (cli/slo-metrics.ts). */
    readonly metrics?: MetricsSink;
    /** The erasure ledger and the primitives that replay it (cli/erasure/driver.ts). */
    readonly erasure?: import("../erasure/driver").ErasureDriver;
    /**
     * The lab's own backup schedule bounds per tier (seconds), overriding the stack's tier
     * schedules: a lab is not the platform and cannot wait a day for a daily backup to go stale.
     * The platform driver leaves it undefined (the stack's `tiers` config rules).
     */
    readonly backupBoundsSeconds?: Partial<Record<Tier, number>>;
    /** Releases connections; called once at the end of a command. */
    close(): Promise<void>;
}
