/**
 * The plan runs the policy pack: findings, the objectives table and the compliance view in
 * text and --json, and exit code 1 exactly when a rule has a mandatory violation.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, runPlan } from "../helpers/plan-cli";
import { RULES } from "../../policies/rules";


/** The plan's text with wrapped lines joined (a continuation line is indented 6 or more spaces). */
function plan(args: readonly string[], stacksDir?: string) {
    const r = runPlan(args, stacksDir);
    return { ...r, stdout: r.stdout.replace(/\n {6,}/g, " ") };
}

describe("npm run plan: policy findings, objectives and compliance", function () {
    this.timeout(180_000);

    it("prints the policy summary and the objectives table; --details every rule's status, every figure and the compliance matrix; exits by the mandatory verdict", () => {
        const brief = plan(["prod"]);
        assert.match(brief.stdout, new RegExp(`^Policy pack \\(policies/, ${RULES.length} rules; run here without the engine`, "m"));
        assert.match(brief.stdout, /^ {2}mandatory +\d+ rules: +(\d+ (pass|FAIL|not-applicable)(, )?)+$/m);
        assert.match(brief.stdout, /^Recovery objectives: bound \/ objective, seconds \(computed from what prod declares, worst case first/m);
        assert.match(brief.stdout, /^ {2}S4 regional disaster +database +48\/300 ok +\S+\/600 ok +\S+\/60 /m);
        // One screen: the accepted risks are counted; --details lists each with its bound and reason.
        assert.match(brief.stdout, /^ {2}Accepted risks: \d+ in the stack file \(objectives\.acceptedRisks\), \d+ holding; --details lists each/m);
        assert.match(brief.stdout, /^Compliance: controls the rules and drills support: GDPR \d+, HIPAA \d+, SOX \d+, PCI DSS \d+[;(]/m);
        const r = plan(["prod", "--details"]);
        assert.match(r.stdout, /^ {2}Accepted risks \(objectives\.acceptedRisks in the stack file\):$/m);
        assert.match(r.stdout, /^ {4}S4\.uploads\.rpo +<= 900 s +holds \(bound 900 s\) +S3 RTC replicates/m);
        assert.match(r.stdout, /^ {2}(pass|FAIL|warn|not-applicable) +tier2-geo-separation +mandatory +\d+$/m);
        assert.match(r.stdout, /^ {2}Terms used \(value, basis, source; arithmetic of scaled figures; where each budget comes from\):$/m);
        assert.match(r.stdout, /^ {4}12 s +guarantee +3 x TCP connect window 4 s \(each failing check waits it\) \[https:\/\/docs\.aws\.amazon\.com\/Route53\//m);
        assert.match(r.stdout, /^Compliance: each rule once, with the controls it supports per framework/m);
        assert.match(r.stdout, /^ {2}status +rule +GDPR +HIPAA +SOX +PCI DSS$/m);
        for (const f of ["GDPR", "HIPAA", "SOX", "PCI DSS"]) assert.match(r.stdout, new RegExp(`^ {4}${f} +\\S+ +`, "m"));
        // GDPR Art. 17 is shown with the rule that checks the ledger and the drill that proves the replay.
        assert.match(r.stdout, /^ {2}\S+ +erasure-ledger-append-only +(\S+ )*17 /m);
        assert.match(r.stdout, /^ {2}(pass|FAIL|not run) +drill erasure +(\S+ )*17 /m);
        assert.match(r.stdout, /^ {4}drill erasure \((pass|FAIL|not run)\): .+/m);
        assert.match(r.stdout, /^ {4}GDPR +\S+ +Art\. 5|^ {13}17 +Art\. 17: right to erasure/m);
        for (const out of [brief, r]) {
            const failing = /^(\d+) rule\(s\) with a mandatory violation: (.*); `pulumi preview --policy-pack policies` would fail\.$/m.exec(out.stdout);
            if (failing) {
                assert.strictEqual(out.code, 1, out.stderr);
                assert.strictEqual(out.stderr.trim().split("\n").pop(), `policy: mandatory violation of ${failing[2]}`);
            } else {
                assert.match(out.stdout, /^No mandatory violation\.$/m);
                assert.strictEqual(out.code, 0, out.stderr);
            }
        }
    });

    it("--json adds findings, the objectives table with every term, and the compliance view", () => {
        const r = plan(["prod", "--json"]);
        const doc = JSON.parse(r.stdout);
        assert.ok(Array.isArray(doc.findings));
        for (const f of doc.findings) assert.deepStrictEqual(Object.keys(f).filter((k) => ["policy", "enforcementLevel", "message", "kind"].includes(k)).length, 4);
        assert.strictEqual(doc.objectives.rows.length, 22);
        const cell = doc.objectives.rows.find((x: any) => x.scenario === "S3" && x.subject === "database").detect;
        assert.deepStrictEqual(Object.keys(cell).slice(0, 5), ["id", "metric", "objectiveSeconds", "seconds", "status"]);
        assert.ok(cell.terms.every((t: any) => typeof t.seconds === "number" && t.source && t.basis));
        assert.deepStrictEqual(Object.keys(doc.compliance.frameworks), ["GDPR", "HIPAA", "SOX", "PCI DSS"]);
        assert.strictEqual(doc.compliance.rules.length, RULES.length);
        assert.strictEqual(r.code, doc.mandatoryViolations.length > 0 ? 1 : 0);
        assert.deepStrictEqual(doc.mandatoryViolations, doc.compliance.rules.filter((x: any) => x.status === "fail").map((x: any) => x.rule));
    });

    it("exits 1 naming the rule when prod's health checks slow to 30 s", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-stacks-"));
        try {
            const text = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8");
            const edited = text.replace(/^(  fortress-dr:endpoints:\n)/m, "$1    healthCheck: { intervalSeconds: 30 }\n");
            assert.notStrictEqual(edited, text, "the prod stack file has an endpoints section to edit");
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), edited);
            const r = plan(["prod"], dir);
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, /^policy: mandatory violation of .*route53-health-check-fast/m);
            assert.match(r.stdout, /^ {4}\[mandatory\] route53-health-check-fast \(HealthCheck [^)]+\): health check [^:]+: requestInterval 30 s; use 10 s/m);
            assert.match(r.stdout, /^ {2}S3 complete infrastructure failure +services +108\/60 OVER/m);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
