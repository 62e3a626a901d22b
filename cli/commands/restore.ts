/**
 * `fortress restore`: the database to a point in time (or a backup set, an LSN, the latest
 * archived WAL), from a chosen tier, into a new destination by default. The restored copy is
 * always brought to its target and HELD there read-only; it is validated (integrity + SQL probes
 * / row counts) before anything opens it. `--inspect` (the default) stops there and says so;
 * `--promote` opens it — in the same run, or later by rerunning the same command with --promote.
 * In place only with --in-place and a source proved fenced.
 */
import type { CommandDef } from "../command";
import type { DataClass, DatabaseBackup, RecoveryTarget, RestoreDestination, RestoreRequest, RestoredState, SnapshotClass, SqlProbe, Tier } from "../drivers/types";
import { DATA_CLASSES, TIER_IDS } from "../drivers/types";
import { GuardRefusal, PreflightError, StepFailed, UsageError } from "../errors";
import { lsnToBytes, parseChoice, parseLsn, parseTimestamp } from "../parse";
import type { CommandPlan, Json, Step } from "../runner";
import type { StackContext } from "../stack";
import { archivesNowhere, connectStep, driverStep, pick, toJson } from "./common";
import { replayErasuresStep } from "../erasure/step";
import { SnapshotRestoreOptions, snapshotRestorePlan } from "./restore-snapshot";

/** `--probe name=SQL` or `name=SQL>=N` (the value of the one-row, one-column result must be at least N). */
export function parseProbe(text: string): SqlProbe {
    const m = /^([A-Za-z0-9_.-]+)=(.+?)(?:\s*>=\s*(\d+))?$/s.exec(text.trim());
    if (!m) throw new UsageError(`--probe "${text}": use name=SQL or name=SQL>=N, e.g. orders="select count(*) from orders">=1`);
    return { name: m[1], sql: m[2].trim(), min: m[3] !== undefined ? Number(m[3]) : undefined };
}

export function parseTarget(opts: Record<string, unknown>): RecoveryTarget {
    const given = ["targetTime", "targetLsn", "set", "latest"].filter((k) => opts[k] !== undefined && opts[k] !== false);
    if (given.length > 1) throw new UsageError(`--target-time, --target-lsn, --set and --latest exclude each other; give one (got ${given.map((g) => "--" + g.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())).join(", ")})`);
    if (opts.targetTime !== undefined) return { kind: "time", time: parseTimestamp("--target-time", String(opts.targetTime)) };
    if (opts.targetLsn !== undefined) return { kind: "lsn", lsn: parseLsn("--target-lsn", String(opts.targetLsn)) };
    if (opts.set !== undefined) {
        if (!/^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/.test(String(opts.set))) throw new UsageError(`--set "${String(opts.set)}": not a pgBackRest backup label; use e.g. 20261203-061500F or 20261203-061500F_20261203-064500I`);
        return { kind: "set", label: String(opts.set) };
    }
    return { kind: "latest" };
}

export const describeTarget = (t: RecoveryTarget) => (t.kind === "time" ? `time ${t.time.toISOString()}` : t.kind === "lsn" ? `LSN ${t.lsn}` : t.kind === "set" ? `backup set ${t.label}` : "the latest archived WAL");

/** Picks the backup a restore starts from, or throws the pre-flight error that says why none fits. */
export function chooseBackup(backups: readonly DatabaseBackup[], target: RecoveryTarget, tier: Tier): DatabaseBackup {
    const usable = backups.filter((b) => b.complete && !b.error).sort((a, b) => a.stoppedAt.getTime() - b.stoppedAt.getTime());
    if (usable.length === 0) throw new PreflightError(`--from ${tier}: the tier has no complete backup to restore from; take one (fortress backup --tier ${tier}) or choose another --from`);
    if (target.kind === "set") {
        const b = usable.find((x) => x.label === target.label);
        if (!b) throw new PreflightError(`--set ${target.label}: no such complete backup in ${tier}; it has ${usable.map((x) => x.label).join(", ")}`);
        return b;
    }
    if (target.kind === "time") {
        const before = usable.filter((b) => b.stoppedAt.getTime() <= target.time.getTime());
        if (before.length === 0) throw new PreflightError(`--target-time ${target.time.toISOString()} is before the oldest backup in ${tier} (consistent at ${usable[0].stoppedAt.toISOString()}); choose a later time or another --from`);
        return before[before.length - 1];
    }
    if (target.kind === "lsn" && usable[0].lsnStop && lsnToBytes(target.lsn) < lsnToBytes(usable[0].lsnStop)) {
        throw new PreflightError(`--target-lsn ${target.lsn} is before the oldest backup in ${tier} (consistent at ${usable[0].lsnStop}); choose a later LSN or another --from`);
    }
    if (target.kind === "lsn") {
        const before = usable.filter((b) => !b.lsnStop || lsnToBytes(b.lsnStop) <= lsnToBytes(target.lsn));
        return before[before.length - 1] ?? usable[0];
    }
    return usable[usable.length - 1];
}

