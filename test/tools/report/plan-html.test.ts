/** The plan's --html flag: parsed out of the arguments, and the file written by a real plan run. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runPlan } from "../../helpers/plan-cli";
import { takeHtmlFlag } from "../../../tools/report/plan-html";

describe("plan --html", () => {
    it("takes --html <file> and --html=<file>; a missing file is one error naming the fix", () => {
        assert.deepStrictEqual(takeHtmlFlag(["prod", "--html", "r.html", "--json"]), { argv: ["prod", "--json"], htmlFile: "r.html" });
        assert.deepStrictEqual(takeHtmlFlag(["--html=r.html", "prod"]), { argv: ["prod"], htmlFile: "r.html" });
        assert.match(takeHtmlFlag(["prod", "--html"]).problem!, /--html: give the file to write/);
        assert.match(takeHtmlFlag(["prod", "--html", "--json"]).problem!, /--html: give the file to write/);
        assert.deepStrictEqual(takeHtmlFlag(["prod"]), { argv: ["prod"], htmlFile: undefined });
    });

    it("npm run plan -- dev --html <file> writes the report and still prints the plan", function () {
        this.timeout(180_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-html-"));
        try {
            const file = path.join(dir, "sub", "dev.html");
            const r = runPlan(["dev", "--html", file]);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /Fortress DR plan: stack dev/);
            assert.match(r.stderr, new RegExp(`report: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
            const html = fs.readFileSync(file, "utf8");
            assert.match(html, /<title>Fortress DR — dev<\/title>/);
            assert.match(html, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="topology"/);
            assert.match(html, /<table class="heatmap"/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
