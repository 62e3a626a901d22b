/**
 * The IAM identities pgBackRest runs under. One pgBackRest process pushes WAL to repo2 and
 * repo3 at once, and pgBackRest takes a single web identity (AWS_ROLE_ARN) for all its S3
 * repos, so the per-tier writer roles cannot be used one by one: this role carries the tier 2
 * and tier 3 writer policies themselves (the storage component's statements, Deny included),
 * trusted through IRSA by the operator's service accounts. The verifier is the same for the
 * reader policies, trusted by the restore/verification service account.
 */
import * as pulumi from "@pulumi/pulumi";
import { mergePolicies } from "../platform/velero";
import { readerPolicy, writerPolicy } from "../storage/backup-access";
import { IrsaRole } from "../core/irsa-role";
import { doc } from "../storage/policy-documents";
import { BACKUP_AGE_METRIC } from "../detection/metrics";
import { BACKUP_SLO_NAMESPACE } from "../detection/slo";
import { VERIFY_METRIC_NAMESPACE } from "./verification";

export interface RepoTarget {
    readonly bucketArn: pulumi.Input<string>;
    /** The tier key in the bucket's region. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface PgBackRestAccessArgs {
    readonly accountId: pulumi.Input<string>;
    /** The cluster's OIDC issuer without scheme. */
    readonly oidcIssuer: pulumi.Input<string>;
    readonly namespace: string;
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

    constructor(name: string, args: PgBackRestAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:PgBackRestAccess", name, {}, opts);
        if (args.writerServiceAccounts.length === 0) {
            throw new Error(`PgBackRestAccess ${name}: writerServiceAccounts is empty; name the operator's service accounts (components/core/names.ts PG_SERVICE_ACCOUNTS)`);
        }
        const role = (suffix: string, accounts: readonly string[], policy: (b2: string, k2: string, b3: string, k3: string) => object, what: string) =>
            new IrsaRole(
                `${name}-${suffix}`,
                {
                    description: `Fortress DR: pgBackRest ${what} of tier 2 and tier 3 (repo2, repo3)`,
                    accountId: args.accountId,
                    oidcIssuer: args.oidcIssuer,
                    namespace: args.namespace,
                    serviceAccounts: accounts,
                    policy: pulumi
                        .all([args.repo2.bucketArn, args.repo2.kmsKeyArn, args.repo3.bucketArn, args.repo3.kmsKeyArn])
                        .apply(([b2, k2, b3, k3]) => JSON.stringify(policy(b2, k2, b3, k3))),
                },
                { parent: this },
            );
        this.writerRoleArn = role("writer", args.writerServiceAccounts, (b2, k2, b3, k3) => mergePolicies({ Tier2: writerPolicy(b2, k2), Tier3: writerPolicy(b3, k3) }), "writer").arn;
        this.verifierRoleArn = role("verifier", [args.verifierServiceAccount], (b2, k2, b3, k3) => mergePolicies({ Tier2: readerPolicy(b2, k2), Tier3: readerPolicy(b3, k3), Metrics: publishVerification() }), "reader").arn;
        this.registerOutputs({ writerRoleArn: this.writerRoleArn, verifierRoleArn: this.verifierRoleArn });
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
