import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DESTRUCTIVE_KMS_ACTIONS, KMS_USE_ACTIONS, doc } from "./policy-documents";

export interface BackupKeyArgs {
    /** What the key protects, for the console and the audit trail. */
    readonly description: string;
    /** The AWS account that owns the key. */
    readonly accountId: pulumi.Input<string>;
    /** Roles that administer the key (the deployer); only they may disable, delete or re-policy it. */
    readonly adminRoleArns: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Replica regions and the provider of each. Backups land in these regions, so each needs
     * the key material locally: a multi-Region replica shares the key ID's material, so an
     * object encrypted in one region decrypts in another without a cross-region call.
     */
    readonly replicas: Readonly<Record<string, aws.Provider>>;
    /**
     * Days KMS waits before deleting a scheduled key.
     * @default 30 (the maximum: the longest window to notice and cancel a deletion)
     */
    readonly deletionWindowInDays?: number;
    /** Protect the key and its replicas from `pulumi destroy`. @default false */
    readonly protect?: boolean;
}

/**
 * A customer-managed, multi-Region KMS key with rotation on, replicated to every region
 * where backups land. Its policy lets backup writers and readers use it (granted through
 * their IAM policies) but denies every principal except the administrators the actions that
 * would make backups unreadable: disable, schedule deletion, change the policy.
 */
export class BackupKey extends pulumi.ComponentResource {
    /** ARN of the primary key. */
    public readonly arn: pulumi.Output<string>;
    /** ARN of the key in each replica region, by region. */
    public readonly replicaArns: Record<string, pulumi.Output<string>>;
    public readonly keyId: pulumi.Output<string>;

    constructor(name: string, args: BackupKeyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:BackupKey", name, {}, opts);
        const deletionWindowInDays = args.deletionWindowInDays ?? 30;
        if (deletionWindowInDays < 7 || deletionWindowInDays > 30) {
            throw new Error(`BackupKey ${name}: deletionWindowInDays ${deletionWindowInDays} is outside 7-30; KMS accepts only that range`);
        }
        const policy = keyPolicy(args.accountId, args.adminRoleArns);
        const protect = args.protect ?? false;

        const key = new aws.kms.Key(
            name,
            {
                description: args.description,
                multiRegion: true,
                enableKeyRotation: true,
                rotationPeriodInDays: 365,
                deletionWindowInDays,
                keyUsage: "ENCRYPT_DECRYPT",
                customerMasterKeySpec: "SYMMETRIC_DEFAULT",
                policy,
            },
            { parent: this, protect },
        );
        new aws.kms.Alias(`${name}-alias`, { name: `alias/${name}`, targetKeyId: key.keyId }, { parent: this });

        this.replicaArns = {};
        for (const [region, provider] of Object.entries(args.replicas)) {
            const replica = new aws.kms.ReplicaKey(
                `${name}-${region}`,
                {
                    description: `${args.description} (replica in ${region})`,
                    primaryKeyArn: key.arn,
                    deletionWindowInDays,
                    policy,
                },
                { parent: this, provider, protect },
            );
            new aws.kms.Alias(`${name}-${region}-alias`, { name: `alias/${name}`, targetKeyId: replica.keyId }, { parent: this, provider });
            this.replicaArns[region] = replica.arn;
        }

        this.arn = key.arn;
        this.keyId = key.keyId;
        this.registerOutputs({ arn: this.arn, keyId: this.keyId, replicaArns: this.replicaArns });
    }
}

/** The key policy shared by the primary key and its replicas. */
export function keyPolicy(accountId: pulumi.Input<string>, adminRoleArns: pulumi.Input<pulumi.Input<string>[]>): pulumi.Output<string> {
    return pulumi.all([accountId, adminRoleArns]).apply(([account, admins]) =>
        JSON.stringify(
            doc(
                {
                    // Without an account statement IAM policies could not grant use of the key at all.
                    Sid: "AccountUseThroughIam",
                    Effect: "Allow",
                    Principal: { AWS: `arn:aws:iam::${account}:root` },
                    Action: [...KMS_USE_ACTIONS, "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
                    Resource: "*",
                },
                {
                    Sid: "KeyAdministration",
                    Effect: "Allow",
                    Principal: { AWS: admins },
                    Action: "kms:*",
                    Resource: "*",
                },
                {
                    Sid: "DenyDestructionExceptAdministrators",
                    Effect: "Deny",
                    Principal: "*",
                    Action: [...DESTRUCTIVE_KMS_ACTIONS],
                    Resource: "*",
                    Condition: { ArnNotLike: { "aws:PrincipalArn": admins } },
                },
            ),
        ),
    );
}
