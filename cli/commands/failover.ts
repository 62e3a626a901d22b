/**
 * `fortress failover`: cross-region. Order is the guard: pre-flight (standby lag against the
 * database RPO, tier-2 WAL position, DR capacity) → refuse if the expected loss exceeds the RPO
 * without --accept-data-loss → fence the old primary (writes AND repo writes) → prove the fence
 * from outside → promote the DR standby to at least the fenced position → switch traffic →
 * confirm what the world's DNS answers → report the measured data-loss window.
 *
 * Nothing on this path needs a control plane in the failed primary region: positions are read
 * from the DR side, the fence is proved from outside (on the platform: a bucket-policy Deny read
 * back in the DR and tier-3 regions, and the failover records resolved at the zone's name
 * servers), traffic is confirmed through the Route 53 data plane (health-check failover) rather
 * than made by a primary-region API call.
 */
import type { CommandDef } from "../command";
import { GuardRefusal, PreflightError, StepFailed, UsageError } from "../errors";
import { formatSeconds, lsnToBytes, parseDuration } from "../parse";
import type { Json, Step, StepContext, StepResult } from "../runner";
import type { DatabasePositions, Driver, FailoverPrimitives, FenceProof } from "../drivers/types";
import type { StackContext } from "../stack";
import { databaseRpoSeconds, driverStep, need, pick, toJson } from "./common";
import { replayErasuresStep } from "../erasure/step";

/** The expected loss, worst case: the standby's replay lag, or unbounded when it cannot be read. */
export function expectedLossSeconds(p: DatabasePositions): number {
    return p.standby?.replayLagSeconds ?? Infinity;
}

/** A step that acts through the driver's failover primitives (pre-flight refuses a driver without them). */
function failoverStep(step: Omit<Step, "run">, run: (f: FailoverPrimitives, ctx: StepContext, d: Driver) => Promise<StepResult>): Step {
    return driverStep(step, (d, ctx) => run(need(d, d.failover, "cross-region failover"), ctx, d));
}

function preflightStep(): Step {
    return driverStep(
        { id: "preflight", phase: "preflight", title: "standby lag vs RPO, tier-2 WAL position, DR capacity (read from the DR side)", budget: { seconds: 60 } },
        async (d, ctx) => {
            const f = need(d, d.failover, "cross-region failover");
            need(d, d.traffic, "traffic");
            const pos = await f.positions(ctx.wait());
            const cap = await f.drCapacity(ctx.wait());
            if (!cap.ok) throw new PreflightError(`DR capacity: ${cap.detail}`);
            const loss = expectedLossSeconds(pos);
            return { detail: `standby replay lag ${formatSeconds(loss)}; tier-2 WAL ${pos.archived.tier2?.wal ?? "unknown"}; ${cap.detail}`, data: { positions: toJson(pos), expectedLossSeconds: Number.isFinite(loss) ? loss : null } };
        },
    );
}

function lossGuardStep(rpo: number, accepted: number | undefined, bound: number): Step {
    const andAccepted = accepted !== undefined ? ` and the accepted ${formatSeconds(accepted)}` : "";
    return {
        id: "loss-guard",
        phase: "plan",
        title: `expected loss <= RPO ${formatSeconds(rpo)}${accepted !== undefined ? ` or the accepted ${formatSeconds(accepted)}` : ""}`,
        budget: { seconds: 5 },
        async run(ctx) {
            const loss = ctx.data.expectedLossSeconds as number | null;
            if (loss === null) throw new GuardRefusal(`the standby's lag cannot be read, so the loss is unbounded; pass --accept-data-loss=<duration> only if you accept that`);
            if (loss > bound) throw new GuardRefusal(`expected loss ${formatSeconds(loss)} exceeds the database RPO ${formatSeconds(rpo)}${andAccepted}; pass --accept-data-loss=${Math.ceil(loss)}s to accept it`);
            return { detail: `expected loss ${formatSeconds(loss)} within ${formatSeconds(bound)}` };
        },
    };
}

