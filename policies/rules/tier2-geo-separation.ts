import { AWS_REGIONS, MIN_TIER2_DISTANCE_KM, greatCircleKm } from "../../components/core/regions";
import { TIER_REPOS } from "../../components/postgres/pgbackrest";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";

interface Location {
    readonly lat: number;
    readonly lon: number;
    /** Where the coordinates come from. */
    readonly source: string;
}
interface Config {
    /** Coordinates for places missing from components/core/regions.ts (a new region, a surveyed site). */
    readonly extraLocations?: Readonly<Record<string, Location>>;
}

/**
 * Tier 2 survives the loss of the primary region: every tier-2 store (the tier-2 bucket and
 * pgBackRest's tier-2 repository) is at least 80 km from the primary by great-circle distance.
 * Coordinates are those of components/core/regions.ts (metro of each AWS region, with its
 * source there); a place not in that table is a violation, never a guess.
 */
export const tier2GeoSeparation = stackRule({
    name: "tier2-geo-separation",
    description: `Tier 2 is at least ${MIN_TIER2_DISTANCE_KM} km from the primary region by great-circle distance.`,
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: [CONTROLS.hipaaDisasterRecovery, CONTROLS.hipaaMediaBackup, CONTROLS.gdprRestore, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations],
    remediationSteps: `Put tier 2 (regions.dr) in a region at least ${MIN_TIER2_DISTANCE_KM} km from regions.primary; for a place not in components/core/regions.ts, add it there with its source.`,
    configSchema: {
        properties: {
            extraLocations: {
                type: "object",
                additionalProperties: {
                    type: "object",
                    properties: { lat: { type: "number" }, lon: { type: "number" }, source: { type: "string" } },
                    required: ["lat", "lon", "source"],
                },
            },
        },
    },
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const extra = args.getConfig<Config>().extraLocations ?? {};
        const where = (region: string) => extra[region] ?? AWS_REGIONS[region];
        const buckets = view.ofType(RESOURCE_TYPES.bucket);
        const tier1 = buckets.filter((b) => StackView.tierOf(b) === "tier1");
        const tier2 = buckets.filter((b) => StackView.tierOf(b) === "tier2");
        const m = view.manifest();
        const primary = tier1.map(StackView.regionOf).find((r) => r !== undefined) ?? (m.ok ? m.config.regions.primary : undefined);
        const stores: { label: string; region: string | undefined; urn?: string }[] = tier2.map((b) => ({ label: StackView.label(b), region: StackView.regionOf(b), urn: b.urn }));
        for (const pg of view.ofType(RESOURCE_TYPES.pgCluster)) {
            if (pg.props.spec?.standby?.enabled === true) continue;
            const name = `repo${TIER_REPOS.indexOf("tier2") + 1}`;
            const repo = (pg.props.spec?.backups?.pgbackrest?.repos ?? []).find((r: any) => r?.name === name);
            if (repo?.s3) stores.push({ label: `${StackView.label(pg)} ${name} (s3://${repo.s3.bucket})`, region: repo.s3.region, urn: pg.urn });
        }
        if (stores.length === 0) {
            if (m.ok && m.config.role === "dr") return args.notApplicable("the DR stack declares no tiers; the primary stack does");
            report(`no tier-2 store is declared (an aws.s3.Bucket tagged fortress:tier = tier2): nothing survives the primary region`);
            return;
        }
        if (primary === undefined) {
            report(`the primary region is unknown: no tier-1 bucket with a region and no DR manifest; cannot measure tier 2's distance`);
            return;
        }
        const p = where(primary);
        for (const s of stores) {
            if (s.region === undefined) {
                report(`${s.label}: its region is not known (no region input and no provider region); give it an explicit provider`, s.urn);
                continue;
            }
            const q = where(s.region);
            if (!p || !q) {
                const unknown = !p ? primary : s.region;
                report(`${s.label}: no coordinates for "${unknown}" in components/core/regions.ts; add the region with its source (or extraLocations in the policy config) so its distance can be checked`, s.urn);
                continue;
            }
            const km = greatCircleKm(p, q);
            if (km < MIN_TIER2_DISTANCE_KM) {
                report(`${s.label} is in ${s.region}, ${km.toFixed(0)} km from the primary (${primary}); tier 2 must be at least ${MIN_TIER2_DISTANCE_KM} km away to survive a regional disaster`, s.urn);
            }
        }
    },
});
