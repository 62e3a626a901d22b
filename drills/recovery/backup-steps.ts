/**
 * The recovery drill's backups: the cache, configuration and secrets snapshots, the database
 * backup with its SLO run read back from moto's CloudWatch, and a clean validate.
 */
import { query } from "../../cli/drivers/lab/pg";
import { BACKUP_SLO_NAMESPACE } from "../../components/detection/slo";
import { RespClient } from "../redis/resp";
import { ALL_RUN_METRICS, CliDoc, RecoveryDrill, jsonOf, sloLine, stderrLines, tenths } from "./context";

/** A cache snapshot as `fortress backup --output json` lists it. */
export interface CacheSnapshot {
    readonly id: string;
    readonly object: string;
    readonly counts?: { readonly keys?: number };
}

/** The value the drill writes under drill:key:<i>. */
export const drillKeyValue = (i: number) => `value ${i} ${"x".repeat(i % 50)}`;

/** The table the point-in-time checks read, and its first rows. */
export async function seedCommits(drill: RecoveryDrill): Promise<void> {
    await query(drill.primary, "create table drill_commits (id int primary key, payload text not null)");
    await drill.commit(1, drill.sizes.commits);
}

/** Writes drill:key:1..redisKeys into the master; returns the open connection (later steps compare and flush through it). */
export async function seedCache(drill: RecoveryDrill): Promise<RespClient> {
    const { redisKeys } = drill.sizes;
    const master = await RespClient.connect(drill.desc.redis!.masterPort);
    for (let i = 1; i <= redisKeys; i += 500) {
        const args: string[] = [];
        for (let j = i; j < i + 500 && j <= redisKeys; j++) args.push(`drill:key:${j}`, drillKeyValue(j));
        await master.command("MSET", ...args);
    }
    return master;
}

/** The steps whose id starts with backup-, their details joined. */
const backupStepDetails = (doc: CliDoc) => doc.steps?.filter((x: { id: string }) => x.id.startsWith("backup-")).map((x: { detail?: string }) => x.detail).join(" | ");

/** `fortress backup --class cache`: each snapshot listed, its checksum matching, its RDB loading. Returns tier 1's snapshot. */
export async function checkCacheBackup(drill: RecoveryDrill): Promise<CacheSnapshot | undefined> {
    const { redisKeys, cacheTiers } = drill.sizes;
    const cacheBackup = await drill.fortress(["backup", ...drill.common, "--class", "cache", "--tier", cacheTiers, "--output", "json"]);
    const cacheBackupDoc = jsonOf(cacheBackup);
    const cacheSnap = cacheBackupDoc.result?.["backup-cache-tier1"]?.[0] as CacheSnapshot | undefined;
    drill.fig("recovery.cache.backup.seconds", `fortress backup --class cache to ${cacheTiers.replace(",", " and ")} (${redisKeys} keys; jobs/redis-snapshot.sh, verified listed, checksum, RDB loads)`, tenths(cacheBackup.seconds), "s");
    drill.check(
        "fortress backup --class cache exits 0 with each snapshot listed, its checksum matching and its RDB loading",
        cacheBackup.code === 0 && cacheBackupDoc.outcome === "done" && cacheSnap?.counts?.keys === redisKeys,
        `exit ${cacheBackup.code}; ${backupStepDetails(cacheBackupDoc)}; ${stderrLines(cacheBackup).slice(-1).join("")}`,
    );
    return cacheSnap;
}

/** `fortress backup --class configuration,secrets` to tier 2: each bundle listed and verified. */
export async function checkBundleBackup(drill: RecoveryDrill): Promise<void> {
    const bundleBackup = await drill.fortress(["backup", ...drill.common, "--class", "configuration,secrets", "--tier", "tier2", "--output", "json"]);
    const bundleDoc = jsonOf(bundleBackup);
    drill.fig("recovery.config_secrets.backup.seconds", "fortress backup --class configuration,secrets to tier 2 (jobs/dir-bundle-backup.sh, verified listed, checksum, decrypts, index)", tenths(bundleBackup.seconds), "s");
    drill.check(
        "fortress backup --class configuration,secrets exits 0 with each bundle listed and verified",
        bundleBackup.code === 0 && bundleDoc.outcome === "done",
        `exit ${bundleBackup.code}; ${backupStepDetails(bundleDoc)}; ${stderrLines(bundleBackup).slice(-1).join("")}`,
    );
}

/** A full database backup, each new backup listed and complete, and each tier's run published to CloudWatch. Returns the backup's JSON document. */
export async function checkDatabaseBackup(drill: RecoveryDrill): Promise<CliDoc> {
    const { tiers } = drill.sizes;
    const backup = await drill.fortress(["backup", ...drill.common, "--class", "database", "--tier", tiers, "--type", "full", "--output", "json"]);
    const backupDoc = jsonOf(backup);
    drill.fig("recovery.backup.seconds", `fortress backup: full to ${tiers.replace(",", " and ")}, verified listed and complete`, tenths(backup.seconds), "s");
    drill.check("fortress backup exits 0 with each new backup listed and complete", backup.code === 0 && backupDoc.outcome === "done", `exit ${backup.code}; ${Object.keys(backupDoc.result ?? {}).join(", ")}; ${stderrLines(backup).slice(-1).join("")}`);

    const backupSlo = await Promise.all(tiers.split(",").map((t) => drill.sloSeries(t, "backup")));
    drill.check(
        `fortress backup published each tier's run to moto CloudWatch: ${BACKUP_SLO_NAMESPACE} Runs 1, Succeeded 1, DurationSeconds > 0 {DataClass=database, Tier, Purpose=backup}`,
        backupDoc.sloMetrics?.published === true && backupSlo.every((x) => x.runs === 1 && x.succeeded === 1 && (x.durationMax ?? 0) > 0 && JSON.stringify(x.names) === JSON.stringify(ALL_RUN_METRICS)),
        `${backupDoc.sloMetrics?.sink ?? "no sink"}${backupDoc.sloMetrics?.error ? ` (${backupDoc.sloMetrics.error})` : ""}; ${backupSlo.map((x, i) => sloLine(tiers.split(",")[i], x)).join("; ")}`,
    );
    return backupDoc;
}

/** `fortress validate` on fresh backups: no finding. */
export async function checkValidateClean(drill: RecoveryDrill): Promise<void> {
    const { tiers } = drill.sizes;
    // The full run's database backups take minutes: the cache snapshot is taken again first, as its */4 CronJob would.
    await drill.freshCache();
    const clean = await drill.fortress(["validate", ...drill.common, "--tier", tiers, "--output", "json"]);
    const cleanDoc = jsonOf(clean);
    drill.fig("recovery.validate.seconds", `fortress validate of ${tiers.replace(",", " and ")} (verify, WAL continuity, staleness)`, tenths(clean.seconds), "s");
    drill.check("fortress validate on fresh backups exits 0 with no finding", clean.code === 0 && (cleanDoc.findings ?? []).length === 0, `exit ${clean.code}; findings ${JSON.stringify(cleanDoc.findings ?? null)}`);
}
