/**
 * `fortress backup`: an on-demand backup of the chosen data classes to the chosen tiers. Each
 * result is verified — the new backup is listed by the repo / operator and complete — before
 * the command reports success; "submitted" is never success.
 */
import type { CommandDef } from "../command";
import type { DataClass, Driver, Tier } from "../drivers/types";
import { DATA_CLASSES } from "../drivers/types";
import { StepFailed, UsageError } from "../errors";
import { parseChoice, parseChoices } from "../parse";
import type { Step, StepContext, StepRecord } from "../runner";
import type { StackContext } from "../stack";
import { connectStep, driverStep, need, pick, tiersKeeping, tiersOption, toJson } from "./common";
import type { SloRun } from "../../components/detection/slo";
import { SLO_DATA_CLASS, stepsTime, stepsVerified } from "../slo-metrics";

type BackupType = "full" | "diff" | "incr";

export const backup: CommandDef = {
    name: "backup",
    summary: "on-demand backup of chosen data classes to chosen tiers, each verified listed and complete",
    help: `
Takes a backup now. Database: a pgBackRest backup (lab) or a PerconaPGBackup (platform) per
tier; cache: a Redis snapshot (jobs/redis-snapshot.sh); configuration: a Velero Backup on the
platform, the lab's directory of exported objects; secrets: the Sealed Secrets key and a Vault
raft snapshot on the platform, the lab's secrets directory (both lab classes through
jobs/dir-bundle-backup.sh, encrypted). A backup counts only once it is listed and complete
(snapshots: size and sha256 match the manifest, it decrypts and loads); the verify step reads
it back. The stack decides which tiers keep a class (configuration and secrets: tier 2 and 3).

Each data class and tier is published as one backup SLO run (Fortress/BackupSLO Runs,
Succeeded, WithinWindow, DurationSeconds {DataClass, Tier, Purpose=backup}) to CloudWatch in
the stack's DR region, failed ones too; a failed publish is a WARNING and never fails the run.

Examples:
  fortress backup --stack prod --class database --tier tier2 --type full
  fortress backup --stack prod --class database,cache --tier tier1,tier2 --reason "before upgrade"
  fortress backup --stack prod --class configuration,secrets --tier tier2`,
    reasonRequired: false,
    defaultTimeoutSeconds: 3600,
    options(cmd) {
        cmd.option("--class <classes>", `comma-separated data classes (${DATA_CLASSES.join(", ")}; default database)`, "database")
            .option("--data-class <classes>", "the same as --class")
            .option("--tier <tiers>", "comma-separated tiers (default tier1)", "tier1")
            .option("--type <type>", "database backup type: full, diff or incr", "full");
    },
    fingerprint: (opts) => pick(opts, ["class", "dataClass", "tier", "type"]),
    plan({ opts, stack }) {
        const { classes, tiers, type } = backupChoices(opts, stack);
        const hasEveryClass = (d: Driver) => {
            for (const dc of classes) if (dc !== "database") need(d, d[dc], dc);
        };
        const steps: Step[] = [connectStep("reach the driver; every chosen class has its primitives", hasEveryClass)];
        for (const dc of classes) for (const tier of tiers) steps.push(backupStep(dc, tier, type), listedStep(dc, tier));
        return {
            destructive: false,
            dataLossBound: { seconds: null, why: "a backup adds a copy; it removes nothing" },
            steps,
            result: (data) => Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith("backup-"))),
            sloRuns: (records) => backupSloRuns(records, classes, tiers),
        };
    },
};

/** The classes, tiers and database backup type asked for; a class the stack does not keep in a chosen tier is a usage error. */
function backupChoices(opts: Record<string, unknown>, stack: StackContext): { classes: DataClass[]; tiers: Tier[]; type: BackupType } {
    const classes: DataClass[] = opts.dataClass !== undefined ? parseChoices("--data-class", String(opts.dataClass), DATA_CLASSES) : parseChoices("--class", String(opts.class), DATA_CLASSES);
    const tiers: Tier[] = tiersOption(opts.tier);
    const type = parseChoice("--type", String(opts.type), ["full", "diff", "incr"] as const);
    if (classes.length === 0 || tiers.length === 0) throw new UsageError("--class and --tier must name at least one each");
    for (const dc of classes) {
        const { key, tiers: kept } = dc === "database" ? { key: "database", tiers: stack.config.tiers.database as Partial<Record<Tier, unknown>> } : tiersKeeping(stack, dc);
        const missing = tiers.filter((t) => !kept[t]);
        if (missing.length) throw new UsageError(`--class ${dc} --tier ${missing.join(",")}: stack ${stack.name} keeps ${dc} in ${Object.keys(kept).join(", ")} only (tiers.${key})${dc === "configuration" ? "; tier 1 of configuration is git" : ""}`);
    }
    return { classes, tiers, type };
}

