/**
 * `fortress dr-test`: a drill against the real platform in isolation. Restores a tier into a
 * scratch destination with archiving OFF, proves it did not archive into the production repos,
 * validates it, measures RPO and RTO per step, tears everything down, PROVES the teardown, and
 * writes a report. The monthly schedule runs it with --yes.
 */
import * as fs from "fs";
import * as path from "path";
import type { CommandDef } from "../command";
import type { RestoreDestination, SqlProbe, Tier } from "../drivers/types";
import { TIER_IDS } from "../drivers/types";
import { StepFailed, UsageError } from "../errors";
import { formatSeconds, parseChoice } from "../parse";
import type { Json, Step, StepContext } from "../runner";
import { chooseBackup, parseProbe, targetProblem } from "./restore";
import { archivesNowhere, connectStep, driverStep, pick, toJson } from "./common";
import { SLO_DATA_CLASS, stepsTime, stepsVerified } from "../slo-metrics";

/** What a drill works on: the tier it restores from, the scratch destination, the probes it runs there. */
interface Drill {
    readonly tier: Tier;
    readonly into: string;
    readonly destination: RestoreDestination;
    readonly probes: readonly SqlProbe[];
}

export const drTest: CommandDef = {
    name: "dr-test",
    summary: "drill: restore a tier into a scratch target with archiving off, validate, measure RPO/RTO, tear down and prove it",
    help: `
Never touches production: the scratch copy archives nowhere (lab: archive_mode off; platform:
a PerconaPGCluster with backups disabled, archive_command 'true', in the namespace
fortress-scratch-<into>), and the drill checks the tier's archive before and after for a
history file the copy would have pushed on promotion. The teardown is proved (lab: no process,
no data directory, no listener; platform: namespace gone (404), no persistent volume left) and the
report (per-step seconds, measured RPO = newest primary commit - newest restored commit,
measured RTO = restore + validate) is written to <state-dir>/dr-test/<run-id>.json.
Every drill, failed ones too, is published as one recovery SLO run (Fortress/BackupSLO
{DataClass=database, Tier, Purpose=recovery}) to CloudWatch in the stack's DR region, which
the recovery-success SLO alarm reads; a failed publish is a WARNING and never fails the drill.

Examples:
  fortress dr-test --stack prod --from tier2 --yes
  fortress dr-test --stack prod --from tier3 --probe users="select count(*) from users">=1000 --yes`,
    reasonRequired: false,
    defaultTimeoutSeconds: 7200,
    options(cmd) {
        cmd.option("--from <tier>", `the tier to drill (${TIER_IDS.join(", ")})`, "tier2")
            .option("--into <name>", "scratch destination name", "fortress-drill")
            .option("--probe <name=sql>", "SQL probe against the scratch copy (repeatable)", (v: string, prev: string[] = []) => [...prev, v]);
    },
    fingerprint: (opts) => pick(opts, ["from", "into", "probe"]),
    plan({ opts }) {
        const tier = parseChoice("--from", String(opts.from), TIER_IDS);
        const into = String(opts.into);
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(into)) throw new UsageError(`--into "${into}": use a DNS-1123 label`);
        const drill: Drill = { tier, into, destination: { kind: "scratch", name: into }, probes: ((opts.probe as string[] | undefined) ?? []).map(parseProbe) };
        const steps: Step[] = [connectStep(), chooseBackupStep(drill), restoreStep(drill), archivingOffStep(drill), validateStep(drill), noArchiveIntoProductionStep(drill), teardownStep(drill), reportStep(drill)];
        return {
            destructive: false,
            dataLossBound: { seconds: null, why: "the drill restores into scratch with archiving off; production is only read" },
            steps,
            result: (data: Record<string, Json>) => ({ report: data.report ?? null, reportFile: data.reportFile ?? null }),
            // One recovery SLO run (slo-recovery-success reads these): succeeded only when every
            // step of the drill — restore, checks, teardown proved, report — was verified.
            sloRuns: (records) => {
                const ids = steps.map((s) => s.id);
                const t = stepsTime(records, ids);
                return [{ dataClass: SLO_DATA_CLASS.database, tier, purpose: "recovery" as const, succeeded: stepsVerified(records, ids), durationSeconds: t.seconds, windowSeconds: t.budgetSeconds }];
            },
        };
    },
};

function chooseBackupStep({ tier }: Drill): Step {
    return driverStep({ id: "choose-backup", phase: "plan", title: `newest complete backup in ${tier}; the archive's history files before the drill`, budget: { seconds: 60 } }, async (d, ctx) => {
        const b = chooseBackup((await d.database.info(tier, ctx.wait())).backups, { kind: "latest" }, tier);
        const history = await d.database.archiveHistoryFiles(tier, ctx.wait());
        const pos = await d.database.positions(ctx.wait());
        return { detail: `${b.label}; ${history.length} history file(s) in the archive`, data: { backup: toJson(b), historyBefore: toJson(history), primaryAtStart: toJson(pos) } };
    });
}

