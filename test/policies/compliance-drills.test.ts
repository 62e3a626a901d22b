import * as assert from "assert";
import { DRILL_EVIDENCE, drillEvidenceOf } from "../../policies/lib/compliance";

const good = { startedAt: "2026-12-03T07:00:00Z", mode: "quick", figures: [{ id: "erasure.subjects_after_restore", value: 0 }, { id: "erasure.rows_removed_beyond_subjects", value: 0 }], checks: [{ passed: true }] };

describe("compliance view: controls proven by drills (policies/lib/compliance.ts)", () => {
    it("GDPR Art. 17 is proven by the erasure drill's two figures", () => {
        const e = DRILL_EVIDENCE.find((d) => d.drill === "erasure")!;
        assert.strictEqual(e.control.framework, "GDPR");
        assert.match(e.control.control, /^Art\. 17/);
        assert.deepStrictEqual(e.figures, { "erasure.subjects_after_restore": 0, "erasure.rows_removed_beyond_subjects": 0 });
    });

    it("pass only when every check passed and every figure holds its expected value", () => {
        assert.strictEqual(drillEvidenceOf("GDPR", () => good)[0].status, "pass");
        const leaked = { ...good, figures: [{ id: "erasure.subjects_after_restore", value: 2 }, good.figures[1]] };
        const [d] = drillEvidenceOf("GDPR", () => leaked);
        assert.strictEqual(d.status, "fail");
        assert.match(d.detail, /erasure.subjects_after_restore = 2 \(expected 0\)/);
        assert.strictEqual(drillEvidenceOf("GDPR", () => ({ ...good, checks: [{ passed: false }] }))[0].status, "fail");
        assert.strictEqual(drillEvidenceOf("GDPR", () => ({ ...good, figures: [good.figures[0]] }))[0].detail.includes("erasure.rows_removed_beyond_subjects = missing"), true);
    });

    it("not run without a report; other frameworks list no erasure drill", () => {
        assert.strictEqual(drillEvidenceOf("GDPR", () => undefined)[0].status, "not run");
        assert.deepStrictEqual(drillEvidenceOf("HIPAA", () => good), []);
    });
});
