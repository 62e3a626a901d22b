// Mocha's spec reporter, closing with the plain "N passed, N failed" line CI reads.
const Spec = require("mocha/lib/reporters/spec");

class SpecWithTotals extends Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once("end", () => {
            const s = this.stats;
            console.log(`${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ""}`);
        });
    }
}

module.exports = SpecWithTotals;