const fenceStep = () =>
    failoverStep(
        { id: "fence", phase: "act", title: "fence the old primary: its writes and its repo writes stop", budget: { figureId: "failover.fence.seconds", seconds: 60 }, mutates: true },
        async (f, ctx) => {
            const p = await f.fencePrimary(ctx.wait());
            return { detail: p.evidence.join("; "), data: { fence: toJson(p) } };
        },
    );

const fenceProvedStep = () =>
    failoverStep(
        { id: "fence-proved", phase: "verify", title: "prove the fence from outside (never trusting the fencing call's own answer)", budget: { seconds: 60 } },
        async (f, ctx) => {
            const p: FenceProof = await f.proveFenced(ctx.wait());
            if (!p.writesStopped || !p.repoWritesStopped) throw new GuardRefusal(`fence not proved (writes stopped: ${p.writesStopped}, repo writes stopped: ${p.repoWritesStopped}): ${p.evidence.join("; ")}; no promotion`);
            return { detail: p.evidence.join("; "), data: { fenceProof: toJson(p) } };
        },
    );

const promoteStep = () =>
    failoverStep(
        { id: "promote", phase: "act", title: "promote the DR standby to at least the fenced position", budget: { figureId: "failover.promote.seconds", seconds: 120 }, mutates: true },
        async (f, ctx) => {
            const fenced = (ctx.data.fenceProof as { fencedAtLsn?: string } | undefined)?.fencedAtLsn;
            const r = await f.promoteStandby(fenced, ctx.wait());
            if (fenced && lsnToBytes(r.promotedAtLsn) < lsnToBytes(fenced)) throw new StepFailed(`promoted at ${r.promotedAtLsn}, before the fenced position ${fenced}`);
            return { detail: `promoted at ${r.promotedAtLsn} on timeline ${r.timeline}`, data: { promoted: toJson(r) } };
        },
    );

/** GDPR Art. 17: a lagging standby (or a rebuild from a backup) misses erasures the primary made; replay them before traffic. */
function erasureStep(stack: StackContext): Step {
    return replayErasuresStep({
        config: stack.config,
        why: "the promoted standby may lag the primary's erasures",
        restoredPoint: (ctx) => {
            const at = (ctx.data.positions as { standby?: { lastReplayAt?: string } } | undefined)?.standby?.lastReplayAt;
            return at ? new Date(at) : undefined;
        },
    });
}

function trafficSteps(): Step[] {
    return [
        driverStep({ id: "switch-traffic", phase: "act", title: "point traffic at the DR region", budget: { seconds: 300 }, mutates: true }, async (d, ctx) => {
            const lines = await need(d, d.traffic, "traffic").switchTo("dr", ctx.wait());
            return { detail: lines.join("; ") };
        }),
        driverStep(
            { id: "traffic-confirmed", phase: "verify", title: "confirm the answer the world gets (the failover records at the zone's name servers)", budget: { figureId: "failover.dns.seconds", seconds: 120 } },
            async (d, ctx) => {
                const r = await need(d, d.traffic, "traffic").confirm("dr", ctx.wait());
                if (!r.ok) throw new StepFailed(`traffic not confirmed on the DR region: ${r.detail}`);
                return { detail: r.detail };
            },
        ),
    ];
}

function lossWindowStep(): Step {
    return {
        id: "loss-window",
        phase: "verify",
        title: "measure the data-loss window (fenced position vs promoted position)",
        budget: { seconds: 10 },
        async run(ctx) {
            const fence = ctx.data.fenceProof as { fencedAtLsn?: string } | undefined;
            const promoted = ctx.data.promoted as { promotedAtLsn: string } | undefined;
            const bytes = fence?.fencedAtLsn && promoted ? Math.max(0, lsnToBytes(fence.fencedAtLsn) - lsnToBytes(promoted.promotedAtLsn)) : null;
            return { detail: bytes === null ? `fenced position unknown; expected loss was ${formatSeconds(Number(ctx.data.expectedLossSeconds ?? NaN))}` : `${bytes} bytes of WAL not on the promoted side`, data: { lostWalBytes: bytes } };
        },
    };
}

