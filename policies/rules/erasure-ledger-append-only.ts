import type { PolicyResource } from "@pulumi/policy";
import { IF_NONE_MATCH_KEY, LEDGER_FORBIDDEN_S3_ACTIONS, LEDGER_OBJECT_PREFIX } from "../../components/compliance/erasure-ledger-policy";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { PolicyStatement, StackView, RESOURCE_TYPES, actionMatches, deniesEverywhere, statementCovers, statementsOf } from "../lib/stack-view";
import { BUCKET_PURPOSES, TAG_KEYS } from "../../components/core/tags";

const LEDGER_PURPOSE = BUCKET_PURPOSES.erasureLedger;
const BROAD_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess|AmazonS3FullAccess)$/;

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isLedger = (b: PolicyResource) => b.props.tags?.[TAG_KEYS.purpose] === LEDGER_PURPOSE;

/** Does a statement's Resource cover an object under the ledger prefix of `bucket`? */
function coversLedger(s: PolicyStatement, bucket: string): boolean {
    const sample = `arn:aws:s3:::${bucket}/${LEDGER_OBJECT_PREFIX}2026/01/x.json`;
    return list(s.Resource).some((r) => actionMatches(r, sample));
}

/** `{Null: {"s3:if-none-match": value}}` on the statement. */
function nullCondition(s: PolicyStatement, value: "true" | "false"): boolean {
    const c = s.Condition as Record<string, Record<string, unknown>> | undefined;
    const v = c?.Null?.[IF_NONE_MATCH_KEY];
    return v === value || v === (value === "true");
}

function roleOf(view: StackView, r: PolicyResource): PolicyResource | undefined {
    const deps = r.propertyDependencies?.role?.filter((d) => d.type === RESOURCE_TYPES.iamRole);
    if (deps && deps.length === 1) return deps[0];
    return view.ofType(RESOURCE_TYPES.iamRole).find((role) => role.props.name === r.props.role || role.name === r.props.role);
}

/** Every role's policy statements (inline, role policies, attached customer policies), and the broad managed attachments. */
function roleDocuments(view: StackView): Map<PolicyResource, { statements: PolicyStatement[]; broad: string[] }> {
    const out = new Map<PolicyResource, { statements: PolicyStatement[]; broad: string[] }>();
    const of = (role: PolicyResource) => out.get(role) ?? out.set(role, { statements: [], broad: [] }).get(role)!;
    for (const role of view.ofType(RESOURCE_TYPES.iamRole)) {
        for (const p of role.props.inlinePolicies ?? []) if (p?.policy !== undefined) of(role).statements.push(...statementsOf(p.policy, StackView.label(role)));
    }
    for (const rp of view.ofType(RESOURCE_TYPES.iamRolePolicy)) {
        const role = roleOf(view, rp);
        if (role) of(role).statements.push(...statementsOf(rp.props.policy, StackView.label(rp)));
    }
    const managed = view.ofType(RESOURCE_TYPES.iamPolicy);
    for (const att of view.ofType(RESOURCE_TYPES.iamRolePolicyAttachment)) {
        const role = roleOf(view, att);
        if (!role) continue;
        const arn = att.props.policyArn;
        if (typeof arn === "string" && BROAD_MANAGED.test(arn)) of(role).broad.push(arn.split("/").pop()!);
        const policy = att.propertyDependencies?.policyArn?.find((d) => d.type === RESOURCE_TYPES.iamPolicy) ?? managed.find((p) => p.name === arn);
        if (policy) of(role).statements.push(...statementsOf(policy.props.policy, StackView.label(policy)));
    }
    return out;
}

/**
 * GDPR Art. 17 across restores: the erasure ledger is locked and append only. Each ledger
 * bucket (tag `fortress:purpose: erasure-ledger`) has Object Lock with a COMPLIANCE default
 * retention (GOVERNANCE only in dev) and a bucket policy refusing a PUT without If-None-Match;
 * there is a copy in a second region; and every role that can write the ledger writes only
 * new keys (its PUT Allow requires If-None-Match, or a Deny refuses a PUT without it), is
 * allowed no destructive action on it, and carries an explicit Deny of all of them.
 */
