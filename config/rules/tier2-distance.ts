import { MIN_TIER2_DISTANCE_KM, distanceKm } from "../../components/core/regions";
import type { ConfigRule } from "./rule";

/** Geography: tier 2 must survive the loss of the primary region. */
export const tier2DistanceRule: ConfigRule = {
    name: "tier 2 is at least MIN_TIER2_DISTANCE_KM from the primary",
    check: ({ regions: r }) => {
        if (!r) return [];
        if (r.dr === r.primary) {
            return [{ path: ["regions", "dr"], message: `"${r.dr}" is the primary region; tier 2 must be in another region at least ${MIN_TIER2_DISTANCE_KM} km away` }];
        }
        const km = distanceKm(r.primary, r.dr);
        return km < MIN_TIER2_DISTANCE_KM ? [{ path: ["regions", "dr"], message: `"${r.dr}" is ${km.toFixed(0)} km from the primary; at least ${MIN_TIER2_DISTANCE_KM} km is required` }] : [];
    },
};
