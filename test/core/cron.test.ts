import * as assert from "assert";
import fc from "fast-check";
import { CronError, describeInterval, maxIntervalSeconds, parseCron } from "../../components/core/cron";

describe("cron", () => {
    it("computes the worst gap of common schedules", () => {
        assert.strictEqual(maxIntervalSeconds("*/5 * * * *"), 300);
        assert.strictEqual(maxIntervalSeconds("*/15 * * * *"), 900);
        assert.strictEqual(maxIntervalSeconds("30 * * * *"), 3600);
        assert.strictEqual(maxIntervalSeconds("0 */4 * * *"), 4 * 3600);
        assert.strictEqual(maxIntervalSeconds("0 1 * * *"), 86_400);
        assert.strictEqual(maxIntervalSeconds("0 4 * * 0"), 7 * 86_400);
        // Uneven: 0,20,50 -> the gap 50 -> 60(=0 next hour) is 10, 0 -> 20 is 20, 20 -> 50 is 30.
        assert.strictEqual(maxIntervalSeconds("0,20,50 * * * *"), 30 * 60);
        // First of the month: the longest gap is a 31-day month.
        assert.strictEqual(maxIntervalSeconds("0 0 1 * *"), 31 * 86_400);
    });

    it("treats restricted day-of-month and day-of-week as either-or, like cron", () => {
        // Every Monday or the 15th.
        const s = parseCron("0 0 15 * 1");
        assert.ok(s.dayOrSemantics);
        assert.ok(maxIntervalSeconds(s) <= 7 * 86_400);
    });

    it("rejects malformed expressions with the field named", () => {
        assert.throws(() => parseCron("*/5 * * *"), /expected 5 fields/);
        assert.throws(() => parseCron("61 * * * *"), /minute 61 is outside 0-59/);
        assert.throws(() => parseCron("0 25 * * *"), /hour 25 is outside 0-23/);
        assert.throws(() => parseCron("0 0 * * mon"), /day-of-week "mon" is not a number/);
        assert.throws(() => parseCron("@daily"), /macros such as @daily are not accepted/);
        assert.throws(() => parseCron("5-1 * * * *"), /runs backwards/);
        assert.throws(() => maxIntervalSeconds("0 0 30 2 *"), CronError);
    });

    it("for every step n dividing 60, */n minutes has a worst gap of n minutes", () => {
        fc.assert(
            fc.property(fc.constantFrom(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30), (n) => maxIntervalSeconds(`*/${n} * * * *`) === n * 60),
        );
    });

    it("the worst gap never exceeds the gap of any subset of its firing minutes", () => {
        fc.assert(
            fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 59 }), (minutes, extra) => {
                const base = maxIntervalSeconds(`${minutes.join(",")} * * * *`);
                const more = maxIntervalSeconds(`${[...minutes, extra].join(",")} * * * *`);
                return more <= base && base <= 3600;
            }),
        );
    });

    it("describes intervals in the largest whole unit", () => {
        assert.strictEqual(describeInterval(300), "5m");
        assert.strictEqual(describeInterval(7200), "2h");
        assert.strictEqual(describeInterval(86_400), "1d");
        assert.strictEqual(describeInterval(90), "90s");
    });
});
