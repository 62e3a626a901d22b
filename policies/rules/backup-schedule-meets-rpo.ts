import { maxIntervalSeconds, describeInterval } from "../../components/core/cron";
import { scheduledJobs, pgClusters, TIER_DATA_CLASSES } from "../../objectives";
import { ARCHIVE_TIMEOUT_SHARE_OF_RPO, TIER_REPOS } from "../../components/postgres/pgbackrest";
import type { PgRepoSchedule, SnapshotSchedule, TierId } from "../../config";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView } from "../lib/stack-view";

type Def = Partial<PgRepoSchedule & SnapshotSchedule>;
const KINDS = ["snapshot", "full", "differential", "incremental"] as const;

/** The most frequent schedule of a tier definition and its worst gap. */
function tightest(def: Def): { cron: string; gap: number } {
    return KINDS.filter((k) => def[k] !== undefined)
        .map((k) => ({ cron: def[k]!, gap: maxIntervalSeconds(def[k]!) }))
        .reduce((a, b) => (a.gap <= b.gap ? a : b));
}

/** Snapshot data classes whose loss is bounded by their tier-1 schedule, and the objective that bounds it. */
const RPO_OF: Readonly<Partial<Record<(typeof TIER_DATA_CLASSES)[number], "cache">>> = { redis: "cache" };

/**
 * Every backup runs at least as often as the tiers config says and as the data class's RPO
 * needs: each configured (data class, tier) has a job that runs it, no job runs less often
 * than its tier asks, the tier-1 snapshot schedule fits the RPO, and PostgreSQL's
 * archive_timeout (the WAL "schedule") fits the database RPO with the archiver's share left
 * over (components/postgres/pgbackrest.ts ARCHIVE_TIMEOUT_SHARE_OF_RPO).
 */
export const backupScheduleMeetsRpo = stackRule({
    name: "backup-schedule-meets-rpo",
    description: "Every backup schedule is at least as frequent as its tier definition and its data class's RPO need.",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: [CONTROLS.hipaaBackup, CONTROLS.gdprRestore, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations],
    remediationSteps: "Derive every CronJob, Velero Schedule and pgBackRest repo schedule from the stack's tiers config, and archive_timeout from objectives.dataClasses.database.rpoSeconds (renderPgBackRest does).",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const config = view.configOrReport(report, "cannot check schedules");
        if (!config) return;
        if (config.role === "dr") return args.notApplicable("backups run in the primary stack; the DR stack restores");
        const declared = view.declared();
        const jobs = scheduledJobs(declared).found.filter((j) => j.purpose === "backup");
        const tiers = config.tiers as unknown as Record<string, Partial<Record<TierId, Def>>>;

        for (const j of jobs) {
            if (!j.dataClass || !j.tier) continue;
            const def = tiers[j.dataClass]?.[j.tier];
            if (!def || def.snapshot === undefined) continue;
            const want = tightest(def);
            if (j.worstGapSeconds === undefined) {
                report(`${j.kind} ${j.name}: schedule "${j.schedule}" does not parse as a five-field cron`);
            } else if (j.worstGapSeconds > want.gap) {
                report(`${j.kind} ${j.name} runs "${j.schedule}" (every ${describeInterval(j.worstGapSeconds)} at worst), less often than tiers.${j.dataClass}.${j.tier} ("${want.cron}", every ${describeInterval(want.gap)})`);
            }
        }
        for (const dataClass of ["redis", "configuration", "secrets"] as const) {
            for (const [tier, def] of Object.entries(tiers[dataClass] ?? {}) as [TierId, Def][]) {
                if (def.snapshot === undefined) continue;
                if (!jobs.some((j) => j.dataClass === dataClass && j.tier === tier)) {
                    report(`tiers.${dataClass}.${tier} asks for "${def.snapshot}", but no CronJob or Velero Schedule of this stack runs it (jobs are matched by their labels fortress/data-class, fortress/tier and fortress/purpose=backup)`);
                }
            }
        }
        for (const [dataClass, objective] of Object.entries(RPO_OF)) {
            const rpo = config.objectives.dataClasses[objective!].rpoSeconds;
            const def = tiers[dataClass]?.tier1;
            if (def?.snapshot !== undefined && maxIntervalSeconds(def.snapshot) > rpo) {
                report(`tiers.${dataClass}.tier1 snapshots "${def.snapshot}" (every ${describeInterval(maxIntervalSeconds(def.snapshot))} at worst) cannot meet objectives.dataClasses.${objective}.rpoSeconds ${rpo}`);
            }
        }

        const dbRpo = config.objectives.dataClasses.database.rpoSeconds;
        const maxTimeout = Math.max(1, Math.floor(dbRpo * ARCHIVE_TIMEOUT_SHARE_OF_RPO));
        for (const pg of pgClusters(declared).found.filter((c) => !c.standby)) {
            if (pg.archiveTimeoutSeconds === undefined || pg.archiveTimeoutSeconds <= 0) {
                report(`PerconaPGCluster ${pg.name}: archive_timeout is not set, so a quiet database archives a WAL segment only when it fills; set it to at most ${maxTimeout}s for the ${dbRpo} s database RPO`);
            } else if (pg.archiveTimeoutSeconds > maxTimeout) {
                report(
                    `PerconaPGCluster ${pg.name}: archive_timeout ${pg.archiveTimeoutText} lets up to ${pg.archiveTimeoutSeconds} s of committed WAL wait unarchived; the ${dbRpo} s database RPO needs at most ${maxTimeout}s (${ARCHIVE_TIMEOUT_SHARE_OF_RPO * 100}% of the RPO; the rest is the archiver's delivery budget)`,
                );
            }
            TIER_REPOS.forEach((tier, i) => {
                const repo = pg.repos.find((r) => r.name === `repo${i + 1}`);
                const def = tiers.database?.[tier];
                if (!repo || !def) return;
                for (const kind of ["full", "differential", "incremental"] as const) {
                    const want = def[kind];
                    if (want === undefined) continue;
                    const have = repo.schedules[kind];
                    if (have === undefined) {
                        report(`PerconaPGCluster ${pg.name} ${repo.name}: no ${kind} schedule, but tiers.database.${tier}.${kind} is "${want}"`);
                        continue;
                    }
                    let gap: number;
                    try {
                        gap = maxIntervalSeconds(have);
                    } catch (e) {
                        report(`PerconaPGCluster ${pg.name} ${repo.name}: ${kind} schedule: ${e instanceof Error ? e.message : String(e)}`);
                        continue;
                    }
                    if (gap > maxIntervalSeconds(want)) {
                        report(`PerconaPGCluster ${pg.name} ${repo.name}: ${kind} "${have}" runs less often than tiers.database.${tier}.${kind} "${want}"`);
                    }
                }
            });
        }
    },
});
