/**
 * What a DR stack declares in each mode, as data: the pure half of stacks/dr.ts. The config
 * schema has already rejected contradictory settings (config/rules/dr-*.ts), so every
 * config reaching here describes one of the modes below.
 *
 * | mode        | database                                  | Redis      | workloads              | DR endpoint |
 * |-------------|-------------------------------------------|------------|------------------------|-------------|
 * | pilot-light | standby streaming, falls back to repo2    | tier 2     | critical 1, others 0   | warm, idle  |
 * | rebuild     | from repo2/repo3 (tier 2/3), optional PITR | tier 2 / 3 | critical 1, others 0   | warm, idle  |
 * | promote     | the standby or the rebuild, promoted      | as above   | full replica counts    | serving     |
 */
import type { FortressConfig } from "../../config";
import type { RemoteTierId } from "../../config/vocabulary";

export type DrModeName = "pilot-light" | "rebuild" | "promote";

/** pgBackRest repos of the tiers the DR region can restore from (docs/architecture.md, "PostgreSQL": repo2 in the DR region, repo3 in a third region). */
export const TIER_REPO = { tier2: "repo2", tier3: "repo3" } as const;

export type DatabaseSource =
    | { readonly kind: "stream"; readonly fallbackRepo: "repo2" }
    | { readonly kind: "repo"; readonly tier: RemoteTierId; readonly repo: "repo2" | "repo3"; readonly targetTime?: string };

export interface DrPlan {
    readonly mode: DrModeName;
    /** The mode the DR region was in before a promotion (or the mode itself). */
    readonly baseMode: "pilot-light" | "rebuild";
    readonly database: {
        /** Read-only, following its source; false once promoted or restored to a point in time. */
        readonly standby: boolean;
        readonly source: DatabaseSource;
    };
    readonly redis: { readonly restoreFrom: RemoteTierId };
    readonly workloads: Readonly<Record<string, number>>;
    /** Whether the DR region takes the platform's traffic. */
    readonly serving: boolean;
    /** Whether the standby's replication-lag alarm applies. */
    readonly standbyLagAlarm: boolean;
}

/** Replicas of a service in the DR region: full when serving, else the pilot light. */
export function drReplicas(service: { readonly replicas: number; readonly critical: boolean }, serving: boolean): number {
    if (serving) return service.replicas;
    // A critical service keeps one pod: the DR endpoint's health check then proves the whole
    // path (DNS, load balancer, mesh, pod) every 10 s instead of on the day it is needed.
    return service.critical ? 1 : 0;
}

export function drPlan(config: FortressConfig): DrPlan {
    const d = config.dr;
    if (d === undefined) throw new Error(`drPlan: the config has no dr section; a DR stack sets dr.primaryStack and dr.mode`);
    const serving = d.promote;
    let source: DatabaseSource;
    if (d.mode === "pilot-light") {
        source = { kind: "stream", fallbackRepo: "repo2" };
    } else {
        if (d.restoreFrom === "stream") throw new Error(`drPlan: dr.mode "rebuild" needs dr.restoreFrom "tier2" or "tier3"`);
        source = { kind: "repo", tier: d.restoreFrom, repo: TIER_REPO[d.restoreFrom], ...(d.targetTime ? { targetTime: d.targetTime } : {}) };
    }
    const standby = !d.promote && d.targetTime === undefined;
    return {
        mode: d.promote ? "promote" : d.mode,
        baseMode: d.mode,
        database: { standby, source },
        redis: { restoreFrom: d.mode === "rebuild" && d.restoreFrom !== "stream" ? d.restoreFrom : "tier2" },
        workloads: Object.fromEntries(config.services.map((s) => [s.name, drReplicas(s, serving)])),
        serving,
        standbyLagAlarm: standby,
    };
}

/** The dr section of each mode the plan shows for a DR stack (its own mode first). */
export function modeVariants(config: FortressConfig): { readonly name: DrModeName; readonly dr: Record<string, unknown> }[] {
    const d = config.dr!;
    const { primaryStack, istio } = d;
    const variants = [
        { name: "pilot-light" as const, dr: { primaryStack, istio, mode: "pilot-light", promote: false, restoreFrom: "stream" } },
        { name: "rebuild" as const, dr: { primaryStack, istio, mode: "rebuild", promote: false, restoreFrom: d.mode === "rebuild" ? d.restoreFrom : "tier2", ...(d.targetTime ? { targetTime: d.targetTime } : {}) } },
        { name: "promote" as const, dr: { primaryStack, istio, mode: d.mode, promote: true, restoreFrom: d.restoreFrom, ...(d.targetTime ? { targetTime: d.targetTime } : {}) } },
    ];
    const own = drPlan(config).mode;
    return [...variants.filter((v) => v.name === own), ...variants.filter((v) => v.name !== own)];
}
