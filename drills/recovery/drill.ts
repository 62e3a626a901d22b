/**
 * The recovery drill: the `fortress` commands, run as an operator runs them (the CLI's own bin,
 * as a child process), on a real PostgreSQL primary with pgBackRest repos in a directory (tier 1)
 * and on moto S3 behind TLS (tiers 2 and 3) — through the lab driver.
 *
 *   backup → validate clean; restore --target-time lands on the last commit at or before the
 *   target; a restore SIGKILLed half-way and rerun ends with the same rows; status shows a stale
 *   tier as breached; --dry-run changes nothing (data dir, repos, buckets, state dir compared
 *   byte for byte); bad arguments give one line and exit 2 or 4; a corrupted backup file and a
 *   missing WAL segment each make validate exit 1 naming the object; `fortress dr-test` restores
 *   tier 1 into scratch and tears it down; every backup and dr-test run — a failed backup (primary
 *   down) and a failed dr-test (a tier without backups) too — is read back from moto's CloudWatch
 *   as the backup SLO metrics the alarms read (names, dimensions, values).
 */
import * as fs from "fs";
import * as path from "path";
import { loadStack } from "../../cli/stack";
import { pgCtl } from "../../cli/drivers/lab/pg";
import { beginDrill, drillReport } from "../lib/drill-setup";
import { prereqVersions, requirePrereqs } from "../lib/prereqs";
import { ProcessGroup } from "../postgres/processes";
import type { Drill } from "../types";
import { checkBundleBackup, checkCacheBackup, checkDatabaseBackup, checkValidateClean, seedCache, seedCommits } from "./backup-steps";
import { RECOVERY_SIZES, RecoveryDrill, recoveryDrill } from "./context";
import { RecoveryLab, startRecoveryLab } from "./lab";
import { checkBadArguments, checkDrTest, checkFailedDrTestPublished, checkKilledRestoreResumes, checkPointInTimeRestore, checkStatusStaleTier } from "./restore-steps";
import { checkAuditTrail, checkDryRunChangesNothing, checkFailedBackupPublished, checkValidateFindsDamage } from "./safety-steps";
import { checkBundleRestoresIntoScratch, checkCacheInPlace, checkCacheRestoreIntoScratch, checkCorruptedCacheSnapshot, checkWrongEncryptionKey } from "./snapshot-restore-steps";

/** The steps in order: each records its figures and checks; later steps build on what earlier ones left. */
async function runSteps(drill: RecoveryDrill): Promise<void> {
    // Backups of every data class, validated.
    await seedCommits(drill);
    const master = await seedCache(drill);
    const cacheSnap = await checkCacheBackup(drill);
    await checkBundleBackup(drill);
    const backupDoc = await checkDatabaseBackup(drill);
    await checkValidateClean(drill);
    // Database restores, dr-test, status, bad arguments.
    const pointInTime = await checkPointInTimeRestore(drill);
    await checkKilledRestoreResumes(drill, pointInTime);
    await checkDrTest(drill);
    await checkFailedDrTestPublished(drill);
    await checkStatusStaleTier(drill);
    await checkBadArguments(drill);
    // Cache, configuration and secrets restores.
    await checkCacheRestoreIntoScratch(drill, master);
    await checkBundleRestoresIntoScratch(drill);
    await checkWrongEncryptionKey(drill);
    await checkCorruptedCacheSnapshot(drill, cacheSnap);
    await checkCacheInPlace(drill, master);
    // Safety: dry runs, damage found, failures published, audit.
    await checkDryRunChangesNothing(drill, pointInTime.target);
    await checkValidateFindsDamage(drill, backupDoc);
    await checkFailedBackupPublished(drill);
    await checkAuditTrail(drill);
}

/** Stops what the drill's restores left running (scratch redis-servers and PostgreSQL servers) and the primary. */
async function stopRestores(lab: RecoveryLab): Promise<void> {
    const restores = path.join(lab.description.workDir, "restores");
    for (const d of fs.existsSync(restores) ? fs.readdirSync(restores) : []) {
        const pidFile = path.join(restores, d, "redis.pid");
        if (!fs.existsSync(pidFile)) continue;
        try {
            process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGTERM");
        } catch {
            /* already gone */
        }
    }
    for (const d of fs.existsSync(restores) ? fs.readdirSync(restores) : []) {
        const data = path.join(restores, d, "data");
        if (fs.existsSync(path.join(data, "postmaster.pid"))) await pgCtl(lab.description.postgres.bindir, ["-D", data, "-m", "immediate", "-w", "stop"], Date.now() + 60_000);
    }
    if (fs.existsSync(path.join(lab.description.postgres.datadir, "postmaster.pid"))) await lab.stopPrimary().catch(() => undefined);
}

export const run: Drill = async (options) => {
    const found = requirePrereqs(["postgres", "pgbackrest", "moto", "openssl", "redis"]);
    const drillRun = beginDrill(options, RECOVERY_SIZES);
    const procs = new ProcessGroup();
    let lab: RecoveryLab | undefined;
    try {
        // The CLI publishes its SLO runs to the stack's DR region, as on the platform.
        const metricsRegion = loadStack("dev").config.regions.dr;
        lab = await startRecoveryLab(options.workDir, procs, "db", metricsRegion);
        const drill = recoveryDrill(options, lab, metricsRegion, drillRun);
        await runSteps(drill);
        drill.close();
    } finally {
        if (lab) await stopRestores(lab);
        await procs.stopAll();
    }
    return drillReport("recovery", drillRun, prereqVersions(found));
};