/** `--unfence` (fail-back): the fence that outlives the incident removed and proved gone; nothing else. */
function unfenceSteps(): Step[] {
    return [
        failoverStep(
            { id: "unfence", phase: "act", title: "remove the failover fence (bucket-policy Deny on the old primary's writers) and read back that it is gone", budget: { seconds: 60 }, mutates: true },
            async (f, ctx, d) => {
                if (!f.liftFence) throw new PreflightError(`driver ${d.name} leaves no fence behind to lift`);
                const r = await f.liftFence(ctx.wait());
                if (!r.ok) throw new StepFailed(`fence not lifted: ${r.evidence.join("; ")}`);
                return { detail: r.evidence.join("; ") };
            },
        ),
    ];
}

export const failover: CommandDef = {
    name: "failover",
    summary: "cross-region: fence the old primary, prove it, promote the DR standby, switch and confirm traffic; refuses a loss above the RPO",
    help: `
Steps: pre-flight (standby lag vs the database RPO, tier-2 WAL, DR capacity) → data-loss guard →
confirm → fence the primary (writes and repo writes) → prove the fence from outside → promote
the DR standby to at least the fenced position → switch traffic (the DR stack's
endpoints.activeRegion / dr.promote through the Pulumi Automation API on the platform) →
confirm the DNS answer → report the measured data-loss window.

Platform (run on the DR stack; nothing on the path needs the primary region's control plane):
the fence is a Deny statement FortressFailoverFence for the primary's writer roles in the
policy of the tier-2 (DR region) and tier-3 buckets and the uploads' DR copy, read back; writes are proved stopped when
the zone's authoritative name servers answer every hostname's DR target for the records' TTL
(Route 53 health-check failover, the data plane) — or when the primary's API answers and shows
its cluster paused (spec.pause is sent there too, best effort). Without both proofs the
command refuses (exit 3). Promotion: spec.standby.enabled=false, then dr.promote=true on the DR
stack. Fail-back: fortress failover --unfence removes the Deny (proved gone).

Guards: no promotion without a proved fence (exit 3); a failover whose expected loss exceeds
the database RPO is refused unless --accept-data-loss=<duration> covers it (exit 3).

Examples:
  fortress failover --stack prod-dr --reason "INC-77 us-east-1 down" --dry-run
  fortress failover --stack prod-dr --reason "INC-77 us-east-1 down" --accept-data-loss=5m --yes
  fortress failover --stack prod-dr --reason "INC-77 fail-back: us-east-1 rebuilt as standby" --unfence --yes`,
    reasonRequired: true,
    defaultTimeoutSeconds: 900,
    options(cmd) {
        cmd.option("--accept-data-loss <duration>", "accept an expected loss up to this (e.g. 5m) when it exceeds the RPO");
        cmd.option("--unfence", "fail-back only: remove the failover fence (the bucket-policy Deny on the old primary's writers) and prove it gone");
    },
    fingerprint: (opts) => pick(opts, ["acceptDataLoss", "unfence"]),
    plan({ opts, stack }) {
        if (opts.unfence) {
            if (opts.acceptDataLoss !== undefined) throw new UsageError("--unfence takes no --accept-data-loss: it only lifts the fence");
            return { destructive: true, dataLossBound: { seconds: null, why: "lifting the fence moves no data" }, steps: unfenceSteps() };
        }
        const rpo = databaseRpoSeconds(stack);
        const accepted = opts.acceptDataLoss !== undefined ? parseDuration("--accept-data-loss", String(opts.acceptDataLoss)) : undefined;
        const bound = Math.max(rpo, accepted ?? 0);
        const steps: Step[] = [preflightStep(), lossGuardStep(rpo, accepted, bound), fenceStep(), fenceProvedStep(), promoteStep(), erasureStep(stack), ...trafficSteps(), lossWindowStep()];
        return {
            destructive: true,
            dataLossBound: { seconds: bound, why: accepted !== undefined ? `accepted by --accept-data-loss (${formatSeconds(accepted)}), at least the RPO` : `the database RPO; a larger expected loss is refused` },
            steps,
            result: (data: Record<string, Json>) => ({ positions: data.positions ?? null, fence: data.fenceProof ?? null, promoted: data.promoted ?? null, lostWalBytes: data.lostWalBytes ?? null, expectedLossSeconds: data.expectedLossSeconds ?? null, erasuresReplayed: data.erasuresReplayed ?? null }),
        };
    },
};
