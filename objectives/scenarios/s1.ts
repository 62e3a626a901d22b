/**
 * S1 service failure: a pod, a process or a node fails in the primary cluster.
 */
import { figure } from "../input";
import { NO_PG, inRegionPromotion, patroniDetection, pgCluster } from "../mechanisms/postgres";
import { cacheCrashLoss, sentinelDetection, sentinelFailover } from "../mechanisms/redis";
import { nodeLossDetection, probeDetection, serviceRestore } from "../mechanisms/workloads";
import { vendor } from "../constants";
import { Bound, then, worstOf } from "../terms";
import { ScenarioModule, stateless } from "./common";

export const s1: ScenarioModule = (ctx, subject) => {
    if (subject === "services") {
        // Both failure modes must be covered: a hung container (probes) and a lost node (no
        // probes run; the node controller's grace period).
        const detect = worstOf(probeDetection(ctx), nodeLossDetection());
        return { detect, rto: then(detect, serviceRestore(ctx)), rpo: stateless };
    }
    if (subject === "database") {
        const pg = pgCluster(ctx);
        if (!pg) return { detect: { missing: NO_PG }, rto: { missing: NO_PG }, rpo: { missing: NO_PG } };
        const d = patroniDetection(pg);
        const lost = figure(ctx, "failover.inregion.lost_commits");
        const rpo: Bound =
            pg.instances < 2
                ? { missing: `${pg.name} has ${pg.instances} instance: nothing to fail over to` }
                : !pg.synchronousMode
                  ? { missing: `${pg.name} replicates asynchronously: a failover loses what the replica had not received, bounded in bytes (maximum_lag_on_failover), not time; set spec.patroni.dynamicConfiguration.synchronous_mode: true` }
                  : lost && lost.value > 0
                    ? { missing: `the failover drill lost ${lost.value} acknowledged commits in an in-region failover (${lost.ref}) despite synchronous mode` }
                    : { mechanism: `Patroni synchronous replication (${pg.instances} instances)`, terms: [vendor("patroniSynchronous")], notes: lost ? [`failover drill: ${lost.value} commits lost (${lost.ref})`] : [] };
        return { detect: d, rto: then(d, inRegionPromotion(ctx)), rpo };
    }
    // cache
    const d = sentinelDetection(ctx);
    return { detect: d, rto: then(d, sentinelFailover(ctx)), rpo: cacheCrashLoss(ctx) };
};
