/**
 * The shapes every command's plan is built from (cli/commands/common.ts): the connect step and
 * its check, a driver step, the class -> tier-config key, and the bound of a tier's newest backup.
 */
import * as assert from "assert";
import { connectStep, driverStep, need, snapshotSchedule, tierBound, tiersKeeping } from "../../../cli/commands/common";
import type { Driver } from "../../../cli/drivers/types";
import { snapshotClassKey } from "../../../cli/drivers/types";
import { PreflightError } from "../../../cli/errors";
import type { StepContext } from "../../../cli/runner";
import { loadStack } from "../../../cli/stack";

const driver = (over: Partial<Driver> = {}): Driver => ({ name: "test", describe: "test driver", database: {} as Driver["database"], async close() {}, ...over }) as Driver;
const ctxFor = (d: Driver): StepContext => ({ driver: async () => d }) as unknown as StepContext;

describe("cli/commands/common: the step shapes and bounds the commands share", () => {
    const stack = loadStack("prod");

    it("connectStep is the 30 s pre-flight step 'connect' that returns the driver's description, or the check's error", async () => {
        const plain = connectStep();
        assert.deepStrictEqual([plain.id, plain.phase, plain.title, plain.budget], ["connect", "preflight", "reach the driver", { seconds: 30 }]);
        assert.deepStrictEqual(await plain.run(ctxFor(driver())), { detail: "test driver" });
        const needsCache = connectStep("reach the driver; it has cache primitives", (d) => need(d, d.cache, "cache"));
        await assert.rejects(() => needsCache.run(ctxFor(driver())), (e: Error) => e instanceof PreflightError && /driver test has no cache primitives: test driver/.test(e.message));
    });

    it("driverStep hands its run the driver and the context, and keeps the step's fields", async () => {
        const s = driverStep({ id: "x", phase: "act", title: "t", budget: { seconds: 5 }, mutates: true }, async (d, ctx) => ({ detail: `${d.name} ${typeof ctx.driver}` }));
        assert.deepStrictEqual([s.id, s.phase, s.mutates], ["x", "act", true]);
        assert.deepStrictEqual(await s.run(ctxFor(driver())), { detail: "test function" });
    });

    it("the cache is kept under tiers.redis; configuration is not kept in tier 1 (git is)", () => {
        assert.strictEqual(snapshotClassKey("cache"), "redis");
        assert.strictEqual(snapshotClassKey("secrets"), "secrets");
        assert.strictEqual(tiersKeeping(stack, "cache").key, "redis");
        assert.strictEqual(tiersKeeping(stack, "cache").tiers, stack.config.tiers.redis);
        assert.strictEqual(tiersKeeping(stack, "configuration").tiers.tier1, undefined);
    });

    it("a tier's bound is the lab's own when the driver has one, else the schedule's worst gap, and says which", () => {
        const hourly = snapshotSchedule("0 * * * *");
        assert.deepStrictEqual(tierBound(driver(), "tier1", hourly), { seconds: 3600, text: 'schedule "0 * * * *" worst gap 60 min 0 s' });
        const lab = tierBound(driver({ backupBoundsSeconds: { tier1: 90 } }), "tier1", hourly);
        assert.strictEqual(lab.seconds, 90);
        assert.match(lab.text, /^lab schedule bound /);
        assert.strictEqual(tierBound(driver({ backupBoundsSeconds: { tier2: 90 } }), "tier1", hourly).seconds, 3600);
    });
});