/** Checks a restored state against its target; returns the problem or undefined. */
export function targetProblem(state: RestoredState, target: RecoveryTarget): string | undefined {
    if (!state.running) return "the restored server is not running";
    if (target.kind === "time" && state.lastCommitAt && state.lastCommitAt.getTime() > target.time.getTime()) {
        return `last replayed commit ${state.lastCommitAt.toISOString()} is after the target ${target.time.toISOString()}`;
    }
    if (target.kind === "lsn" && state.replayLsn && lsnToBytes(state.replayLsn) < lsnToBytes(target.lsn)) {
        return `replay stopped at ${state.replayLsn}, before the target ${target.lsn}`;
    }
    return undefined;
}

export const restore: CommandDef = {
    name: "restore",
    summary: "database to a point in time / LSN / backup set (validated before it is declared done; lab: held read-only at the target), or a cache/configuration/secrets snapshot, from a chosen tier into a new destination",
    help: `
Default: restore into a new destination (--into, a scratch directory in the lab or a new
cluster on the platform), never over the live primary. Lab: the copy replays to the target and
is HELD there read-only (recovery paused); integrity checks and the --probe queries run on it.
Platform: a new PerconaPGCluster in the scratch namespace fortress-scratch-<into>, restored by
the operator, which OPENS it at the target (it forces --target-action=promote and refuses the
option); it is reachable only inside the cluster, and the output says it is open.
  --inspect (default)  stop there (lab: paused read-only at the target).
  --promote            then open it read-write (also: rerun the same command with --promote);
                       on the platform: prove it is open (a write, rolled back).
Archiving is off on a restored copy unless --in-place (it must not push WAL into the repos):
lab archive_mode=off; platform backups disabled, so the operator sets archive_command 'true'.
--in-place restores over the source database, and only when the source is proved fenced.

Cache, configuration, secrets (--class): the newest snapshot in --from (or --snapshot) is
fetched and checked first — stored checksum, decryption with the configured key, payload
checksum, loads — and a bad one stops the run before anything is created (exit 4, naming the
object). It is restored into a scratch destination (cache: a scratch redis-server, left running
for inspection; configuration/secrets: a directory) and validated there (cache: key count
against the snapshot's, --probe commands; bundles: every file against the bundle's SHA256SUMS).
--in-place (cache) needs the live Redis proved fenced: not listening, no process on its data dir.
Platform: cache and secrets are restored inside a Job's emptyDir (a scratch redis-server there;
secret material never leaves the cluster), configuration (a Velero backup) into a directory;
no in-place restore of these classes.

Examples:
  fortress restore --stack prod --reason "INC-42 bad migration" --target-time 2026-12-03T05:59:00Z --from tier2
  fortress restore --stack prod --reason "INC-42" --target-time 2026-12-03T05:59:00Z --from tier2 --promote
  fortress restore --stack prod --reason drill --set 20261203-010000F --into check-1 --probe orders="select count(*) from orders">=1
  fortress restore --stack prod --reason "INC-51 cache lost" --class cache --from tier1 --into cache-check --probe users="EXISTS user:1">=1
  fortress restore --stack prod --reason "INC-52 sealing key" --class secrets --from tier2 --snapshot 20261203T094500Z`,
    reasonRequired: true,
    defaultTimeoutSeconds: 7200,
    options(cmd) {
        cmd.option("--class <class>", "what to restore: database (default), cache (a Redis snapshot), configuration or secrets")
            .option("--data-class <class>", "the same as --class")
            .option("--snapshot <id>", "cache/configuration/secrets: the snapshot to restore (manifest key or its stamp; default the newest in --from)")
            .option("--target-time <iso>", "recover to this time (ISO 8601 with zone): the last commit at or before it")
            .option("--target-lsn <lsn>", "recover to this LSN (16/B374D848)")
            .option("--set <label>", "recover to the end of this backup set (no WAL replay past it)")
            .option("--latest", "recover to the end of the archived WAL (the default)")
            .option("--from <tier>", `the tier to restore from (${TIER_IDS.join(", ")})`, "tier1")
            .option("--into <name>", "destination (new cluster / scratch directory name)", "fortress-restore")
            .option("--in-place", "restore over the source database (needs the source fenced)", false)
            .option("--inspect", "stop read-only at the target for a person to check (default)")
            .option("--promote", "open the restored copy read-write after validation")
            .option("--probe <name=check>", "probe run against the restored copy (repeatable; name=CHECK>=N checks a minimum): database SQL, cache a Redis command with an integer reply (keys=\"DBSIZE\">=1), configuration/secrets a file that must be restored", (v: string, prev: string[] = []) => [...prev, v]);
    },
    // The action (--inspect / --promote) is not part of the run's identity: --promote continues an inspected run.
    fingerprint: (opts) => pick(opts, ["class", "dataClass", "snapshot", "targetTime", "targetLsn", "set", "latest", "from", "into", "inPlace", "probe"]),
    plan({ opts, stack }) {
        const dataClass = restoreClass(opts);
        if (dataClass !== "database") return snapshotRestorePlan(dataClass, snapshotRestoreOptions(opts, dataClass), stack);
        return databaseRestorePlan(databaseRestoreOptions(opts), stack);
    },
};

