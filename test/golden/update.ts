/**
 * `npm run golden:update [-- --retire "<why>"]`: re-evaluates every stack and DR mode and
 * rewrites the golden files; adds new URNs to released-urns.json (it never drops one).
 *
 * A released URN the plan no longer declares or aliases stops the update: give the moved
 * resource an `aliases` entry with its old name/parent, or, if the resource is deleted on
 * purpose, re-run with `--retire "<why>"` to record it in retired-urns.json. Either way, add a
 * line to CHANGES.md.
 */
import * as fs from "fs";
import { evaluateAll, goldenFile, GOLDEN_DIR, lostUrns, readReleasedUrns, readRetiredUrns, serialise, writeReleasedUrns, writeRetiredUrns } from "./golden";

async function main(argv: string[]): Promise<number> {
    const retireAt = argv.indexOf("--retire");
    const retireReason = retireAt >= 0 ? argv[retireAt + 1] : undefined;
    if (retireAt >= 0 && !retireReason) {
        console.error('--retire needs the reason: npm run golden:update -- --retire "tier2 log bucket dropped (issue 42)"');
        return 2;
    }
    const plans = await evaluateAll();
    const released = readReleasedUrns();
    const retired = readRetiredUrns();
    const lost = plans.flatMap((p) => lostUrns(p, released[p.variant] ?? [], retired).map((urn) => ({ variant: p.variant, urn })));
    if (lost.length > 0 && retireReason === undefined) {
        console.error(`${lost.length} released URN(s) would disappear without an alias (a real resource would be replaced or deleted):`);
        for (const l of lost) console.error(`  ${l.variant}: ${l.urn}`);
        console.error('Give the moved resource `aliases: [{ name: "<old name>", parent: <old parent> }]`, or, if it is deleted on purpose,');
        console.error('re-run with --retire "<why>" and add the change to test/golden/CHANGES.md.');
        return 1;
    }
    for (const l of lost) retired[l.urn] = retireReason!;
    if (lost.length > 0) writeRetiredUrns(retired);
    let changed = 0;
    for (const p of plans) {
        const text = serialise(p);
        const file = goldenFile(p.variant);
        if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
            fs.writeFileSync(file, text);
            changed++;
            console.log(`updated ${file.slice(GOLDEN_DIR.length + 1)} (${p.resources.length} resources)`);
        }
        released[p.variant] = [...(released[p.variant] ?? []), ...p.resources.map((r) => r.urn)];
    }
    writeReleasedUrns(released);
    console.log(`${plans.length} variants, ${changed} golden file(s) changed${lost.length ? `, ${lost.length} URN(s) retired` : ""}. List the change in test/golden/CHANGES.md.`);
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (e) => {
        console.error(e instanceof Error ? e.stack : String(e));
        process.exit(1);
    },
);
