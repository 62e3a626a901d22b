/**
 * `fortress backup`: an on-demand backup of the chosen data classes to the chosen tiers. Each
 * result is verified — the new backup is listed by the repo / operator and complete — before
 * the command reports success; "submitted" is never success.
 */
import type { CommandDef } from "../command";
import type { DataClass, Tier } from "../drivers/types";
import { DATA_CLASSES } from "../drivers/types";
import { StepFailed, UsageError } from "../errors";
import { parseChoice, parseChoices } from "../parse";
import type { Step } from "../runner";
import { need, pick, tiersOption, toJson } from "./common";
import { SLO_DATA_CLASS, stepsTime, stepsVerified } from "../slo-metrics";

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
        const classes: DataClass[] = opts.dataClass !== undefined ? parseChoices("--data-class", String(opts.dataClass), DATA_CLASSES) : parseChoices("--class", String(opts.class), DATA_CLASSES);
        const tiers: Tier[] = tiersOption(opts.tier);
        const type = parseChoice("--type", String(opts.type), ["full", "diff", "incr"] as const);
        if (classes.length === 0 || tiers.length === 0) throw new UsageError("--class and --tier must name at least one each");
        for (const dc of classes) {
            const key = dc === "cache" ? "redis" : dc;
            const missing = tiers.filter((t) => !(stack.config.tiers[key] as Partial<Record<Tier, unknown>>)[t]);
            if (missing.length) throw new UsageError(`--class ${dc} --tier ${missing.join(",")}: stack ${stack.name} keeps ${dc} in ${Object.keys(stack.config.tiers[key]).join(", ")} only (tiers.${key})${dc === "configuration" ? "; tier 1 of configuration is git" : ""}`);
        }
        const steps: Step[] = [
            {
                id: "connect",
                phase: "preflight",
                title: "reach the driver; every chosen class has its primitives",
                budget: { seconds: 30 },
                async run(ctx) {
                    const d = await ctx.driver();
                    for (const dc of classes) if (dc !== "database") need(d, d[dc], dc);
                    return { detail: d.describe };
                },
            },
        ];
        for (const dc of classes) {
            for (const tier of tiers) {
                steps.push({
                    id: `backup-${dc}-${tier}`,
                    phase: "act",
                    title: `${dc} → ${tier}${dc === "database" ? ` (${type})` : ""}`,
                    budget: dc === "database" ? { figureId: "recovery.backup.seconds", seconds: 300 } : { seconds: 300 },
                    mutates: true,
                    async run(ctx) {
                        const d = await ctx.driver();
                        if (dc === "database") {
                            const b = await d.database.backup(tier, type, ctx.wait());
                            return { detail: `${b.label} (${b.type}) listed complete, WAL ${b.walStart}..${b.walStop}`, data: { [`backup-${dc}-${tier}`]: toJson(b) } };
                        }
                        // Returned only once listed, size and checksum matching the record, and loading (SnapshotPrimitives.take).
                        const snaps = await need(d, d[dc], dc).take(tier, ctx.wait());
                        return { detail: snaps.map((s) => `${s.id} (${s.sizeBytes} bytes, sha256 ${s.sha256?.slice(0, 12) ?? "-"}…, ${Object.entries(s.counts ?? {}).map(([k, v]) => `${v} ${k}`).join(", ")})`).join("; "), data: { [`backup-${dc}-${tier}`]: toJson(snaps) } };
                    },
                });
                steps.push({
                    id: `listed-${dc}-${tier}`,
                    phase: "verify",
                    title: `${dc} ${tier}: the new backup is listed and complete`,
                    budget: { seconds: 60 },
                    async run(ctx) {
                        const d = await ctx.driver();
                        const made = ctx.data[`backup-${dc}-${tier}`];
                        if (dc === "database") {
                            const label = (made as { label: string }).label;
                            const info = await d.database.info(tier, ctx.wait());
                            const b = info.backups.find((x) => x.label === label);
                            if (!b) throw new StepFailed(`backup ${label} is not listed in ${tier}`);
                            if (!b.complete || b.error) throw new StepFailed(`backup ${label} in ${tier} is ${b.error ? "flagged with checksum errors" : "not complete"}`);
                            return { detail: `${label} listed in ${tier}, complete` };
                        }
                        const ids = (Array.isArray(made) ? made : [made]).map((m) => (m as { id: string }).id);
                        const listed = await need(d, d[dc], dc).list(tier, ctx.wait());
                        const missing = ids.filter((id) => !listed.some((s) => s.id === id));
                        if (missing.length) throw new StepFailed(`${missing.join(", ")} not listed in ${tier}`);
                        return { detail: `${ids.join(", ")} listed` };
                    },
                });
            }
        }
        return {
            destructive: false,
            dataLossBound: { seconds: null, why: "a backup adds a copy; it removes nothing" },
            steps,
            result: (data) => Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith("backup-"))),
            // One SLO run per data class and tier (Purpose=backup): succeeded when its backup was
            // taken and found listed and complete; its window is the two steps' budgets.
            sloRuns: (records) =>
                classes.flatMap((dc) =>
                    tiers.map((tier) => {
                        const ids = [`backup-${dc}-${tier}`, `listed-${dc}-${tier}`];
                        const t = stepsTime(records, ids);
                        return { dataClass: SLO_DATA_CLASS[dc], tier, purpose: "backup" as const, succeeded: stepsVerified(records, ids), durationSeconds: t.seconds, windowSeconds: t.budgetSeconds };
                    }),
                ),
        };
    },
};