/** `--class` / `--data-class` (the same option twice; they must agree), default database. */
function restoreClass(opts: Record<string, unknown>): DataClass {
    if (opts.class !== undefined && opts.dataClass !== undefined && opts.class !== opts.dataClass) throw new UsageError(`--class ${String(opts.class)} and --data-class ${String(opts.dataClass)} disagree; give one`);
    return parseChoice(opts.dataClass !== undefined ? "--data-class" : "--class", String(opts.dataClass ?? opts.class ?? "database"), DATA_CLASSES);
}

/** `--into`: a new destination's name, a DNS-1123 label of at most 40 characters. */
function parseInto(text: unknown): string {
    const into = String(text);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(into) || into.length > 40) throw new UsageError(`--into "${into}": use a DNS-1123 label (lower-case letters, digits, '-'; at most 40 characters)`);
    return into;
}

const probesOf = (opts: Record<string, unknown>) => ((opts.probe as string[] | undefined) ?? []).map(parseProbe);

/** The options of a cache, configuration or secrets restore; the database-only ones are usage errors. */
function snapshotRestoreOptions(opts: Record<string, unknown>, dataClass: SnapshotClass): SnapshotRestoreOptions {
    const dbOnly = (["targetTime", "targetLsn", "set", "latest", "promote"] as const).filter((k) => opts[k] !== undefined && opts[k] !== false);
    if (dbOnly.length) throw new UsageError(`--${dbOnly[0].replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} applies to the database; a ${dataClass} restore takes --snapshot (default the newest in --from)`);
    const into = parseInto(opts.into);
    const probes = probesOf(opts).map((p) => ({ name: p.name, check: p.sql, min: p.min }));
    return { tier: parseChoice("--from", String(opts.from), TIER_IDS), into, inPlace: !!opts.inPlace, snapshot: opts.snapshot === undefined ? undefined : String(opts.snapshot), probes };
}

/** What a database restore does: from which tier to which target, into where, and whether it opens the copy. */
interface DatabaseRestore {
    readonly target: RecoveryTarget;
    readonly tier: Tier;
    readonly promote: boolean;
    readonly inPlace: boolean;
    readonly into: string;
    readonly probes: readonly SqlProbe[];
    readonly destination: RestoreDestination;
}

