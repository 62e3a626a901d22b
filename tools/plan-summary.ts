/**
 * The human-readable plan: resources by region and component, then the tiers with their
 * buckets, encryption, locks and replication, then every schedule and retention.
 */
import { describeInterval, maxIntervalSeconds } from "../components/core/cron";
import type { PlanResult, PlannedResource } from "./evaluate";
import { detectionSection } from "./plan-dr";

function table(rows: string[][], indent = "  "): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

const find = (rs: PlannedResource[], type: string, pred: (r: PlannedResource) => boolean = () => true) => rs.filter((r) => r.type === type && pred(r));

function regionRole(result: PlanResult, region: string): string {
    const { primary, dr, tier3 } = result.config.regions;
    const roles = [region === primary && "primary", region === dr && "DR / tier 2", region === tier3 && "tier 3"].filter(Boolean);
    if (roles.length > 0) return roles.join(", ");
    if (region === result.config.gcs.location) return "GCS tier-3 copy";
    return "";
}

function resourcesByRegion(result: PlanResult): string {
    const custom = result.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const byRegion = new Map<string, Map<string, Map<string, number>>>();
    for (const r of custom) {
        const region = r.region ?? "(global)";
        const component = r.component ?? "(stack)";
        const comps = byRegion.get(region) ?? byRegion.set(region, new Map()).get(region)!;
        const types = comps.get(component) ?? comps.set(component, new Map()).get(component)!;
        types.set(r.type, (types.get(r.type) ?? 0) + 1);
    }
    let out = `Resources: ${custom.length} in ${byRegion.size} locations (${result.resources.filter((r) => r.type.startsWith("fortress:")).length} Fortress components)\n`;
    for (const [region, comps] of [...byRegion].sort()) {
        const total = [...comps.values()].reduce((n, t) => n + [...t.values()].reduce((a, b) => a + b, 0), 0);
        const role = regionRole(result, region);
        out += `\n  ${region}${role ? ` (${role})` : ""}: ${total}\n`;
        for (const [component, types] of [...comps].sort()) {
            const list = [...types].map(([t, n]) => `${t.split(":").pop()}${n > 1 ? ` x${n}` : ""}`).join(", ");
            out += `    ${component}: ${list}\n`;
        }
    }
    return out;
}

function tiersTable(result: PlanResult): string {
    const rs = result.resources;
    const rows = [["tier", "region", "bucket", "encryption", "versioning", "object lock", "replicates to"]];
    const buckets = find(rs, "aws:s3/bucket:Bucket", (b) => b.parentName !== undefined && /^tier[123]$/.test(b.parentName));
    const replication = find(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    const bucketByArn = new Map(buckets.map((b) => [`arn:aws:s3:::${b.inputs.bucket}`, b]));
    for (const b of buckets) {
        const tier = b.parentName!;
        const sse = find(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", (s) => s.name === `${tier}-sse`)[0];
        const rule = sse?.inputs.rules?.[0]?.applyServerSideEncryptionByDefault;
        const keyId = String(rule?.kmsMasterKeyId ?? "").split("/").pop();
        const lock = find(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", (l) => l.name === `${tier}-object-lock`)[0];
        const versioning = find(rs, "aws:s3/bucketVersioning:BucketVersioning", (v) => v.name === `${tier}-versioning`)[0];
        const targets = replication
            .filter((r) => r.inputs.bucket === b.inputs.bucket)
            .flatMap((r) => r.inputs.rules as any[])
            .map((rule) => {
                const dest = bucketByArn.get(rule.destination.bucket)?.parentName ?? rule.destination.bucket;
                const rtc = rule.destination.replicationTime?.status === "Enabled" ? `RTC ${rule.destination.replicationTime.time.minutes}m` : "no RTC";
                return `${dest} [${rule.filter.prefix || "*"}] ${rtc}`;
            });
        rows.push([
            tier,
            b.region ?? "?",
            b.inputs.bucket,
            rule?.sseAlgorithm === "aws:kms" ? `SSE-KMS ${keyId}${rule && sse.inputs.rules[0].bucketKeyEnabled ? " +bucket key" : ""}` : String(rule?.sseAlgorithm),
            versioning?.inputs.versioningConfiguration?.status ?? "off",
            lock ? `${lock.inputs.rule.defaultRetention.mode} ${lock.inputs.rule.defaultRetention.days}d` : "-",
            targets.join("; ") || "-",
        ]);
    }
    for (const g of find(rs, "gcp:storage/bucket:Bucket")) {
        const rp = g.inputs.retentionPolicy;
        rows.push([
            "tier3 copy",
            g.inputs.location,
            g.inputs.name,
            g.inputs.encryption?.defaultKmsKeyName ? "CMEK" : "Google-managed",
            "n/a (retention policy)",
            rp ? `retention ${Number(rp.retentionPeriod) / 86_400}d${rp.isLocked ? " LOCKED" : " unlocked"}` : "-",
            find(rs, "gcp:storage/transferJob:TransferJob").length > 0 ? "<- Storage Transfer from tier3, daily" : "-",
        ]);
    }
    return `\nStorage tiers\n${table(rows)}`;
}

function schedulesTable(result: PlanResult): string {
    const rows = [["data class", "tier", "schedule", "worst gap", "retention"]];
    for (const [dataClass, byTier] of Object.entries(result.config.tiers)) {
        for (const [tier, def] of Object.entries(byTier as Record<string, Record<string, string | number>>)) {
            const kinds = ["full", "differential", "incremental", "snapshot"].filter((k) => def[k] !== undefined);
            const schedule = kinds.map((k) => `${k} "${def[k]}"`).join(", ");
            const tightest = Math.min(...kinds.map((k) => maxIntervalSeconds(String(def[k]))));
            rows.push([dataClass, tier, schedule, describeInterval(tightest), `${def.retentionDays}d`]);
        }
    }
    return `\nSchedules and retention (tiers config: the one source the jobs, policies and objectives read)\n${table(rows)}`;
}

export function renderSummary(result: PlanResult): string {
    const c = result.config;
    let out = `Fortress DR plan: stack ${result.stack} (environment ${c.environment}, role ${c.role})\n`;
    out += `Evaluated under the Pulumi SDK mock runtime: no cloud was contacted; IDs and ARNs are mock values.\n\n`;
    out += resourcesByRegion(result);
    if (c.role === "primary") {
        out += tiersTable(result);
        out += schedulesTable(result);
        out += detectionSection(result);
    }
    return out;
}
