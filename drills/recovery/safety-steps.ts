/**
 * The recovery drill's safety checks: --dry-run changes nothing, validate names a corrupted
 * backup file and a missing WAL segment (and is clean once they are back), a failed backup
 * publishes its run as failed, and every run left an audit record.
 */
import * as fs from "fs";
import * as path from "path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CliDoc, RecoveryDrill, jsonOf, sameMaps, sloLine, stderrLines, treeHashes } from "./context";

/** ETag and size of every object in the three buckets. */
async function bucketListing(drill: RecoveryDrill): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    for (const b of ["fortress-recovery-tier2", "fortress-recovery-tier3", drill.lab.snapshotBuckets.tier1]) {
        let token: string | undefined;
        do {
            const r = await drill.s3.send(new ListObjectsV2Command({ Bucket: b, ContinuationToken: token }));
            for (const o of r.Contents ?? []) m.set(`s3://${b}/${o.Key}`, `${o.ETag}/${o.Size}`);
            token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
    }
    return m;
}

/** Everything a run could change: the data directory, repo1, the state directory (file hashes) and the buckets. */
async function everything(drill: RecoveryDrill): Promise<Map<string, string>> {
    const all = new Map<string, string>();
    for (const [k, v] of treeHashes(drill.desc.postgres.datadir)) all.set(`pgdata/${k}`, v);
    for (const [k, v] of treeHashes(drill.lab.repo1)) all.set(`repo1/${k}`, v);
    for (const [k, v] of treeHashes(drill.stateDir)) all.set(`state/${k}`, v);
    for (const [k, v] of await bucketListing(drill)) all.set(k, v);
    return all;
}

/** --dry-run of restore, backup and dr-test prints the plan and changes nothing, byte for byte. Leaves the primary stopped. */
export async function checkDryRunChangesNothing(drill: RecoveryDrill, target: Date): Promise<void> {
    const { common } = drill;
    await drill.lab.stopPrimary(); // nothing else may write the data directory while it is compared
    const before = await everything(drill);
    const dry = [
        await drill.fortress(["restore", ...common, "--reason", "dry", "--target-time", target.toISOString(), "--into", "dry", "--dry-run"]),
        await drill.fortress(["backup", ...common, "--tier", "tier1", "--dry-run"]),
        await drill.fortress(["dr-test", ...common, "--from", "tier1", "--dry-run"]),
        await drill.fortress(["restore", ...common, "--reason", "dry", "--class", "cache", "--from", "tier1", "--into", "dry-cache", "--dry-run"]),
        await drill.fortress(["restore", ...common, "--reason", "dry", "--class", "secrets", "--from", "tier2", "--into", "dry-secrets", "--dry-run"]),
        await drill.fortress(["backup", ...common, "--class", "cache,configuration,secrets", "--tier", "tier2", "--dry-run"]),
    ];
    const after = await everything(drill);
    const diff = sameMaps(before, after);
    const dryDest = ["dry", "dry-cache.cache", "dry-secrets.secrets"].some((x) => fs.existsSync(path.join(drill.desc.workDir, "restores", x)));
    drill.check(
        "--dry-run (restore database/cache/secrets, backup database/cache/configuration/secrets, dr-test) prints the plan and changes nothing: data dir, repo1, the three buckets and the state dir byte for byte",
        dry.every((r) => r.code === 0 && /data-loss bound/.test(r.stdout)) && diff.length === 0 && !dryDest,
        `exits ${dry.map((r) => r.code).join(", ")}; ${before.size} files/objects compared, ${diff.length} differ${diff.length ? `: ${diff.slice(0, 5).join(", ")}` : ""}; scratch destination created: ${dryDest}`,
    );
}

/** Every file under `dir`, recursively, that `keep` accepts (by name). */
function filesUnder(dir: string, keep: (name: string) => boolean = () => true): string[] {
    const files: string[] = [];
    const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : keep(e.name) && files.push(path.join(d, e.name))));
    walk(dir);
    return files;
}

/** Flips 16 bytes in the largest file of the newest full backup in repo1, validates, puts it back. */
async function validateWithCorruptedFile(drill: RecoveryDrill): Promise<{ named: boolean; detail: string }> {
    const backups = path.join(drill.lab.repo1, "backup", "db");
    const labels = fs.readdirSync(backups).filter((l) => /^\d{8}-\d{6}F$/.test(l)).sort();
    const victim = filesUnder(path.join(backups, labels.at(-1)!, "pg_data", "base")).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    const original = fs.readFileSync(victim);
    const broken = Buffer.from(original);
    for (let i = 0; i < 16; i++) broken[Math.floor(broken.length / 2) + i] ^= 0xff;
    fs.writeFileSync(victim, broken);
    const corrupt = await drill.fortress(["validate", ...drill.common, "--tier", "tier1"]);
    fs.writeFileSync(victim, original);
    const victimRel = path.relative(backups, victim);
    return { named: corrupt.code === 1 && corrupt.stderr.includes(victimRel), detail: `flipped 16 bytes of ${victimRel}; exit ${corrupt.code}; ${stderrLines(corrupt).join(" / ").slice(0, 400)}` };
}

