/**
 * The human-readable plan: resources by location (per Fortress domain; `--details`: per
 * component and type), then the tiers with their buckets, encryption, locks and replication,
 * then every schedule and retention, then detection.
 */
import { describeInterval, maxIntervalSeconds } from "../components/core/cron";
import type { PlanResult } from "./evaluate";
import { detectionSection } from "./plan-dr";
import { RenderOptions, counted, table } from "./plan-text";
import type { RecordedResource } from "../components/core/recorded-resource";

const find = (rs: RecordedResource[], type: string, pred: (r: RecordedResource) => boolean = () => true) => rs.filter((r) => r.type === type && pred(r));

function regionRole(result: PlanResult, region: string): string {
    const { primary, dr, tier3 } = result.config.regions;
    const roles = [region === primary && "primary", region === dr && "DR / tier 2", region === tier3 && "tier 3"].filter(Boolean);
    if (roles.length > 0) return roles.join(", ");
    if (region === result.config.gcs.location) return "GCS tier-3 copy";
    return "";
}

/** "storage" for `fortress:storage:TierBucket tier1`; "(stack)" for a resource outside any component. */
const domainOf = (component: string | undefined) => (component ? component.split(":")[1] : "(stack)");

function resourcesByRegion(result: PlanResult, options: RenderOptions): string {
    const custom = result.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const byRegion = new Map<string, RecordedResource[]>();
    for (const r of custom) {
        const region = r.region ?? "(global)";
        byRegion.set(region, [...(byRegion.get(region) ?? []), r]);
    }
    const components = result.resources.filter((r) => r.type.startsWith("fortress:")).length;
    let out = `Resources: ${custom.length} in ${byRegion.size} locations (${components} Fortress components)\n`;
    const regions = [...byRegion].sort(([a], [b]) => a.localeCompare(b));
    if (!options.details) {
        const rows = [["location", "role", "count", "by domain (fortress:<domain>:*; --details: each component's resources)"]];
        for (const [region, rs] of regions) {
            const domains = new Map<string, number>();
            for (const r of rs) domains.set(domainOf(r.component), (domains.get(domainOf(r.component)) ?? 0) + 1);
            const byCount = [...domains].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
            rows.push([region, regionRole(result, region) || "-", String(rs.length), byCount.map(([d, n]) => `${d} ${n}`).join(", ")]);
        }
        return out + table(rows);
    }
    for (const [region, rs] of regions) {
        const role = regionRole(result, region);
        out += `\n  ${region}${role ? ` (${role})` : ""}: ${rs.length}\n`;
        const byComponent = new Map<string, string[]>();
        for (const r of rs) {
            const component = r.component ?? "(stack)";
            byComponent.set(component, [...(byComponent.get(component) ?? []), r.type.split(":").pop()!]);
        }
        out += table([...byComponent].sort(([a], [b]) => a.localeCompare(b)).map(([component, types]) => [`${component}:`, counted(types)]), "    ");
    }
    return out;
}

function tiersTable(result: PlanResult, options: RenderOptions): string {
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
            rule?.sseAlgorithm === "aws:kms"
                ? `SSE-KMS${options.details ? ` ${keyId}` : ""}${rule && sse.inputs.rules[0].bucketKeyEnabled ? " +bucket key" : ""}`
                : String(rule?.sseAlgorithm),
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
            "n/a",
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

export function renderSummary(result: PlanResult, options: RenderOptions = { details: false }): string {
    const c = result.config;
    let out = `Fortress DR plan: stack ${result.stack} (environment ${c.environment}, role ${c.role})${options.details ? "" : "; --details shows everything"}\n`;
    out += `Evaluated under the Pulumi SDK mock runtime: no cloud was contacted; IDs and ARNs are mock values.\n\n`;
    out += resourcesByRegion(result, options);
    if (c.role === "primary") {
        out += tiersTable(result, options);
        out += schedulesTable(result);
        out += detectionSection(result, options);
    }
    return out;
}
