/**
 * S2 database corruption: found by the scheduled verify (the guaranteed detector) or, when a
 * corrupted page is read, by the checksum watch (typical); recovered by a point-in-time
 * restore to before the corruption, which discards every write after it.
 */
import { BUDGETS } from "../constants";
import { collect } from "../input";
import { scheduledJobs } from "../mechanisms/jobs";
import { NO_PG, bestRestore, checksumWatch, pgCluster, verifyDetection } from "../mechanisms/postgres";
import { Bound, budget, then } from "../terms";
import { ScenarioModule } from "./common";

export const s2: ScenarioModule = (ctx) => {
    const pg = pgCluster(ctx);
    if (!pg) return { detect: { missing: NO_PG }, rto: { missing: NO_PG }, rpo: { missing: NO_PG } };
    const verify = verifyDetection(ctx, collect(ctx, scheduledJobs(ctx.resources)));
    const watch = checksumWatch(ctx);
    const restore = bestRestore(ctx, pg, () => true);
    // A PITR to before the corruption discards what was written after it: everything until the
    // corruption is detected and the writers are stopped.
    const stop: Bound = { mechanism: "writes after the corruption until the writers stop", terms: [budget("stopping the writers after the alert (runbook: scale the services to 0)", 30, "incident runbook allowance; " + BUDGETS.breachIsolation.from.split(":")[0])] };
    return {
        detect: [verify, watch],
        rto: [then(verify, restore), then(watch, restore)],
        rpo: [then(verify, stop), then(watch, stop)].map((b) => ("missing" in b ? b : { ...b, mechanism: `PITR to before the corruption discards the writes since: ${b.mechanism}` })),
    };
};
