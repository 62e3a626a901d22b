import * as assert from "assert";
import fc from "fast-check";
import { engineHorizonDays, prefixRule, tierPrefixRules, tierUndoWindowDays } from "../../../components/storage/retention";
import { maxIntervalSeconds } from "../../../components/core/cron";

describe("storage/retention", () => {
    const table = {
        database: { tier2: { full: "0 */4 * * *", retentionDays: 30 }, tier3: { full: "0 2 * * 0", retentionDays: 365 } },
        redis: { tier1: { snapshot: "*/5 * * * *", retentionDays: 1 }, tier2: { snapshot: "*/15 * * * *", retentionDays: 30 } },
    };

    it("expires a data class one day after the engine would: retention + one full interval + 1", () => {
        assert.deepStrictEqual(prefixRule("tier3", "database", table.database.tier3), {
            prefix: "tier3/database/",
            currentExpirationDays: 365 + 7 + 1,
            noncurrentExpirationDays: 365,
        });
        // A sub-day schedule still rounds up to a whole day of slack.
        assert.strictEqual(engineHorizonDays(table.redis.tier1), 2);
    });

    it("writes one rule per data class present in the tier, and none for absent ones", () => {
        assert.deepStrictEqual(tierPrefixRules(table, "tier1").map((r) => r.prefix), ["tier1/redis/"]);
        assert.deepStrictEqual(tierPrefixRules(table, "tier2").map((r) => r.prefix), ["tier2/database/", "tier2/redis/"]);
    });

    it("keeps an undo window of at least seven days", () => {
        assert.strictEqual(tierUndoWindowDays(table, "tier1"), 7);
        assert.strictEqual(tierUndoWindowDays(table, "tier3"), 365);
    });

    it("never expires a backup before its retention plus one schedule interval (all schedules, all retentions)", () => {
        const schedules = ["*/5 * * * *", "*/15 * * * *", "0 * * * *", "0 */4 * * *", "0 1 * * *", "0 4 * * 0", "0 0 1 * *"];
        fc.assert(
            fc.property(fc.constantFrom(...schedules), fc.integer({ min: 1, max: 3650 }), (full, retentionDays) => {
                const rule = prefixRule("tier2", "database", { full, retentionDays });
                return rule.currentExpirationDays! * 86_400 > retentionDays * 86_400 + maxIntervalSeconds(full) && rule.noncurrentExpirationDays >= 7;
            }),
        );
    });
});
