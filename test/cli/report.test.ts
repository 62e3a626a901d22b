/** `fortress report`: writes the HTML report of a stack; bad arguments are one line and exit 2. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { main } from "../../cli/main";

async function fortress(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (d) => (out += d));
    stderr.on("data", (d) => (err += d));
    const code = await main(["node", "fortress", ...args], { stdout, stderr });
    return { code, stdout: out, stderr: err };
}

describe("fortress report", function () {
    this.timeout(180_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-report-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("writes one self-contained HTML file with the status snapshot, and prints its path", async () => {
        const status = path.join(tmp, "status.json");
        fs.writeFileSync(status, JSON.stringify({ stack: "dev", objectivesBreached: 0, checks: [{ name: "tier2 age", seconds: 61 }] }));
        const out = path.join(tmp, "out", "dev.html");
        const r = await fortress("report", "dev", "-o", out, "--status", status);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), out);
        const html = fs.readFileSync(out, "utf8");
        assert.match(html, /<title>Fortress DR — dev<\/title>/);
        assert.match(html, /<section id="status">/);
        assert.match(html, /<td>tier2 age<\/td><td>61<\/td>/);
        assert.doesNotMatch(html, /(src|href)="https?:/);
    });

    it("an unknown stack, a missing -o or an unreadable --status: one line, exit 2, no file", async () => {
        const out = path.join(tmp, "never.html");
        const unknown = await fortress("report", "nope", "-o", out);
        assert.strictEqual(unknown.code, 2);
        assert.match(unknown.stderr, /fortress report: no stack "nope"; use one of .*prod/);
        const noOut = await fortress("report", "dev");
        assert.strictEqual(noOut.code, 2);
        assert.match(noOut.stderr, /required option '-o, --out <file>'/);
        const bad = path.join(tmp, "bad.json");
        fs.writeFileSync(bad, "{not json");
        const badStatus = await fortress("report", "dev", "-o", out, "--status", bad);
        assert.strictEqual(badStatus.code, 2);
        assert.match(badStatus.stderr, /--status .*bad\.json: not JSON .*fortress status <stack> --output json/);
        assert.ok(!fs.existsSync(out));
    });
});