export const erasureLedgerAppendOnly = stackRule({
    name: "erasure-ledger-append-only",
    description: "The GDPR erasure ledger is under Object Lock, copied to a second region, and its writers can only append (no delete, no overwrite).",
    enforcementLevel: "mandatory",
    severity: "critical",
    compliance: [CONTROLS.gdprErasure, CONTROLS.soxRecordIntegrity],
    remediationSteps:
        "Declare the ledger with components/compliance/erasure-ledger.ts (ErasureLedger): Object Lock COMPLIANCE, a DR copy, ledgerBucketPolicy, and appenderPolicy for the writer (PutObject with Condition Null s3:if-none-match false, Deny of LEDGER_FORBIDDEN_S3_ACTIONS on \"*\").",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const ledgers = view.ofType(RESOURCE_TYPES.bucket).filter(isLedger);
        const manifest = view.manifest();
        // The primary stack declares the ledger; a DR stack only reads it (its replay Job's reader role).
        const wantsErasure = manifest.ok && manifest.config.erasure !== undefined && manifest.config.role === "primary";
        if (ledgers.length === 0) {
            if (wantsErasure) report(`the stack config declares erasure procedures (erasure) but no erasure ledger bucket (tag fortress:purpose: ${LEDGER_PURPOSE}); without it a restore brings erased subjects back unnoticed`);
            return args.notApplicable("no erasure ledger is declared here and this stack does not have to declare one (no erasure section, or a DR stack that reads the primary's)");
        }
        const dev = manifest.ok && manifest.config.environment === "dev";

        for (const b of ledgers) {
            const label = StackView.label(b);
            if (b.props.objectLockEnabled !== true) report(`${label}: objectLockEnabled is not true; the ledger must be under Object Lock so no one can delete an entry`, b.urn);
            const locks = view.configsOf(b, RESOURCE_TYPES.objectLock);
            const retention = locks[0]?.props.rule?.defaultRetention;
            if (!retention) {
                report(`${label}: no Object Lock default retention is declared (BucketObjectLockConfiguration); without it new entries are not locked`, b.urn);
            } else if (retention.mode !== "COMPLIANCE" && !dev) {
                report(`${label}: Object Lock mode ${retention.mode}; the ledger needs COMPLIANCE (GOVERNANCE can be bypassed; it is for dev only)`, locks[0].urn);
            }
            const statements = view.configsOf(b, RESOURCE_TYPES.bucketPolicy).flatMap((p) => statementsOf(p.props.policy, StackView.label(p)));
            const refusesOverwrite = statements.some((s) => s.Effect === "Deny" && (s as { Principal?: unknown }).Principal === "*" && statementCovers(s, "s3:PutObject") && coversLedger(s, String(b.props.bucket)) && nullCondition(s, "true"));
            if (!refusesOverwrite) report(`${label}: its bucket policy does not deny s3:PutObject without ${IF_NONE_MATCH_KEY} to every principal; a writer could replace an entry's current version`, b.urn);
        }
        const regions = new Set(ledgers.map((b) => StackView.regionOf(b)).filter((r) => r !== undefined));
        if (regions.size < 2) report(`the erasure ledger has no copy in a second region (ledger buckets in ${[...regions].join(", ") || "an unknown region"}); a regional disaster would lose the record of every erasure`);

        for (const [role, d] of roleDocuments(view)) {
            const label = StackView.label(role);
            const writesLedger = ledgers.filter((b) => d.statements.some((s) => s.Effect === "Allow" && statementCovers(s, "s3:PutObject") && coversLedger(s, String(b.props.bucket))));
            if (writesLedger.length === 0 && d.broad.length === 0) continue;
            if (d.broad.length > 0) {
                report(`${label} has ${d.broad.join(", ")} attached: it could delete or overwrite the erasure ledger`, role.urn);
                continue;
            }
            for (const b of writesLedger) {
                const name = String(b.props.bucket);
                const allowedForbidden = LEDGER_FORBIDDEN_S3_ACTIONS.filter((a) => d.statements.some((s) => s.Effect === "Allow" && statementCovers(s, a) && (coversLedger(s, name) || list(s.Resource).some((r) => actionMatches(r, `arn:aws:s3:::${name}`)))));
                if (allowedForbidden.length > 0) report(`${label} writes the erasure ledger ${name} and is allowed ${allowedForbidden.join(", ")} on it`, role.urn);
                const unconditioned = d.statements.filter((s) => s.Effect === "Allow" && statementCovers(s, "s3:PutObject") && coversLedger(s, name) && !nullCondition(s, "false"));
                const deniedWithout = d.statements.some((s) => s.Effect === "Deny" && statementCovers(s, "s3:PutObject") && coversLedger(s, name) && nullCondition(s, "true"));
                if (unconditioned.length > 0 && !deniedWithout) {
                    report(`${label} may PUT into the erasure ledger ${name} without ${IF_NONE_MATCH_KEY} (statement ${unconditioned.map((s) => s.Sid ?? "without Sid").join(", ")}), so it could overwrite an entry; require the header (Condition Null ${IF_NONE_MATCH_KEY} "false") or deny its absence`, role.urn);
                }
            }
            const notDenied = LEDGER_FORBIDDEN_S3_ACTIONS.filter((a) => !deniesEverywhere(d.statements, a));
            if (notDenied.length > 0) report(`${label} writes the erasure ledger but has no explicit Deny on Resource "*" of ${notDenied.join(", ")}; an Allow attached later would let it destroy the ledger`, role.urn);
        }
    },
});
