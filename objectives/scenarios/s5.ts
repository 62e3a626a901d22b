/**
 * S5 security breach: detected by Falco, GuardDuty or the backup-tampering rule; recovered by
 * isolating the breach and a clean-slate rebuild restored from tier 3 (immutable).
 */
import { BUDGETS, CONSTANTS, vendor } from "../constants";
import { ModelContext, Subject } from "../input";
import { bestRestore, pgCluster, walArchive, NO_PG } from "../mechanisms/postgres";
import { redisBackupJobs, redisRestore, snapshotPath } from "../mechanisms/redis";
import { bucketPath } from "../mechanisms/replication";
import { securityDetection } from "../mechanisms/security";
import { Bound, Term, budget, then } from "../terms";
import { CellObjectives, ScenarioCells, git, stateless } from "./common";

function rebuild(ctx: ModelContext, subject: Subject): Bound {
    const terms: Term[] = [];
    if (ctx.input.cluster === "eks") terms.push(vendor("eksControlPlaneCreatePlanning"));
    terms.push(budget(ctx.input.cluster === "eks" ? "deploying the platform on the new cluster" : "clean-slate rebuild on the existing cluster", BUDGETS.cleanSlateDeploy.seconds, BUDGETS.cleanSlateDeploy.from));
    if (subject === "database") {
        const pg = pgCluster(ctx);
        if (!pg) return { missing: NO_PG };
        const restore = bestRestore(ctx, pg, (r) => r.kind === "s3" && r.region === ctx.input.regions.tier3);
        if ("missing" in restore) return restore;
        terms.push(...restore.terms);
    }
    if (subject === "cache") terms.push(redisRestore(ctx));
    return {
        mechanism: ctx.input.cluster === "eks" ? "clean-slate rebuild on a new EKS cluster, restored from tier 3" : "clean-slate rebuild on the existing cluster, restored from tier 3",
        terms,
        notes: ctx.input.cluster === "eks" ? [`AWS states ${CONSTANTS.eksControlPlaneCreateAverage.seconds} s on average (${CONSTANTS.eksControlPlaneCreateAverage.source.ref})`] : [],
    };
}

export function s5(ctx: ModelContext, subject: Subject, o: CellObjectives): ScenarioCells {
    const detect = securityDetection(ctx, subject, o.detect);
    const isolate: Bound = { mechanism: "isolation", terms: [budget("isolating the breach", BUDGETS.breachIsolation.seconds, BUDGETS.breachIsolation.from)] };
    const rto = then(then(detect, isolate), rebuild(ctx, subject));
    const pg = subject === "database" ? pgCluster(ctx) : undefined;
    const rpo: Bound =
        subject === "services"
            ? stateless
            : subject === "configuration"
              ? git
              : subject === "uploads"
                ? bucketPath(ctx, "S5", subject, "uploads")
                : subject === "logs"
                  ? bucketPath(ctx, "S5", subject, "log-archive")
                  : subject === "cache"
                    ? snapshotPath(ctx, redisBackupJobs(ctx).filter((j) => j.tier === "tier3"), "to tier 3 (immutable)")
                    : !pg
                      ? { missing: NO_PG }
                      : walArchive(ctx, pg, (r) => r.kind === "s3" && r.region === ctx.input.regions.tier3, `tier 3 (${ctx.input.regions.tier3}, Object Lock) only; tiers 1 and 2 may be tampered with`);
    return { detect, rto, rpo };
}
