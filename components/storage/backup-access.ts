import { IrsaRole, IrsaTrust } from "../core/irsa-role";
import * as pulumi from "@pulumi/pulumi";

import {
    BUCKET_LIST_ACTIONS,
    DESTRUCTIVE_KMS_ACTIONS,
    DESTRUCTIVE_S3_ACTIONS,
    KMS_USE_ACTIONS,
    PolicyDocument,
    READER_S3_ACTIONS,
    WRITER_S3_ACTIONS,
    doc,
} from "./policy-documents";
import type { TierId } from "../../config/vocabulary";

/** A tier's bucket and the key in its region: what a writer or reader role is granted. */
export interface TierTarget {
    readonly bucketArn: pulumi.Input<string>;
    /** The key in the bucket's region. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

/** IrsaTrust: the cluster's OIDC provider and the namespace of the backup jobs and database pods. */
export interface BackupAccessArgs extends IrsaTrust {
    /** Service accounts allowed to assume the writer roles (the jobs, the database pods). */
    readonly writerServiceAccounts: readonly string[];
    /** Service accounts allowed to assume the reader roles (restore and verification jobs). */
    readonly readerServiceAccounts: readonly string[];
    readonly tiers: Readonly<Partial<Record<TierId, TierTarget>>>;
}

/**
 * Per-tier writer and reader roles for the backup engines, assumed through IRSA.
 *
 * A writer can add and read backups and delete current versions — which on a versioned bucket
 * only adds a delete marker, the way pgBackRest expires its own files — but an explicit Deny
 * removes every action that could destroy a version or the settings that keep versions. An
 * explicit Deny wins over any Allow attached later, so the guarantee survives a careless edit.
 */
export class BackupAccess extends pulumi.ComponentResource {
    public readonly writerRoleArns: Partial<Record<TierId, pulumi.Output<string>>> = {};
    public readonly readerRoleArns: Partial<Record<TierId, pulumi.Output<string>>> = {};

    constructor(name: string, args: BackupAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:BackupAccess", name, {}, opts);
        if (args.writerServiceAccounts.length === 0) {
            throw new Error(`BackupAccess ${name}: writerServiceAccounts is empty; name the service accounts of the backup jobs`);
        }
        if (Object.keys(args.tiers).length === 0) {
            throw new Error(`BackupAccess ${name}: tiers is empty; give at least one tier's bucket and key`);
        }

        for (const [tier, target] of Object.entries(args.tiers) as [TierId, TierTarget][]) {
            for (const kind of ["writer", "reader"] as const) {
                const accounts = kind === "writer" ? args.writerServiceAccounts : args.readerServiceAccounts;
                if (accounts.length === 0) continue;
                const role = new IrsaRole(
                    `${name}-${tier}-${kind}`,
                    {
                        description: `Fortress DR: ${kind} of ${tier} backups`,
                        accountId: args.accountId,
                        oidcIssuer: args.oidcIssuer,
                        namespace: args.namespace,
                        serviceAccounts: accounts,
                        policy: pulumi
                            .all([target.bucketArn, target.kmsKeyArn])
                            .apply(([bucket, key]) => JSON.stringify(kind === "writer" ? writerPolicy(bucket, key) : readerPolicy(bucket, key))),
                    },
                    { parent: this },
                );
                (kind === "writer" ? this.writerRoleArns : this.readerRoleArns)[tier] = role.arn;
            }
        }
        this.registerOutputs({ writerRoleArns: this.writerRoleArns, readerRoleArns: this.readerRoleArns });
    }
}

export function writerPolicy(bucketArn: string, keyArn: string): PolicyDocument {
    return doc(
        { Sid: "ListTier", Effect: "Allow", Action: [...BUCKET_LIST_ACTIONS], Resource: bucketArn },
        { Sid: "WriteBackups", Effect: "Allow", Action: [...WRITER_S3_ACTIONS], Resource: `${bucketArn}/*` },
        { Sid: "UseTierKey", Effect: "Allow", Action: [...KMS_USE_ACTIONS], Resource: keyArn },
        { Sid: "NeverDestroyBackups", Effect: "Deny", Action: [...DESTRUCTIVE_S3_ACTIONS, ...DESTRUCTIVE_KMS_ACTIONS], Resource: "*" },
    );
}

export function readerPolicy(bucketArn: string, keyArn: string): PolicyDocument {
    return doc(
        { Sid: "ListTier", Effect: "Allow", Action: [...BUCKET_LIST_ACTIONS], Resource: bucketArn },
        { Sid: "ReadBackups", Effect: "Allow", Action: [...READER_S3_ACTIONS], Resource: `${bucketArn}/*` },
        { Sid: "DecryptWithTierKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: keyArn },
        { Sid: "NeverDestroyBackups", Effect: "Deny", Action: [...DESTRUCTIVE_S3_ACTIONS, ...DESTRUCTIVE_KMS_ACTIONS, "s3:DeleteObject"], Resource: "*" },
    );
}
