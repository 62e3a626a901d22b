/** The cross-field rules, in the order their problems are reported. */
import { drModeConsistencyRule } from "./dr-mode-consistency";
import { drSectionByRoleRule } from "./dr-section-by-role";
import { eksClusterRule } from "./eks-cluster";
import { existingClusterAccessRule } from "./existing-cluster-access";
import { hostnamesRoutedRule } from "./hostnames-routed";
import { objectivesOnlyTightenRule } from "./objectives-only-tighten";
import { primaryOidcProviderRule } from "./primary-oidc-provider";
import { probeTimeoutRule } from "./probe-timeout";
import type { ConfigRule } from "./rule";
import { tier2DistanceRule } from "./tier2-distance";
import { tier3ImmutabilityRule } from "./tier3-immutability";
import { tier3ThirdRegionRule } from "./tier3-third-region";
import { tierSchedulesRule } from "./tier-schedules";
import { uniqueServiceNamesRule } from "./unique-service-names";

export type { ConfigRule, ParsedSections, RuleIssue } from "./rule";

export const CROSS_FIELD_RULES: readonly ConfigRule[] = [
    tier2DistanceRule,
    tier3ThirdRegionRule,
    objectivesOnlyTightenRule,
    tierSchedulesRule,
    tier3ImmutabilityRule,
    drSectionByRoleRule,
    drModeConsistencyRule,
    existingClusterAccessRule,
    primaryOidcProviderRule,
    uniqueServiceNamesRule,
    eksClusterRule,
    hostnamesRoutedRule,
    probeTimeoutRule,
];
