import type { ConfigRule } from "./rule";

/** Tier 3 is a third region: neither the primary's nor tier 2's. */
export const tier3ThirdRegionRule: ConfigRule = {
    name: "tier 3 is in a third region",
    check: ({ regions: r }) =>
        r && (r.tier3 === r.primary || r.tier3 === r.dr)
            ? [{ path: ["regions", "tier3"], message: `"${r.tier3}" is already the ${r.tier3 === r.primary ? "primary" : "DR"} region; tier 3 needs a third region` }]
            : [],
};
