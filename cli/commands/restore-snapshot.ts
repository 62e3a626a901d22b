/**
 * `fortress restore --class cache|configuration|secrets`: a snapshot (the newest in the tier, or
 * `--snapshot`) restored into a scratch destination by default and validated there before the
 * run is declared done. The snapshot is fetched and checked — stored checksum and size,
 * decryption with the configured key, payload checksum, that it loads — BEFORE anything is
 * created (a plan step, so a corrupt snapshot or a wrong key stops the run at pre-flight, exit 4,
 * naming the object; a dry run checks it too). In place only with `--in-place` and a source
 * proved fenced from outside (exit 3 otherwise).
 */
import { maxIntervalSeconds } from "../../components/core/cron";
import type { Driver, RestoreDestination, Snapshot, SnapshotClass, SnapshotPrimitives, SnapshotProbe, Tier } from "../drivers/types";
import { GuardRefusal, PreflightError, StepFailed } from "../errors";
import { formatSeconds } from "../parse";
import type { CommandPlan, Json, Step, StepContext, StepResult } from "../runner";
import type { StackContext } from "../stack";
import { connectStep, driverStep, need, tiersKeeping, toJson } from "./common";

/** What a snapshot restore does: from which tier, which snapshot (default the newest), into where, with which probes. */
export interface SnapshotRestoreOptions {
    readonly tier: Tier;
    readonly into: string;
    readonly inPlace: boolean;
    readonly snapshot?: string;
    readonly probes: readonly SnapshotProbe[];
}

/** `--snapshot`: the manifest key, or its stamp ("20261203T094500Z"). */
export function chooseSnapshot(snaps: readonly Snapshot[], wanted: string | undefined, dc: SnapshotClass, tier: Tier): Snapshot {
    const sorted = [...snaps].sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime() || a.id.localeCompare(b.id));
    if (sorted.length === 0) throw new PreflightError(`--from ${tier}: no ${dc} snapshot in the tier; take one (fortress backup --class ${dc} --tier ${tier}) or choose another --from`);
    if (wanted === undefined) return sorted[sorted.length - 1];
    const s = sorted.find((x) => x.id === wanted || x.id.endsWith(`/${wanted}.manifest.json`) || x.id.endsWith(`/${wanted}`));
    if (!s) throw new PreflightError(`--snapshot ${wanted}: no such ${dc} snapshot in ${tier}; the newest are ${sorted.slice(-3).map((x) => x.id).join(", ")}`);
    return s;
}

export function snapshotRestorePlan(dc: SnapshotClass, o: SnapshotRestoreOptions, stack: StackContext): CommandPlan {
    const destination: RestoreDestination = { kind: o.inPlace ? "in-place" : "scratch", name: o.into };
    const schedule = tiersKeeping(stack, dc).tiers[o.tier];
    const interval = schedule ? maxIntervalSeconds(schedule.snapshot) : undefined;
    const steps: Step[] = [
        connectStep(`reach the driver; it has ${dc} primitives`, (d) => need(d, d[dc], dc)),
        guardSourceStep(dc, o),
        chooseSnapshotStep(dc, o),
        verifySnapshotStep(dc),
        restoreStep(dc, o, destination),
        validateStep(dc, o),
    ];
    return {
        destructive: true,
        dataLossBound: {
            seconds: o.snapshot === undefined && interval !== undefined ? interval : null,
            why: `the copy holds the ${dc} as of the snapshot it restores (${o.snapshot ? `--snapshot ${o.snapshot}` : `the newest in ${o.tier}; the tier's schedule bounds its age to ${interval !== undefined ? formatSeconds(interval) : "?"}`}); later writes are not in it${o.inPlace ? " — in place they are replaced" : "; the source is untouched"}`,
        },
        steps,
        result: (data: Record<string, Json>) => ({ dataClass: dc, from: o.tier, snapshot: data.snapshot ?? null, destination: toJson(destination), restored: data.restored ?? null, probes: data.probes ?? null }),
        judge: (data) => {
            const ep = (data.restored as { endpoint?: string } | null)?.endpoint;
            return { outcome: "done", message: `${dc} snapshot ${(data.snapshot as { id?: string } | null)?.id ?? "?"} restored into ${ep ?? "?"} and validated${o.inPlace ? " (in place: start the service on it)" : " (scratch: inspect it there; the source was not touched)"}` };
        },
    };
}

/** A step on the class's snapshot primitives (the driver must have them). */
function snapshotStep(dc: SnapshotClass, step: Omit<Step, "run">, run: (prims: SnapshotPrimitives, ctx: StepContext, d: Driver) => Promise<StepResult>): Step {
    return driverStep(step, (d, ctx) => run(need(d, d[dc], dc), ctx, d));
}