/** Takes the backup; returns only once the driver has it listed and complete (snapshots: checked and loading). */
function backupStep(dc: DataClass, tier: Tier, type: BackupType): Step {
    return driverStep(
        {
            id: `backup-${dc}-${tier}`,
            phase: "act",
            title: `${dc} → ${tier}${dc === "database" ? ` (${type})` : ""}`,
            budget: dc === "database" ? { figureId: "recovery.backup.seconds", seconds: 300 } : { seconds: 300 },
            mutates: true,
        },
        async (d, ctx) => {
            if (dc === "database") {
                const b = await d.database.backup(tier, type, ctx.wait());
                return { detail: `${b.label} (${b.type}) listed complete, WAL ${b.walStart}..${b.walStop}`, data: { [`backup-${dc}-${tier}`]: toJson(b) } };
            }
            // Returned only once listed, size and checksum matching the record, and loading (SnapshotPrimitives.take).
            const snaps = await need(d, d[dc], dc).take(tier, ctx.wait());
            return { detail: snaps.map((s) => `${s.id} (${s.sizeBytes} bytes, sha256 ${s.sha256?.slice(0, 12) ?? "-"}…, ${Object.entries(s.counts ?? {}).map(([k, v]) => `${v} ${k}`).join(", ")})`).join("; "), data: { [`backup-${dc}-${tier}`]: toJson(snaps) } };
        },
    );
}

/** Reads the new backup back: listed, and (database) complete with no checksum errors. */
function listedStep(dc: DataClass, tier: Tier): Step {
    return driverStep({ id: `listed-${dc}-${tier}`, phase: "verify", title: `${dc} ${tier}: the new backup is listed and complete`, budget: { seconds: 60 } }, async (d, ctx) => {
        const made = ctx.data[`backup-${dc}-${tier}`];
        return dc === "database" ? databaseListed(d, ctx, tier, (made as { label: string }).label) : snapshotsListed(d, ctx, dc, tier, (Array.isArray(made) ? made : [made]).map((m) => (m as { id: string }).id));
    });
}

async function databaseListed(d: Driver, ctx: StepContext, tier: Tier, label: string) {
    const info = await d.database.info(tier, ctx.wait());
    const b = info.backups.find((x) => x.label === label);
    if (!b) throw new StepFailed(`backup ${label} is not listed in ${tier}`);
    if (!b.complete || b.error) throw new StepFailed(`backup ${label} in ${tier} is ${b.error ? "flagged with checksum errors" : "not complete"}`);
    return { detail: `${label} listed in ${tier}, complete` };
}

async function snapshotsListed(d: Driver, ctx: StepContext, dc: Exclude<DataClass, "database">, tier: Tier, ids: string[]) {
    const listed = await need(d, d[dc], dc).list(tier, ctx.wait());
    const missing = ids.filter((id) => !listed.some((s) => s.id === id));
    if (missing.length) throw new StepFailed(`${missing.join(", ")} not listed in ${tier}`);
    return { detail: `${ids.join(", ")} listed` };
}

/**
 * One SLO run per data class and tier (Purpose=backup): succeeded when its backup was taken
 * and found listed and complete; its window is the two steps' budgets.
 */
function backupSloRuns(records: readonly StepRecord[], classes: readonly DataClass[], tiers: readonly Tier[]): SloRun[] {
    return classes.flatMap((dc) =>
        tiers.map((tier) => {
            const ids = [`backup-${dc}-${tier}`, `listed-${dc}-${tier}`];
            const t = stepsTime(records, ids);
            return { dataClass: SLO_DATA_CLASS[dc], tier, purpose: "backup" as const, succeeded: stepsVerified(records, ids), durationSeconds: t.seconds, windowSeconds: t.budgetSeconds };
        }),
    );
}
