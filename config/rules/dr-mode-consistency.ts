import type { ConfigRule, RuleIssue } from "./rule";

/** dr.mode, dr.restoreFrom, dr.promote and dr.targetTime do not contradict each other. */
export const drModeConsistencyRule: ConfigRule = {
    name: "the DR mode, source, promotion and target time agree",
    check: ({ dr: d }) => {
        const found: RuleIssue[] = [];
        if (d === undefined) return found;
        if (d.mode === "pilot-light" && d.restoreFrom !== "stream") {
            found.push({ path: ["dr", "restoreFrom"], message: `"${d.restoreFrom}" needs dr.mode "rebuild"; pilot-light always streams from the primary` });
        }
        if (d.mode === "rebuild" && d.restoreFrom === "stream") {
            found.push(
                d.promote
                    ? {
                          path: ["dr", "promote"],
                          message: `promoting a rebuild needs a database source, but dr.restoreFrom is "stream" (dr.mode "rebuild" has no standby to promote): set dr.restoreFrom to "tier2" or "tier3", or set dr.mode to "pilot-light" to promote the streaming standby`,
                      }
                    : { path: ["dr", "restoreFrom"], message: `a rebuild restores from "tier2" or "tier3"; "stream" needs a live primary (use mode pilot-light)` },
            );
        }
        if (d.targetTime !== undefined && d.mode !== "rebuild") {
            found.push({ path: ["dr", "targetTime"], message: `a point-in-time target needs dr.mode "rebuild"; a pilot-light standby always follows the primary` });
        }
        return found;
    },
};
