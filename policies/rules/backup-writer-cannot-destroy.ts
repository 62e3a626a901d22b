import type { PolicyResource } from "@pulumi/policy";
import { BACKUP_JOB_SERVICE_ACCOUNT, PG_SERVICE_ACCOUNTS } from "../../components/core/names";
import { DESTRUCTIVE_S3_ACTIONS } from "../../components/storage/policy-documents";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { PolicyStatement, StackView, RESOURCE_TYPES, allowsOf, deniesEverywhere, statementsOf } from "../lib/stack-view";

/** Writing a backup is putting an object (or replicating one). */
const WRITE_ACTIONS = ["s3:PutObject", "s3:ReplicateObject"];
/**
 * The fortress CLI's audit records (cli/audit.ts auditKey: `fortress-audit/<stack>/...`) are not
 * backups: a role whose every write lands under this prefix (the scheduled recovery tests) writes
 * no backup. Such a PUT carries its own Object Lock retention, which S3 allows only with
 * s3:PutObjectRetention; without s3:BypassGovernanceRetention that can set or lengthen a
 * retention, never shorten it, and the Bypass stays forbidden below.
 */
const AUDIT_RECORDS = /^arn:aws[a-z-]*:s3:::[^/]+\/fortress-audit\/[^*]/;
const writesOnlyAuditRecords = (statements: readonly PolicyStatement[]) =>
    WRITE_ACTIONS.flatMap((a) => allowsOf(statements, a)).every((s) => [s.Resource ?? "*"].flat().every((r) => AUDIT_RECORDS.test(String(r))));
/** AWS-managed policies that grant every destructive S3 action. */
const BROAD_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess|AmazonS3FullAccess)$/;
const WRITER_ACCOUNTS = [BACKUP_JOB_SERVICE_ACCOUNT, ...PG_SERVICE_ACCOUNTS];

interface Doc {
    readonly where: string;
    readonly urn: string;
    readonly statements: PolicyStatement[];
    /** The role the document is attached to, when this stack declares it. */
    readonly role?: PolicyResource;
}

function roleOf(view: StackView, r: PolicyResource, input: string): PolicyResource | undefined {
    const deps = r.propertyDependencies?.[input]?.filter((d) => d.type === RESOURCE_TYPES.iamRole);
    if (deps && deps.length === 1) return deps[0];
    const value = r.props[input];
    return view.ofType(RESOURCE_TYPES.iamRole).find((role) => role.props.name === value || role.name === value);
}

/** Roles the backup jobs and the database pods assume through IRSA. */
function isBackupWriterRole(role: PolicyResource): boolean {
    const trust = statementsOf(role.props.assumeRolePolicy ?? "{}", StackView.label(role));
    return trust.some((s) => {
        const cond = s.Condition as Record<string, Record<string, unknown>> | undefined;
        const subs = Object.entries(cond?.StringEquals ?? {}).concat(Object.entries(cond?.StringLike ?? {}))
            .filter(([k]) => k.endsWith(":sub"))
            .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
            .map(String);
        return subs.some((sub) => WRITER_ACCOUNTS.some((sa) => sub.endsWith(`:${sa}`)));
    });
}

/**
 * A backup writer can add backups and hide them behind delete markers, never destroy them:
 * no writer's policy allows deleting an object version or changing what keeps versions
 * (bucket policy, lifecycle, versioning, replication, Object Lock, encryption), and the
 * writer roles of the backup jobs and database pods carry an explicit Deny of all of those,
 * so an Allow attached later cannot undo the guarantee.
 */