function databaseRestoreOptions(opts: Record<string, unknown>): DatabaseRestore {
    if (opts.snapshot !== undefined) throw new UsageError("--snapshot applies to cache, configuration and secrets; a database restore takes --set <backup label> or --target-time");
    const target = parseTarget(opts);
    const tier = parseChoice("--from", String(opts.from), TIER_IDS);
    if (opts.inspect && opts.promote) throw new UsageError("--inspect and --promote exclude each other: --inspect holds the copy read-only at the target, --promote opens it");
    const inPlace = !!opts.inPlace;
    const into = parseInto(opts.into);
    return { target, tier, promote: !!opts.promote, inPlace, into, probes: probesOf(opts), destination: { kind: inPlace ? "in-place" : "scratch", name: into } };
}

function databaseRestorePlan(r: DatabaseRestore, stack: StackContext): CommandPlan {
    const steps: Step[] = [connectStep(), guardSourceStep(r), chooseBackupStep(r), restoreStep(r), atTargetStep(r), validateStep(r)];
    if (r.promote) steps.push(promoteStep(r), openedStep(r), replayStep(r, stack));
    return {
        destructive: true,
        resumeFinished: true,
        dataLossBound: databaseLossBound(r),
        steps,
        result: (data: Record<string, Json>) => ({ target: describeTarget(r.target), from: r.tier, destination: toJson(r.destination), backup: data.backup ?? null, restored: data.restored ?? null, probes: data.probes ?? null, held: !r.promote, erasuresReplayed: data.erasuresReplayed ?? null }),
        judge: () => (r.promote ? undefined : { outcome: "done", message: `restored copy "${r.into}" is HELD READ-ONLY at the target (recovery paused) for inspection; rerun the same command with --promote to open it (the erasure ledger is replayed then, before it serves anyone)` }),
    };
}

function databaseLossBound({ target, inPlace }: DatabaseRestore): CommandPlan["dataLossBound"] {
    return {
        seconds: target.kind === "time" ? Math.max(0, Math.round((Date.now() - target.time.getTime()) / 1000)) : null,
        why:
            target.kind === "time"
                ? `commits after ${target.time.toISOString()} are not in the restored copy (chosen by --target-time); the source is untouched${inPlace ? " — except in place, where they are replaced" : ""}`
                : target.kind === "latest"
                  ? "the copy holds everything archived; WAL not yet archived from the source (bounded by the database RPO) is not in it"
                  : `the copy ends at ${describeTarget(target)}; later commits are not in it (by choice)`,
    };
}

function guardSourceStep({ inPlace, into }: DatabaseRestore): Step {
    return driverStep({ id: "guard-source", phase: "preflight", title: inPlace ? "--in-place: the source database is proved fenced" : "destination is not the live primary", budget: { seconds: 30 } }, async (d, ctx) => {
        if (!inPlace) return { detail: `new destination "${into}"; the source is not touched` };
        const proof = await d.database.sourceFenced(ctx.wait());
        if (!proof.fenced) throw new GuardRefusal(`--in-place refused: the source is not proved fenced (${proof.evidence.join("; ") || "no evidence"}); fence it first or restore into a new destination`);
        return { detail: `source fenced: ${proof.evidence.join("; ")}` };
    });
}

function chooseBackupStep({ tier, target }: DatabaseRestore): Step {
    return driverStep({ id: "choose-backup", phase: "plan", title: `choose the backup in ${tier} for ${describeTarget(target)}`, budget: { seconds: 60 } }, async (d, ctx) => {
        const info = await d.database.info(tier, ctx.wait());
        const b = chooseBackup(info.backups, target, tier);
        const lossNote = target.kind === "latest" ? "up to the newest archived WAL" : `commits after ${describeTarget(target)} are not in the copy (by choice)`;
        return { detail: `${b.label} (${b.type}, consistent ${b.stoppedAt.toISOString()}); ${lossNote}`, data: { backup: toJson(b) } };
    });
}

function restoreStep({ tier, target, destination, inPlace, into }: DatabaseRestore): Step {
    const request = (set?: string): RestoreRequest => ({ tier, target, destination, action: "inspect", archiving: inPlace ? "on" : "off", set });
    return driverStep(
        {
            id: "restore",
            phase: "act",
            title: `restore ${describeTarget(target)} from ${tier} into ${inPlace ? "the source (in place)" : `"${into}"`}, archiving ${inPlace ? "on" : "off"}, held at the target`,
            budget: { figureId: "recovery.restore.seconds", seconds: 600 },
            mutates: true,
        },
        async (d, ctx) => {
            const chosen = ctx.data.backup as { label?: string } | undefined;
            const state = await d.database.restore(request(chosen?.label), ctx.wait());
            const problem = targetProblem(state, target);
            if (problem) throw new StepFailed(`restore did not land on the target: ${problem}`);
            return { detail: `replayed to ${state.replayLsn ?? "?"}, last commit ${state.lastCommitAt?.toISOString() ?? "none replayed"}`, data: { restored: toJson(state) } };
        },
    );
}