function guardSourceStep(dc: SnapshotClass, o: SnapshotRestoreOptions): Step {
    const title = o.inPlace ? `--in-place: the live ${dc} source is proved fenced` : `destination is a new scratch target, not the live ${dc}`;
    return snapshotStep(dc, { id: "guard-source", phase: "preflight", title, budget: { seconds: 30 } }, async (p, ctx, d) => {
        if (!o.inPlace) return { detail: `new destination "${o.into}"; the source is not touched` };
        if (!p.sourceFenced) throw new PreflightError(`driver ${d.name} has no in-place restore for ${dc}; restore into a scratch destination (drop --in-place) and apply from there`);
        const proof = await p.sourceFenced(ctx.wait());
        if (!proof.fenced) throw new GuardRefusal(`--in-place refused: the ${dc} source is not proved fenced (${proof.evidence.join("; ")}); stop it first or restore into a new destination`);
        return { detail: `source fenced: ${proof.evidence.join("; ")}` };
    });
}

function chooseSnapshotStep(dc: SnapshotClass, o: SnapshotRestoreOptions): Step {
    return snapshotStep(dc, { id: "choose-snapshot", phase: "plan", title: `choose the ${o.snapshot ? `snapshot ${o.snapshot}` : "newest snapshot"} in ${o.tier}`, budget: { seconds: 60 } }, async (p, ctx) => {
        const s = chooseSnapshot(await p.list(o.tier, ctx.wait()), o.snapshot, dc, o.tier);
        const age = (Date.now() - s.takenAt.getTime()) / 1000;
        return { detail: `${s.id} (taken ${s.takenAt.toISOString()}, ${formatSeconds(age)} ago; writes after it are not in the copy)`, data: { snapshot: toJson(s) } };
    });
}

/** Fetches and checks the snapshot before anything is created: a bad one stops the run at pre-flight. */
function verifySnapshotStep(dc: SnapshotClass): Step {
    const title = "fetch and check the snapshot before touching anything: stored checksum and size, decryption, payload checksum, loads";
    return snapshotStep(dc, { id: "verify-snapshot", phase: "plan", title, budget: { seconds: 120 } }, async (p, ctx) => {
        const s = revive(ctx.data.snapshot);
        const bad = (await p.verify(s, ctx.wait())).filter((f) => f.severity === "error");
        if (bad.length) throw new PreflightError(`snapshot ${s.id} fails its checks, nothing was restored: ${bad.map((f) => `${f.object} ${f.check}: ${f.message}`).join("; ")}; choose another with --snapshot`);
        return { detail: `${s.object ?? s.id}: checksum matches, decrypts, loads` };
    });
}

function restoreStep(dc: SnapshotClass, o: SnapshotRestoreOptions, destination: RestoreDestination): Step {
    return snapshotStep(
        dc,
        {
            id: "restore",
            phase: "act",
            title: `restore the ${dc} snapshot from ${o.tier} into ${o.inPlace ? "the source (in place)" : `scratch "${o.into}"`}, validated there`,
            budget: { figureId: dc === "cache" ? "recovery.cache.restore.seconds" : `recovery.${dc}.restore.seconds`, seconds: 300 },
            mutates: true,
        },
        async (p, ctx) => {
            const r = await p.restore(revive(ctx.data.snapshot), destination, o.probes, ctx.wait());
            for (const pr of r.probes) ctx.progress(`${pr.ok ? "ok  " : "BAD "} ${pr.name}: ${pr.detail}`);
            return { detail: `restored into ${r.endpoint}`, data: { restored: toJson({ endpoint: r.endpoint, destination: r.destination }), probes: toJson(r.probes) } };
        },
    );
}

/** The validation the restore ran, read back from its result: every check passed, and there was at least one. */
function validateStep(dc: SnapshotClass, o: SnapshotRestoreOptions): Step {
    return {
        id: "validate",
        phase: "verify",
        title: `validation read back from the restored ${dc}: ${dc === "cache" ? "key count against the snapshot's" : "every file against the bundle's index, file count"}${o.probes.length ? ` and ${o.probes.length} probe(s)` : ""}`,
        budget: { seconds: 60 },
        async run(ctx) {
            const probes = (ctx.data.probes as unknown as { name: string; ok: boolean; detail: string }[]) ?? [];
            const bad = probes.filter((p) => !p.ok);
            if (probes.length === 0) throw new StepFailed("the restore returned no validation result");
            if (bad.length) throw new StepFailed(`validation failed: ${bad.map((p) => `${p.name} (${p.detail})`).join("; ")}`);
            return { detail: `${probes.length} check(s) passed: ${probes.map((p) => p.name).join(", ")}` };
        },
    };
}

/** A snapshot read back from the state file (dates are strings there). */
function revive(j: Json | undefined): Snapshot {
    if (!j || typeof j !== "object") throw new StepFailed("no snapshot was chosen (the choose-snapshot step has no result)");
    const s = j as unknown as Snapshot & { takenAt: string };
    return { ...s, takenAt: new Date(s.takenAt) };
}
