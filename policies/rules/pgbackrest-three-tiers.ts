import { pgClusters } from "../../objectives";
import { TIER_REPOS } from "../../components/postgres/pgbackrest";
import { tierRegion } from "../../config";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView } from "../lib/stack-view";

/**
 * pgBackRest writes the database to all three tiers (docs/architecture.md, "PostgreSQL"): repo1 on a
 * local volume, repo2 in S3 in the DR region, repo3 in S3 in the tier-3 region; each encrypts
 * client-side (aes-256-cbc) and keeps time-based retention equal to its tier's. The cipher
 * passphrase never appears in the cluster resource itself.
 */
export const pgbackrestThreeTiers = stackRule({
    name: "pgbackrest-three-tiers",
    description: "pgBackRest repositories cover all three tiers, each with aes-256-cbc encryption and its tier's retention.",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: [CONTROLS.hipaaBackup, CONTROLS.hipaaEncryptionAtRest, CONTROLS.gdprEncryption, CONTROLS.gdprRestore, CONTROLS.pciEncryptionAtRest, CONTROLS.soxOperations],
    remediationSteps: "Build backups.pgbackrest from renderPgBackRest (components/postgres/pgbackrest.ts): repos repo1 (volume), repo2 (s3, regions.dr), repo3 (s3, regions.tier3); global repoN-cipher-type aes-256-cbc, repoN-retention-full-type time, repoN-retention-full = tiers.database.<tier>.retentionDays; cipher passphrases in a Secret.",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const clusters = pgClusters(view.declared()).found.filter((c) => !c.standby);
        if (clusters.length === 0) return args.notApplicable("no PostgreSQL cluster (other than a standby) is declared");
        const config = view.configOrReport(report, "cannot check the repositories' regions and retention");
        if (!config) return;
        const { regions, tiers } = config;
        // The primary's layout is the three-tier design; a DR cluster promoted or rebuilt during an
        // incident writes where the DR plan says (its primary region may be gone), so only its
        // encryption and retention are checked here.
        const layout = config.role === "primary";
        for (const pg of clusters) {
            TIER_REPOS.forEach((tier, i) => {
                const name = `repo${i + 1}`;
                const repo = pg.repos.find((r) => r.name === name);
                const at = `PerconaPGCluster ${pg.name} ${name} (${tier})`;
                if (!repo) {
                    if (layout) report(`${at}: not declared; the database has no ${tier} copy`);
                    return;
                }
                if (layout && tier === "tier1" && repo.kind !== "volume") report(`${at}: is ${repo.kind}; tier 1 is the local volume (restores must not depend on another region)`);
                if (layout && tier !== "tier1" && (repo.kind !== "s3" || repo.region !== tierRegion(regions, tier))) {
                    report(`${at}: is ${repo.kind}${repo.region ? ` in ${repo.region}` : ""}; ${tier} is S3 in ${tierRegion(regions, tier)}`);
                }
                const g = pg.global;
                if (g[`${name}-cipher-type`] !== "aes-256-cbc") report(`${at}: ${name}-cipher-type is ${g[`${name}-cipher-type`] ?? "unset"}; set aes-256-cbc so the repository is encrypted before it leaves the pod`);
                if (g[`${name}-cipher-pass`] !== undefined) report(`${at}: ${name}-cipher-pass is written in the cluster resource in plain text; deliver it through the pgBackRest configuration Secret`);
                const retention = tiers.database[tier].retentionDays;
                if (g[`${name}-retention-full-type`] !== "time" || g[`${name}-retention-full`] !== String(retention)) {
                    report(`${at}: retention is ${g[`${name}-retention-full-type`] ?? "count"} ${g[`${name}-retention-full`] ?? "unset"}; tiers.database.${tier}.retentionDays asks for time-based ${retention} days`);
                }
            });
        }
    },
});