function atTargetStep({ destination, target, inPlace }: DatabaseRestore): Step {
    return driverStep({ id: "at-target", phase: "verify", title: "read back: paused read-only at the target, archiving as requested", budget: { seconds: 60 } }, async (d, ctx) => {
        const state = await d.database.inspect(destination, ctx.wait());
        const problem = targetProblem(state, target);
        if (problem) throw new StepFailed(problem);
        if (state.inRecovery && !state.replayPaused && target.kind !== "latest") throw new StepFailed("the copy is still replaying; it must be held at the target");
        if (!inPlace && !archivesNowhere(state)) throw new StepFailed(`archive_mode is "${state.archiveMode}" with archive_command "${state.archiveCommand}" on the restored copy: it could push WAL into the repos`);
        return { detail: `${state.inRecovery ? "read-only (recovery paused at the target)" : "open"}; last commit ${state.lastCommitAt?.toISOString() ?? "-"}; archive_mode ${state.archiveMode}`, data: { restored: toJson(state) } };
    });
}

function validateStep({ destination, probes }: DatabaseRestore): Step {
    return driverStep({ id: "validate", phase: "verify", title: `integrity checks${probes.length ? ` and ${probes.length} SQL probe(s)` : " and row counts"}`, budget: { seconds: 120 } }, async (d, ctx) => {
        const results = await d.database.probe(destination, probes, ctx.wait());
        const bad = results.filter((r) => !r.ok);
        for (const r of results) ctx.progress(`${r.ok ? "ok  " : "BAD "} ${r.name}: ${r.detail}`);
        if (bad.length) throw new StepFailed(`validation failed: ${bad.map((r) => `${r.name} (${r.detail})`).join("; ")}`);
        return { detail: `${results.length} check(s) passed`, data: { probes: toJson(results) } };
    });
}

function promoteStep({ destination }: DatabaseRestore): Step {
    return driverStep({ id: "promote", phase: "act", title: "open the validated copy read-write", budget: { seconds: 120 }, mutates: true }, async (d, ctx) => {
        const state = await d.database.promoteRestored(destination, ctx.wait());
        return { detail: `timeline ${state.timeline ?? "?"}`, data: { restored: toJson(state) } };
    });
}

function openedStep({ destination, inPlace }: DatabaseRestore): Step {
    return driverStep({ id: "opened", phase: "verify", title: "read back: accepts writes, archiving as requested", budget: { seconds: 60 } }, async (d, ctx) => {
        const state = await d.database.inspect(destination, ctx.wait());
        if (state.inRecovery) throw new StepFailed("the copy is still in recovery after promotion");
        if (!inPlace && !archivesNowhere(state)) throw new StepFailed(`archive_mode is "${state.archiveMode}" with archive_command "${state.archiveCommand}" on the opened copy`);
        return { detail: `open read-write on timeline ${state.timeline ?? "?"}; archive_mode ${state.archiveMode}`, data: { restored: toJson(state) } };
    });
}

/** GDPR Art. 17: erasures recorded after the restored point are applied again before anyone is served. */
function replayStep({ inPlace, into, target }: DatabaseRestore, stack: StackContext): Step {
    return replayErasuresStep({
        config: stack.config,
        destinationName: inPlace ? undefined : into,
        database: (ctx) => (ctx.data.restored as { endpoint?: string } | undefined)?.endpoint,
        why: "a restore brings back subjects erased after its target",
        restoredPoint: (ctx) => {
            const at = (ctx.data.restored as { lastCommitAt?: string } | undefined)?.lastCommitAt;
            const setEnd = target.kind === "set" ? (ctx.data.backup as { stoppedAt?: string } | undefined)?.stoppedAt : undefined;
            return at ? new Date(at) : target.kind === "time" ? target.time : setEnd ? new Date(setEnd) : undefined;
        },
    });
}
