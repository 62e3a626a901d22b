import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BackupKey } from "../storage/backup-key";
import { IrsaRole } from "../core/irsa-role";
import { doc } from "../storage/policy-documents";
import { BackupJobs, ComponentBackupJobs, scheduledBackupsOf } from "./backup-jobs";

/** The raft-snapshot jobs' settings (ComponentBackupJobs) with `tiers.secrets` as the schedules. */
export interface VaultDrArgs extends ComponentBackupJobs {
    readonly accountId: pulumi.Input<string>;
    /** Roles that administer the unseal key (the deploy role). */
    readonly adminRoleArns: pulumi.Input<pulumi.Input<string>[]>;
    /** The DR region's provider, for the unseal key's replica. */
    readonly replicas: Readonly<Record<string, aws.Provider>>;
    readonly primaryRegion: string;
    /** The primary cluster's OIDC issuer, for Vault's IRSA role. */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Vault's namespace and service account in the cluster. */
    readonly vaultNamespace: string;
    readonly vaultServiceAccount: string;
    /** Where the snapshot jobs reach Vault, and the Kubernetes-auth role they log in with. */
    readonly vaultAddress: string;
    readonly snapshotRole: string;
    /** @default false */
    readonly protect?: boolean;
}

/**
 * What Vault needs to be recoverable in the DR region:
 *  - a multi-Region KMS key for auto-unseal, with a replica in the DR region: the same key
 *    material under the same key id, so a Vault restored there from a raft snapshot unseals
 *    with the replica when the primary region is gone;
 *  - an IRSA role letting Vault's service account use the key (the DR cluster's Vault gets
 *    its own role in the DR stack, trusting that cluster's issuer, on the replica);
 *  - raft snapshots on the `tiers.secrets` schedule, encrypted, to tier 2 and tier 3.
 */
export class VaultDr extends pulumi.ComponentResource {
    public readonly unsealKeyArn: pulumi.Output<string>;
    public readonly unsealKeyId: pulumi.Output<string>;
    public readonly unsealReplicaArns: Record<string, pulumi.Output<string>>;
    public readonly roleArn: pulumi.Output<string>;
    /** The `seal "awskms"` stanza for Vault's configuration in the primary region. */
    public readonly sealStanza: pulumi.Output<string>;
    public readonly backupPassphrase: pulumi.Output<string>;

    constructor(name: string, args: VaultDrArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:platform:VaultDr", name, {}, opts);
        if (Object.keys(args.replicas).length === 0) {
            throw new Error(`VaultDr ${name}: replicas is empty; the unseal key needs a replica in the DR region (pass its provider)`);
        }
        if (args.replicas[args.primaryRegion]) {
            throw new Error(`VaultDr ${name}: replicas names the primary region ${args.primaryRegion}; a replica must be in another region`);
        }

        const key = new BackupKey(
            `${name}-unseal`,
            {
                description: "Fortress DR: Vault auto-unseal (multi-Region)",
                accountId: args.accountId,
                adminRoleArns: args.adminRoleArns,
                replicas: args.replicas,
                protect: args.protect,
            },
            { parent: this },
        );

        const role = new IrsaRole(
            `${name}-unseal`,
            {
                description: "Fortress DR: Vault auto-unseal with the multi-Region key",
                accountId: args.accountId,
                oidcIssuer: args.oidcIssuer,
                namespace: args.vaultNamespace,
                serviceAccounts: [args.vaultServiceAccount],
                policyName: `${name}-unseal`,
                policy: pulumi
                    .all([key.arn, ...Object.values(key.replicaArns)])
                    .apply((arns) => JSON.stringify(doc({ Sid: "AutoUnseal", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], Resource: arns }))),
            },
            { parent: this },
        );

        const jobs = new BackupJobs(
            `${name}-raft-snapshot`,
            {
                ...scheduledBackupsOf(args),
                script: "vault-raft-snapshot.sh",
                dataClass: "secrets",
                subPath: "vault",
                env: [
                    { name: "VAULT_ADDR", value: args.vaultAddress },
                    { name: "VAULT_K8S_ROLE", value: args.snapshotRole },
                ],
            },
            { parent: this },
        );

        this.unsealKeyArn = key.arn;
        this.unsealKeyId = key.keyId;
        this.unsealReplicaArns = key.replicaArns;
        this.roleArn = role.arn;
        this.sealStanza = pulumi.interpolate`seal "awskms" {\n  region     = "${args.primaryRegion}"\n  kms_key_id = "${key.keyId}"\n}\n`;
        this.backupPassphrase = jobs.passphrase;
        this.registerOutputs({ unsealKeyArn: this.unsealKeyArn, roleArn: this.roleArn });
    }
}