/** Parks a WAL segment strictly inside the backup's range (the newest one's loss is a tail, not a gap), validates, puts it back. */
async function validateWithMissingSegment(drill: RecoveryDrill, backupDoc: CliDoc): Promise<{ named: boolean; detail: string }> {
    const segs = filesUnder(path.join(drill.lab.repo1, "archive", "db"), (name) => /^[0-9A-F]{24}-/.test(name)).sort();
    const firstNeeded = String(backupDoc.result?.["backup-database-tier1"]?.walStart ?? "");
    const needed = segs.filter((s) => path.basename(s).slice(0, 24) > firstNeeded);
    const inside = needed.slice(0, -1);
    const gone = inside[Math.floor(inside.length / 2)] ?? segs[segs.length - 2];
    const parked = path.join(drill.options.workDir, "parked-segment");
    fs.renameSync(gone, parked);
    const missing = await drill.fortress(["validate", ...drill.common, "--tier", "tier1"]);
    fs.renameSync(parked, gone);
    const goneName = path.basename(gone).slice(0, 24);
    return { named: missing.code === 1 && missing.stderr.includes(goneName), detail: `removed ${goneName} (after the backup's start ${firstNeeded}); exit ${missing.code}; ${stderrLines(missing).join(" / ").slice(0, 400)}` };
}

/** validate exits 1 naming a corrupted backup file, and naming a missing WAL segment; clean again once both (and a fresh cache snapshot) are back. */
export async function checkValidateFindsDamage(drill: RecoveryDrill, backupDoc: CliDoc): Promise<void> {
    const corrupt = await validateWithCorruptedFile(drill);
    const missing = await validateWithMissingSegment(drill, backupDoc);
    drill.fig("recovery.validate.corruption_detected", "validate exits 1 naming a corrupted backup file and a missing WAL segment (1 = both)", corrupt.named && missing.named ? 1 : 0, "");
    drill.check("a corrupted backup file makes validate exit 1 naming it", corrupt.named, corrupt.detail);
    drill.check("a missing WAL segment makes validate exit 1 naming it", missing.named, missing.detail);
    await drill.freshCache();
    const healed = await drill.fortress(["validate", ...drill.common, "--tier", "tier1"]);
    drill.check("with the file, the segment and the Redis snapshot put back, validate is clean again", healed.code === 0, `exit ${healed.code}${healed.code ? `: ${stderrLines(healed).join(" / ").slice(0, 300)}` : ""}`);
}

/** A backup that fails (the primary is still stopped since the dry-run comparison) publishes its run as failed first. */
export async function checkFailedBackupPublished(drill: RecoveryDrill): Promise<void> {
    const downBackup = await drill.fortress(["backup", ...drill.common, "--class", "database", "--tier", "tier1", "--type", "incr", "--output", "json"]);
    const downDoc = jsonOf(downBackup);
    const afterFail = await drill.sloSeries("tier1", "backup");
    drill.check(
        "a backup that fails (primary down) exits non-zero and publishes its run as failed first: tier 1 now Runs 2, Succeeded 1 (the earlier backup's 1 and this 0)",
        downBackup.code !== 0 && downDoc.sloMetrics?.published === true && downDoc.sloMetrics?.runs?.[0]?.succeeded === 0 && afterFail.runs === 2 && afterFail.succeeded === 1,
        `exit ${downBackup.code}, "${stderrLines(downBackup).slice(-1).join("").slice(0, 200)}"; ${sloLine("database/tier1/backup", afterFail)}`,
    );
}

/** Every run but usage errors and dry runs left an audit record locally and in tier 3 (Object Lock). */
export async function checkAuditTrail(drill: RecoveryDrill): Promise<void> {
    const audit = fs.readFileSync(path.join(drill.stateDir, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const tier3Audit = await drill.s3.send(new ListObjectsV2Command({ Bucket: "fortress-recovery-tier3", Prefix: "fortress-audit/" }));
    drill.check(
        "every run but usage errors and dry runs left an audit record locally and in tier 3 (Object Lock)",
        audit.length > 0 && (tier3Audit.KeyCount ?? 0) >= audit.filter((a) => a.outcome !== "usage").length,
        `${audit.length} local records (${[...new Set(audit.map((a) => a.command))].join(", ")}); ${tier3Audit.KeyCount} objects under fortress-audit/ in tier 3`,
    );
}
