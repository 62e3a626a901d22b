/**
 * A DR stack's rows: it owns only the recovery of S3 and S4 (detection and data loss are the
 * primary stack's), and how it recovers depends on its mode: pilot light (a standby cluster
 * promoted), rebuild (restore from a tier), or promoted (already primary).
 */
import { BUDGETS, vendor } from "../constants";
import { ModelContext, Subject, collect } from "../input";
import { pgClusters, standbyPromotion } from "../mechanisms/postgres";
import { redisRestore } from "../mechanisms/redis";
import { RESOURCE_TYPES } from "../resources";
import { Bound, budget } from "../terms";
import { CellObjectives, ScenarioCells } from "./common";

export function drRow(ctx: ModelContext, scenario: string, subject: Subject, _o: CellObjectives): ScenarioCells {
    const none: Bound = { missing: "owned by the primary stack" };
    if (scenario !== "S3" && scenario !== "S4") return { detect: none, rto: none, rpo: none, notOwned: ["detect", "rto", "rpo"] };
    const dr = ctx.input.dr;
    const scale = budget("scaling the DR region's workloads", BUDGETS.drScaleUp.seconds, BUDGETS.drScaleUp.from);
    let rto: Bound;
    if (dr?.mode === "rebuild") {
        rto = {
            mechanism: ctx.input.cluster === "eks" ? "rebuild on a new EKS cluster" : "rebuild on the DR cluster",
            terms: [
                ...(ctx.input.cluster === "eks" ? [vendor("eksControlPlaneCreatePlanning")] : []),
                budget(`restoring from ${dr.restoreFrom} and deploying`, BUDGETS.cleanSlateDeploy.seconds, BUDGETS.cleanSlateDeploy.from),
                ...(subject === "cache" ? [redisRestore(ctx)] : []),
            ],
        };
    } else if (dr?.promote) {
        rto = { mechanism: "the promoted region already serves", terms: [budget(subject === "database" ? "the promoted cluster taking writes" : "workloads serving from the promoted region", 30, "allowance: the promotion already happened; reconnection only")] };
    } else {
        const standby = collect(ctx, pgClusters(ctx.resources)).some((c) => c.standby);
        rto =
            subject === "database" && !standby
                ? { missing: `pilot-light mode, but no standby PostgreSQL cluster (${RESOURCE_TYPES.pgCluster} with spec.standby.enabled) is declared` }
                : subject === "database"
                  ? standbyPromotion(ctx)
                  : subject === "cache"
                    ? { mechanism: "Redis restored in the DR region, workloads scaled", terms: [redisRestore(ctx), scale] }
                    : { mechanism: "workloads scaled up and pointed at the promoted database", terms: [scale] };
    }
    return { detect: none, rto, rpo: none, notOwned: ["detect", "rpo"] };
}
