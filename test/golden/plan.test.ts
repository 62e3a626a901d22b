/**
 * Golden plan: what every stack and DR mode declares must not change by accident.
 *
 * Every stack file (stacks/Pulumi.<stack>.yaml), and each DR stack in pilot-light, rebuild and
 * promote, is evaluated through tools/evaluate.ts — the code `npm run plan` runs — and
 * normalised (test/golden/golden.ts: resources sorted by URN with type, name, parent, urn,
 * aliases, protect, retainOnDelete and inputs; outputs; keys sorted; secrets "[secret]"). The
 * result must equal the committed test/golden/<variant>.json.
 *
 * A deliberate change (a new resource, a changed setting): run `npm run golden:update`, review
 * `git diff test/golden`, and add a line to test/golden/CHANGES.md (date, who, what, why) in
 * the same commit.
 *
 * A renamed or re-parented resource: its old URN must stay reachable. Every URN in
 * test/golden/released-urns.json must be declared by the plan or named in some resource's
 * `aliases` (Pulumi then moves the resource instead of replacing it), unless it was retired on
 * purpose (test/golden/retired-urns.json, written by `npm run golden:update -- --retire "<why>"`).
 */
import * as assert from "assert";
import { aliasProblems, evaluateAll, GoldenPlan, GoldenResource, lostUrns, readGolden, readReleasedUrns, readRetiredUrns } from "./golden";

/** The first few differences between two JSON values, as `path: golden -> now`. */
function differences(golden: unknown, now: unknown, at = "", out: string[] = [], limit = 12): string[] {
    if (out.length >= limit) return out;
    if (JSON.stringify(golden) === JSON.stringify(now)) return out;
    if (golden && now && typeof golden === "object" && typeof now === "object" && Array.isArray(golden) === Array.isArray(now)) {
        const keys = new Set([...Object.keys(golden), ...Object.keys(now)]);
        for (const k of keys) differences((golden as any)[k], (now as any)[k], `${at}.${k}`, out, limit);
        return out;
    }
    out.push(`${at || "."}: ${JSON.stringify(golden)?.slice(0, 200)} -> ${JSON.stringify(now)?.slice(0, 200)}`);
    return out;
}

function explain(golden: GoldenPlan, now: GoldenPlan): string {
    const before = new Map(golden.resources.map((r) => [r.urn, r]));
    const after = new Map(now.resources.map((r) => [r.urn, r]));
    const lines: string[] = [];
    for (const urn of before.keys()) if (!after.has(urn)) lines.push(`  - removed ${urn}`);
    for (const urn of after.keys()) if (!before.has(urn)) lines.push(`  + added   ${urn}`);
    for (const [urn, r] of after) {
        const old: GoldenResource | undefined = before.get(urn);
        if (old) for (const d of differences(old, r)) lines.push(`  ~ ${r.name}${d}`);
    }
    for (const d of differences(golden.outputs, now.outputs, "outputs")) lines.push(`  ~ ${d}`);
    const shown = lines.slice(0, 40);
    if (lines.length > shown.length) shown.push(`  ... and ${lines.length - shown.length} more`);
    return (
        `${now.variant}: the plan differs from test/golden/${now.variant}.json:\n${shown.join("\n")}\n` +
        `If the change is deliberate: npm run golden:update, review git diff test/golden, and list it in test/golden/CHANGES.md.`
    );
}

