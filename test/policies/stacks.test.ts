/**
 * Every committed stack, evaluated by its real program under mocks, against every rule of the
 * pack — exactly what `npm run plan -- <stack>` runs. A stack must pass every rule.
 *
 * KNOWN_GAPS lists, per stack, the rules that still fail because of something another part of
 * the project declares, with what it is. The list is strict both ways: a rule not listed must
 * pass, and a listed rule must still fail — when its owner fixes it, this test says to remove
 * the entry, so the list can only shrink.
 */
import * as assert from "assert";
import { evaluateStack } from "../../tools/evaluate";
import { listStacks } from "../../config";
import { planFindings } from "../../tools/plan-findings";

const KNOWN_GAPS: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

describe("every stack passes every rule (npm run plan)", function () {
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(stack, async () => {
            const result = await evaluateStack(stack);
            const pf = await planFindings(result);
            const failing = new Set(pf.mandatoryViolations);
            const known = KNOWN_GAPS[stack] ?? {};
            const unexpected = [...failing].filter((rule) => !(rule in known));
            const fixed = Object.keys(known).filter((rule) => !failing.has(rule));
            const detail = pf.findings
                .filter((f) => f.enforcementLevel === "mandatory" && unexpected.includes(f.policy))
                .map((f) => `  ${f.policy}: ${f.message}`)
                .join("\n");
            assert.deepStrictEqual(unexpected, [], `${stack} breaks rules that must pass:\n${detail}`);
            assert.deepStrictEqual(fixed, [], `${stack} now passes ${fixed.join(", ")}: remove them from KNOWN_GAPS`);
        });
    }
});