function restoreStep({ tier, into, destination }: Drill): Step {
    return driverStep(
        { id: "restore", phase: "act", title: `restore ${tier} (latest) into scratch "${into}" with archiving off`, budget: { figureId: "recovery.restore.seconds", seconds: 600 }, mutates: true },
        async (d, ctx) => {
            const t0 = Date.now();
            const s = await d.database.restore({ tier, target: { kind: "latest" }, destination, action: "inspect", archiving: "off", set: (ctx.data.backup as { label?: string } | undefined)?.label }, ctx.wait());
            const problem = targetProblem(s, { kind: "latest" });
            if (problem) throw new StepFailed(problem);
            return { detail: `last commit ${s.lastCommitAt?.toISOString() ?? "-"}`, data: { restored: toJson(s), restoreSeconds: (Date.now() - t0) / 1000 } };
        },
    );
}

function archivingOffStep({ destination }: Drill): Step {
    return driverStep({ id: "archiving-off", phase: "verify", title: "the scratch copy cannot archive: archive_mode off, read back", budget: { seconds: 30 } }, async (d, ctx) => {
        const s = await d.database.inspect(destination, ctx.wait());
        if (!archivesNowhere(s)) throw new StepFailed(`archive_mode is "${s.archiveMode}" with archive_command "${s.archiveCommand}" on the scratch copy: it could push WAL into the repos`);
        return { detail: `archive_mode off, archive_command "${s.archiveCommand}"` };
    });
}

function validateStep({ destination, probes }: Drill): Step {
    return driverStep(
        { id: "validate", phase: "verify", title: "integrity checks and probes on the scratch copy (opened read-write, archiving off)", budget: { seconds: 120 }, mutates: true },
        async (d, ctx) => {
            const t0 = Date.now();
            await d.database.promoteRestored(destination, ctx.wait());
            const results = await d.database.probe(destination, probes, ctx.wait());
            const bad = results.filter((r) => !r.ok);
            if (bad.length) throw new StepFailed(`validation failed: ${bad.map((r) => `${r.name} (${r.detail})`).join("; ")}`);
            return { detail: `${results.length} check(s) passed`, data: { probes: toJson(results), validateSeconds: (Date.now() - t0) / 1000 } };
        },
    );
}

function noArchiveIntoProductionStep({ tier, destination }: Drill): Step {
    return driverStep({ id: "no-archive-into-production", phase: "verify", title: "no history file or WAL from the drill reached the tier's archive", budget: { seconds: 60 } }, async (d, ctx) => {
        const before = new Set((ctx.data.historyBefore as string[]) ?? []);
        const after = await d.database.archiveHistoryFiles(tier, ctx.wait());
        const added = after.filter((h) => !before.has(h));
        const s = await d.database.inspect(destination, ctx.wait());
        const mine = added.filter((h) => s.timeline !== undefined && parseInt(h.slice(0, 8), 16) === s.timeline);
        if (mine.length) throw new StepFailed(`the drill's timeline ${s.timeline} reached the archive: ${mine.join(", ")}`);
        return { detail: `scratch timeline ${s.timeline ?? "?"}: no history file for it in ${tier}` };
    });
}

function teardownStep({ into, destination }: Drill): Step {
    return driverStep({ id: "teardown", phase: "act", title: `remove scratch "${into}" and prove it is gone`, budget: { seconds: 120 }, mutates: true }, async (d, ctx) => {
        const proof = await d.database.teardown(destination, ctx.wait());
        const bad = proof.filter((p) => !p.ok);
        if (bad.length) throw new StepFailed(`teardown not proved: ${bad.map((p) => `${p.name}: ${p.detail}`).join("; ")}`);
        return { detail: proof.map((p) => p.detail).join("; "), data: { teardown: toJson(proof) } };
    });
}

/** The drill report: measured RPO = the tier's newest archived WAL at the start - the restored copy's last commit; RTO = restore + validate. */
function reportStep({ tier }: Drill): Step {
    return {
        id: "report",
        phase: "verify",
        title: "write the drill report (RPO/RTO measured per step)",
        budget: { seconds: 10 },
        async run(ctx: StepContext) {
            const restored = ctx.data.restored as { lastCommitAt?: string } | undefined;
            const start = ctx.data.primaryAtStart as { archived?: Record<string, { at?: string }> } | undefined;
            const archivedAt = start?.archived?.[tier]?.at;
            const rpo = restored?.lastCommitAt && archivedAt ? Math.max(0, (Date.parse(archivedAt) - Date.parse(restored.lastCommitAt)) / 1000) : null;
            const rto = Number(ctx.data.restoreSeconds ?? 0) + Number(ctx.data.validateSeconds ?? 0);
            const report = { schemaVersion: "fortress.dr-test/v1", tier, backup: ctx.data.backup, restoreSeconds: ctx.data.restoreSeconds, validateSeconds: ctx.data.validateSeconds, measuredRtoSeconds: rto, measuredRpoSeconds: rpo, probes: ctx.data.probes, teardown: ctx.data.teardown };
            const dir = path.join(ctx.stateDir, "dr-test");
            fs.mkdirSync(dir, { recursive: true });
            const file = path.join(dir, `${ctx.runId}.json`);
            fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
            return { detail: `RTO ${formatSeconds(rto)}, RPO ${rpo === null ? "not measured" : formatSeconds(rpo)}; ${file}`, data: { report: toJson(report), reportFile: file } };
        },
    };
}
