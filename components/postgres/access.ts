/**
 * The IAM identities pgBackRest runs under. One pgBackRest process pushes WAL to repo2 and
 * repo3 at once, and pgBackRest takes a single web identity (AWS_ROLE_ARN) for all its S3
 * repos, so the per-tier writer roles cannot be used one by one: this role carries the tier 2
 * and tier 3 writer policies themselves (the storage component's statements, Deny included),
 * trusted through IRSA by the operator's service accounts. The verifier is the same for the
 * reader policies, trusted by the restore/verification service account.
 *
 * The scratch reader: `fortress restore`/`dr-test` on the platform restore into a NEW cluster in
 * a scratch namespace (`fortress-scratch-<into>`, components/core/names.ts), whose pgBackRest
 * runs as `<into>-instance`/`<into>-pgbackrest`. Those are trusted by neither role above (their
 * trust names the source namespace exactly), so a third role carries ONLY the tier 2 and tier 3
 * reader policies (their Deny on destroying versions included, no writes, no metrics) and trusts
 * those service accounts by pattern (StringLike, scratch namespace prefix only). A drill can then
 * read the production repos and never write into them, whatever the scratch cluster is told.
 */
import * as pulumi from "@pulumi/pulumi";
import { mergePolicies } from "../platform/velero";
import { TierTarget, readerPolicy, writerPolicy } from "../storage/backup-access";
import { IrsaRole, IrsaTrust } from "../core/irsa-role";
import { scratchServiceAccountSubjects } from "../core/names";
import { doc } from "../storage/policy-documents";
import { BACKUP_AGE_METRIC } from "../detection/metrics";
import { BACKUP_SLO_NAMESPACE } from "../detection/slo";
import { VERIFY_METRIC_NAMESPACE } from "./verification";

/** A pgBackRest repo's bucket and key (the tier's). */
export type RepoTarget = TierTarget;

/** IrsaTrust: the cluster's OIDC provider and the database's namespace. */
export interface PgBackRestAccessArgs extends IrsaTrust {
    /** Service accounts of the database pods and the operator's backup jobs. */
    readonly writerServiceAccounts: readonly string[];
    /** Service account of the verification job. */
    readonly verifierServiceAccount: string;
    readonly repo2: RepoTarget;
    readonly repo3: RepoTarget;
}

export class PgBackRestAccess extends pulumi.ComponentResource {
    public readonly writerRoleArn: pulumi.Output<string>;
    public readonly verifierRoleArn: pulumi.Output<string>;
    /** Read-only on repo2/repo3, trusted by the scratch restore clusters' service accounts (pattern). */
    public readonly scratchReaderRoleArn: pulumi.Output<string>;

    constructor(name: string, args: PgBackRestAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:PgBackRestAccess", name, {}, opts);
        if (args.writerServiceAccounts.length === 0) {
            throw new Error(`PgBackRestAccess ${name}: writerServiceAccounts is empty; name the operator's service accounts (components/core/names.ts PG_SERVICE_ACCOUNTS)`);
        }
        const role = (suffix: string, accounts: readonly string[], policy: (b2: string, k2: string, b3: string, k3: string) => object, what: string, subjectsLike?: readonly string[]) =>
            new IrsaRole(
                `${name}-${suffix}`,
                {
                    description: `Fortress DR: pgBackRest ${what} of tier 2 and tier 3 (repo2, repo3)`,
                    accountId: args.accountId,
                    oidcIssuer: args.oidcIssuer,
                    namespace: args.namespace,
                    serviceAccounts: accounts,
                    ...(subjectsLike ? { subjectsLike } : {}),
                    policy: pulumi
                        .all([args.repo2.bucketArn, args.repo2.kmsKeyArn, args.repo3.bucketArn, args.repo3.kmsKeyArn])
                        .apply(([b2, k2, b3, k3]) => JSON.stringify(policy(b2, k2, b3, k3))),
                },
                { parent: this },
            );
        this.writerRoleArn = role("writer", args.writerServiceAccounts, (b2, k2, b3, k3) => mergePolicies({ Tier2: writerPolicy(b2, k2), Tier3: writerPolicy(b3, k3) }), "writer").arn;
        this.verifierRoleArn = role("verifier", [args.verifierServiceAccount], (b2, k2, b3, k3) => mergePolicies({ Tier2: readerPolicy(b2, k2), Tier3: readerPolicy(b3, k3), Metrics: publishVerification() }), "reader").arn;
        this.scratchReaderRoleArn = role("scratch-reader", [], (b2, k2, b3, k3) => mergePolicies({ Tier2: readerPolicy(b2, k2), Tier3: readerPolicy(b3, k3) }), "read-only scratch restore", scratchServiceAccountSubjects()).arn;
        this.registerOutputs({ writerRoleArn: this.writerRoleArn, verifierRoleArn: this.verifierRoleArn, scratchReaderRoleArn: this.scratchReaderRoleArn });
    }
}

/** The verification and backup-age jobs publish their results, and only in their namespaces of metrics. */
function publishVerification() {
    return doc({
        Sid: "PublishResults",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": [VERIFY_METRIC_NAMESPACE, BACKUP_AGE_METRIC.namespace, BACKUP_SLO_NAMESPACE] } },
    });
}