export const backupWriterCannotDestroy = stackRule({
    name: "backup-writer-cannot-destroy",
    description: "Backup writers cannot permanently delete backups or change the settings that keep them.",
    enforcementLevel: "mandatory",
    severity: "critical",
    compliance: [CONTROLS.soxRecordIntegrity, CONTROLS.hipaaIntegrity, CONTROLS.hipaaBackup, CONTROLS.pciLeastPrivilege, CONTROLS.gdprResilience],
    remediationSteps:
        "Grant writers only components/storage/policy-documents.ts WRITER_S3_ACTIONS and add the NeverDestroyBackups Deny of DESTRUCTIVE_S3_ACTIONS on Resource \"*\" (writerPolicy in components/storage/backup-access.ts). Never attach AmazonS3FullAccess, PowerUserAccess or AdministratorAccess to a writer.",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const docs: Doc[] = [];
        for (const rp of view.ofType(RESOURCE_TYPES.iamRolePolicy)) {
            docs.push({ where: StackView.label(rp), urn: rp.urn, statements: statementsOf(rp.props.policy, StackView.label(rp)), role: roleOf(view, rp, "role") });
        }
        for (const role of view.ofType(RESOURCE_TYPES.iamRole)) {
            for (const [i, p] of (role.props.inlinePolicies ?? []).entries()) {
                if (p?.policy !== undefined) docs.push({ where: `${StackView.label(role)} inlinePolicies[${i}]`, urn: role.urn, statements: statementsOf(p.policy, StackView.label(role)), role });
            }
        }
        const managed = new Map(view.ofType(RESOURCE_TYPES.iamPolicy).map((p) => [p, statementsOf(p.props.policy, StackView.label(p))] as const));
        for (const att of view.ofType(RESOURCE_TYPES.iamRolePolicyAttachment)) {
            const role = roleOf(view, att, "role");
            const arn = att.props.policyArn;
            if (typeof arn === "string" && BROAD_MANAGED.test(arn)) {
                report(`${StackView.label(att)} attaches ${arn.split("/").pop()} to ${role ? StackView.label(role) : String(att.props.role)}: it allows every destructive S3 action`, att.urn);
                continue;
            }
            const policy = att.propertyDependencies?.policyArn?.find((d) => d.type === RESOURCE_TYPES.iamPolicy) ?? [...managed.keys()].find((p) => p.name === arn);
            if (policy) docs.push({ where: `${StackView.label(policy)} (attached by ${StackView.label(att)})`, urn: policy.urn, statements: managed.get(policy)!, role });
        }
        if (docs.length === 0 && view.ofType(RESOURCE_TYPES.iamRole).length === 0) return args.notApplicable("no IAM role or policy is declared");

        for (const d of docs) {
            if (!WRITE_ACTIONS.some((a) => allowsOf(d.statements, a).length > 0)) continue;
            const auditOnly = writesOnlyAuditRecords(d.statements);
            const allowed = DESTRUCTIVE_S3_ACTIONS.filter((a) => !(auditOnly && a === "s3:PutObjectRetention"))
                .map((a) => ({ a, by: allowsOf(d.statements, a) }))
                .filter((x) => x.by.length > 0);
            if (allowed.length > 0) {
                const detail = allowed.map((x) => `${x.a} (statement ${x.by.map((s) => s.Sid ?? "without Sid").join(", ")})`).join(", ");
                report(`${d.where} writes backups and allows ${detail}; a backup writer must not destroy versions or change what keeps them`, d.urn);
            }
        }
        for (const role of view.ofType(RESOURCE_TYPES.iamRole).filter(isBackupWriterRole)) {
            const statements = docs.filter((d) => d.role === role).flatMap((d) => d.statements);
            if (!WRITE_ACTIONS.some((a) => allowsOf(statements, a).length > 0)) continue; // a reader role for the same accounts
            const notDenied = DESTRUCTIVE_S3_ACTIONS.filter((a) => !deniesEverywhere(statements, a));
            if (notDenied.length > 0) {
                report(`${StackView.label(role)} is assumed by the backup writers' service accounts but has no explicit Deny on Resource "*" of ${notDenied.join(", ")}; an Allow attached later would let it destroy backups`, role.urn);
            }
        }
    },
});
