import { MIN_UNDO_WINDOW_DAYS, RetentionEntry, engineHorizonDays, prefixRule, tierPrefix } from "../../components/storage/retention";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";
import type { TierId } from "../../config/vocabulary";
import { BUCKET_PURPOSES, TAG_KEYS } from "../../components/core/tags";

const PREFIX = /^(tier[123])\/([a-z0-9-]+)\/$/;

/**
 * Where tier 1 of a data class is not in S3: the database's tier 1 is pgBackRest repo1 on the
 * local NVMe volume (docs/architecture.md, "PostgreSQL"), so the tier-1 bucket holds no database rule.
 */
const NOT_IN_S3: ReadonlySet<string> = new Set(["tier1/database/"]);

function prefixOf(rule: any): string | undefined {
    const p = rule?.filter?.prefix ?? rule?.filter?.and?.prefix ?? rule?.prefix;
    return typeof p === "string" ? p : undefined;
}

/**
 * Lifecycle rules implement each tier's retention from the stack config, no shorter and no
 * longer: a rule that expires sooner than the backup engine (retention plus one full-backup
 * interval) deletes files a restore point still needs; one that never expires, or keeps data
 * much longer, breaks storage limitation. The expected numbers come from the same functions
 * the buckets are built with (components/storage/retention.ts).
 */
export const lifecycleMatchesTierRetention = stackRule({
    name: "lifecycle-matches-tier-retention",
    description: "Backup buckets' lifecycle rules match each tier's configured retention (never shorter than the engine needs, never longer than the retention).",
    enforcementLevel: "mandatory",
    severity: "medium",
    compliance: [CONTROLS.gdprStorageLimitation, CONTROLS.hipaaBackup, CONTROLS.pciRetention, CONTROLS.soxRecordIntegrity],
    remediationSteps: "Derive the bucket's lifecycle from the tiers config with tierPrefixRules/prefixRule (components/storage/retention.ts), as TierBucket does; keep access logs for storage.complianceRetentionDays.",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const buckets = view.ofType(RESOURCE_TYPES.bucket);
        const gcsTier3 = view.gcsTier3Copies();
        if (buckets.length + gcsTier3.length === 0) return args.notApplicable("no bucket is declared");
        const config = view.configOrReport(report, "cannot check retention");
        if (!config) return;
        const tiers = config.tiers as unknown as Record<string, Partial<Record<TierId, RetentionEntry>>>;
        for (const b of buckets) {
            const tier = StackView.tierOf(b);
            const logs = b.props.tags?.[TAG_KEYS.purpose] === BUCKET_PURPOSES.accessLogs;
            if (!tier && !logs) continue;
            const rules: any[] = view.configsOf(b, RESOURCE_TYPES.lifecycle).flatMap((l) => [...(l.props.rules ?? [])]).filter((r) => r?.status === "Enabled");
            if (rules.length === 0) {
                report(`${StackView.label(b)}: no enabled lifecycle rule; ${logs ? "access logs" : `${tier} backups`} would be kept forever`, b.urn);
                continue;
            }
            if (logs) {
                const days = Math.max(0, ...rules.map((r) => r.expiration?.days ?? 0));
                const want = config.storage.complianceRetentionDays;
                if (days < want) report(`${StackView.label(b)}: access logs expire after ${days || "never"} days; storage.complianceRetentionDays asks for ${want}`, b.urn);
                continue;
            }
            const seen = new Set<string>();
            for (const r of rules) {
                const prefix = prefixOf(r);
                const match = prefix ? PREFIX.exec(prefix) : null;
                if (!match) continue;
                const [, ruleTier, dataClass] = match as unknown as [string, TierId, string];
                const entry = tiers[dataClass]?.[ruleTier];
                if (!entry) continue;
                seen.add(prefix!);
                const want = prefixRule(ruleTier, dataClass, entry);
                const horizon = engineHorizonDays(entry);
                const exp = r.expiration?.days;
                const where = `${StackView.label(b)} rule ${r.id ?? prefix} (${prefix})`;
                if (typeof exp !== "number") {
                    report(`${where}: current versions never expire, but tiers.${dataClass}.${ruleTier}.retentionDays is ${entry.retentionDays}; expire them after ${want.currentExpirationDays} days`, b.urn);
                } else if (exp < horizon) {
                    report(`${where}: expires current versions after ${exp} days, before the backup engine is done with them (retention ${entry.retentionDays} days + one full-backup interval = ${horizon} days); a restore point inside the retention would lose its base backup`, b.urn);
                } else if (want.currentExpirationDays !== undefined && exp > want.currentExpirationDays) {
                    report(`${where}: keeps current versions ${exp} days, longer than the ${entry.retentionDays}-day retention needs (${want.currentExpirationDays})`, b.urn);
                }
                const nc = r.noncurrentVersionExpiration?.noncurrentDays;
                if (typeof nc !== "number") report(`${where}: noncurrent versions never expire; keep them ${want.noncurrentExpirationDays} days`, b.urn);
                else if (nc < MIN_UNDO_WINDOW_DAYS) report(`${where}: noncurrent versions expire after ${nc} days, under the ${MIN_UNDO_WINDOW_DAYS}-day undo window against a bad delete`, b.urn);
                else if (nc > want.noncurrentExpirationDays) report(`${where}: keeps noncurrent versions ${nc} days, longer than the ${want.noncurrentExpirationDays} the retention needs`, b.urn);
            }
            for (const [dataClass, byTier] of Object.entries(tiers)) {
                const prefix = tierPrefix(tier!, dataClass);
                if (byTier[tier!] && !NOT_IN_S3.has(prefix) && !seen.has(prefix)) {
                    report(`${StackView.label(b)}: no enabled lifecycle rule for ${prefix}, so tiers.${dataClass}.${tier}.retentionDays (${byTier[tier!]!.retentionDays}) is not enforced`, b.urn);
                }
            }
        }
        const lockDays = config.storage.tier3.objectLock.days;
        for (const g of gcsTier3) {
            const seconds = Number(g.props.retentionPolicy?.retentionPeriod);
            if (!Number.isFinite(seconds) || seconds < lockDays * 86_400) {
                report(`${StackView.label(g)}: retentionPolicy.retentionPeriod ${g.props.retentionPolicy?.retentionPeriod ?? "unset"} s is shorter than tier 3's ${lockDays} days (${lockDays * 86_400} s)`, g.urn);
            }
            const deletes = (g.props.lifecycleRules ?? []).filter((r: any) => r?.action?.type === "Delete").map((r: any) => Number(r?.condition?.age));
            if (deletes.length === 0) report(`${StackView.label(g)}: no Delete lifecycle rule; copies would be kept forever after the ${lockDays}-day retention`, g.urn);
            else if (Math.min(...deletes) < lockDays) report(`${StackView.label(g)}: a Delete rule at age ${Math.min(...deletes)} days comes before the ${lockDays}-day retention`, g.urn);
        }
    },
});
