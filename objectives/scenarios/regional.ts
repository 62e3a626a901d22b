/**
 * S3 complete infrastructure failure and S4 regional disaster: Route 53 detects the primary
 * endpoint down, DNS moves clients to the DR region, and the DR stack takes over. They differ
 * in what survives: S3 loses the cluster and its volumes; S4 the whole primary region.
 */
import { BUDGETS, CONSTANTS } from "../constants";
import { ModelContext, Subject, figure, measured } from "../input";
import { dnsDetection, dnsSwitch } from "../mechanisms/dns";
import { NO_PG, pgCluster, standbyPromotion, walArchive } from "../mechanisms/postgres";
import { redisBackupJobs, redisRestore, snapshotPath } from "../mechanisms/redis";
import { bucketPath, bucketsFor, missingClass, replicationFrom, rtcTerm } from "../mechanisms/replication";
import { RESOURCE_TYPES } from "../resources";
import { Bound, Term, budget, isMissing, then } from "../terms";
import { CellObjectives, ScenarioCells, git, stateless } from "./common";

function takeover(ctx: ModelContext, subject: Subject): Bound {
    if (subject === "database") return standbyPromotion(ctx);
    const scale = budget("scaling the DR region's workloads", BUDGETS.drScaleUp.seconds, BUDGETS.drScaleUp.from);
    if (subject === "cache") return { mechanism: "Redis restored from its newest snapshot in the DR region", terms: [redisRestore(ctx), scale] };
    return { mechanism: "the DR stack scales the platform's workloads", terms: [scale] };
}

function logsPath(ctx: ModelContext, scenario: "S3" | "S4", subject: Subject): Bound {
    const path = bucketPath(ctx, scenario, subject, "log-archive");
    if (isMissing(path)) return path;
    const delivery: Term[] = [
        { label: "CloudTrail log file delivery into the archive (average about 5 min, not guaranteed)", seconds: 300, basis: "typical", source: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html" },
        budget("S3 server access log delivery (best effort)", BUDGETS.accessLogDelivery.seconds, BUDGETS.accessLogDelivery.from, "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html"),
    ];
    // Delivery into the archive happens before the archive's own protection applies: the larger
    // of the two delivery paths bounds what a failure catches in flight.
    const worst = delivery.reduce((a, b) => (a.seconds >= b.seconds ? a : b));
    return { ...path, terms: [...path.terms, worst], notes: [...(path.notes ?? []), "logs are the account's audit logs (CloudTrail, S3 access logs) in the log archive"] };
}

function cachePath(ctx: ModelContext, scenario: "S3" | "S4"): Bound | Bound[] {
    const jobs = redisBackupJobs(ctx);
    if (scenario === "S3") return snapshotPath(ctx, jobs, "to any tier (S3 outlives the cluster)");
    const direct = snapshotPath(ctx, jobs.filter((j) => j.tier === "tier2" || j.tier === "tier3"), "straight to tier 2 or 3 (out of the region)");
    const tier1Bucket = ctx.resources.find((r) => r.type === RESOURCE_TYPES.bucket && r.inputs.tags?.["fortress:tier"] === "tier1");
    const rtc = (tier1Bucket ? replicationFrom(ctx, tier1Bucket) : []).find((r) => "tier1/".startsWith(r.prefix) && r.rtcMinutes !== undefined);
    const tier1 = snapshotPath(ctx, jobs.filter((j) => j.tier === "tier1"), `to tier 1, replicated by rule ${rtc?.id}`);
    if (!rtc) return [direct, { missing: "no replication rule with Replication Time Control covers tier1/: replication without RTC has no time bound" }];
    if (isMissing(tier1)) return [direct, tier1];
    const { term, note } = rtcTerm(ctx, rtc);
    return [direct, { ...tier1, terms: [...tier1.terms, term], notes: [...(tier1.notes ?? []), note] }];
}

function databasePath(ctx: ModelContext, scenario: "S3" | "S4"): Bound | Bound[] {
    const pg = pgCluster(ctx);
    if (!pg) return { missing: NO_PG };
    const primary = ctx.input.regions.primary;
    if (scenario === "S3") return walArchive(ctx, pg, (r) => r.kind !== "volume", "object storage outlives the cluster and its volumes");
    const archive = walArchive(ctx, pg, (r) => r.kind !== "volume" && r.region !== undefined && r.region !== primary, `a region other than ${primary}`);
    // The DR standby streams from the primary: its loss is what it had not received.
    const lw = measured(ctx, "failover.regional.loss_window_seconds", "regional failover: span of acknowledged commits lost");
    const standby: Bound = lw
        ? { mechanism: "the DR standby cluster (streaming replication)", terms: [lw] }
        : { mechanism: "the DR standby cluster (streaming replication)", terms: [{ label: `standby replication lag alarm at the ${ctx.input.objectives.dataClasses.database.rpoSeconds} s database RPO (an alarm, not a bound; no failover drill report yet)`, seconds: ctx.input.objectives.dataClasses.database.rpoSeconds, basis: "typical", source: "stacks/dr.ts standbyLagAlarm" }] };
    const visible = figure(ctx, "failover.regional.old_primary_writes_visible");
    if (visible && visible.value !== 0) return [archive, { missing: `the failover drill saw writes to the fenced old primary after the failover (${visible.ref})` }];
    return [archive, standby];
}

export function regional(scenario: "S3" | "S4") {
    return (ctx: ModelContext, subject: Subject, _o: CellObjectives): ScenarioCells => {
        const detect = dnsDetection(ctx);
        const stored = subject === "logs" ? bucketsFor(ctx, "log-archive") : subject === "uploads" ? bucketsFor(ctx, "uploads") : undefined;
        const rto = stored !== undefined && stored.length === 0 ? missingClass(subject) : then(then(detect, dnsSwitch(ctx)), takeover(ctx, subject));
        const rpo: Bound | Bound[] =
            subject === "services"
                ? stateless
                : subject === "configuration"
                  ? git
                  : subject === "uploads"
                    ? bucketPath(ctx, scenario, subject, "uploads")
                    : subject === "logs"
                      ? logsPath(ctx, scenario, subject)
                      : subject === "cache"
                        ? cachePath(ctx, scenario)
                        : databasePath(ctx, scenario);
        return { detect, rto, rpo };
    };
}

export const s3 = regional("S3");
export const s4 = regional("S4");
export { CONSTANTS };