describe("golden plan (every stack and DR mode, through tools/evaluate.ts)", function () {
    // About 40 s on an idle machine (nine evaluations); far longer when the two cores are shared.
    this.timeout(1_800_000);
    let plans: GoldenPlan[];
    before(async () => {
        plans = await evaluateAll();
    });

    it("covers every stack and each DR stack in pilot-light, rebuild and promote", () => {
        const variants = plans.map((p) => p.variant).sort();
        for (const v of ["dev", "prod", "staging", "prod-dr.pilot-light", "prod-dr.rebuild", "prod-dr.promote", "staging-dr.pilot-light", "staging-dr.rebuild", "staging-dr.promote"]) {
            assert.ok(variants.includes(v), `variant ${v} was not evaluated (got ${variants.join(", ")})`);
        }
    });

    it("declares exactly what the committed golden files hold", () => {
        const problems: string[] = [];
        for (const now of plans) {
            const golden = readGolden(now.variant);
            if (!golden) {
                problems.push(`${now.variant}: no test/golden/${now.variant}.json; run npm run golden:update and list the new stack in test/golden/CHANGES.md`);
                continue;
            }
            if (JSON.stringify(golden) !== JSON.stringify(now)) problems.push(explain(golden, now));
        }
        assert.deepStrictEqual(problems, []);
    });

    it("keeps every released URN, declared or as an alias (no resource is replaced by a rename)", () => {
        const released = readReleasedUrns();
        const retired = readRetiredUrns();
        const lost = plans.flatMap((p) => lostUrns(p, released[p.variant] ?? [], retired).map((urn) => `${p.variant}: ${urn}`));
        assert.deepStrictEqual(lost, [], "these URNs would be deleted and re-created: add `aliases` with the old name/parent, or retire them on purpose");
    });

    it("moves, never replaces: every resource whose URN changed (vs the committed golden and every released URN) carries its old URN as an alias, on the same type and name", () => {
        const released = readReleasedUrns();
        const retired = readRetiredUrns();
        const problems = plans.flatMap((p) => {
            const golden = readGolden(p.variant);
            return [...(golden ? aliasProblems(p, golden, retired) : []), ...aliasProblems(p, released[p.variant] ?? [], retired)];
        });
        assert.deepStrictEqual([...new Set(problems)], []);
    });
});

describe("golden plan helpers", () => {
    it("lostUrns accepts a URN that is declared or aliased and reports one that is neither", () => {
        const plan: GoldenPlan = {
            variant: "x",
            outputs: {},
            resources: [{ type: "t", name: "n", parent: null, urn: "urn:new", aliases: ["urn:old"], protect: false, retainOnDelete: false, inputs: {} }],
        };
        assert.deepStrictEqual(lostUrns(plan, ["urn:new", "urn:old", "urn:gone", "urn:retired"], { "urn:retired": "deleted on purpose" }), ["urn:gone"]);
    });

    it("aliasProblems accepts a move to a new parent and reports a missing, doubled, retyped or changed one", () => {
        const res = (urn: string, aliases: string[] = [], inputs: unknown = {}) => ({ type: urn.split("::")[2].split("$").pop()!, name: urn.split("::").pop()!, parent: null, urn, aliases, protect: false, retainOnDelete: false, inputs });
        const old = "urn:pulumi:s::p::fortress:a:A$aws:iam/role:Role::r";
        const moved = "urn:pulumi:s::p::fortress:a:A$fortress:core:IrsaRole$aws:iam/role:Role::r";
        const plan = (resources: GoldenResource[]): GoldenPlan => ({ variant: "x", outputs: {}, resources });
        assert.deepStrictEqual(aliasProblems(plan([res(moved, [old])]), [old]), []);
        assert.deepStrictEqual(aliasProblems(plan([res(moved, [old])]), plan([res(old)])), []);
        assert.strictEqual(aliasProblems(plan([res(moved)]), [old]).length, 1, "no alias");
        assert.strictEqual(aliasProblems(plan([res(moved, [old]), res(moved + "2", [old])]), [old]).length, 1, "two resources claim one URN");
        assert.strictEqual(aliasProblems(plan([res("urn:pulumi:s::p::aws:iam/user:User::r", [old])]), [old]).length, 1, "another type");
        assert.strictEqual(aliasProblems(plan([res(moved, [old], { a: 2 })]), plan([res(old, [], { a: 1 })])).length, 1, "other inputs");
        assert.strictEqual(aliasProblems(plan([res(moved, [old]), res(old)]), []).length, 1, "alias of a URN still declared");
        assert.deepStrictEqual(aliasProblems(plan([]), [old], { [old]: "deleted on purpose" }), []);
    });
});
