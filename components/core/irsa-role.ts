/**
 * IRSA (IAM roles for service accounts), written once: an IAM role that only the named
 * Kubernetes service accounts may assume through the cluster's OIDC issuer, with its inline
 * policy and/or an attached managed policy. Every role a pod assumes is built here; the pod side
 * (token volume, mount, AWS_ROLE_ARN) is components/core/irsa-pod.ts.
 *
 * The role and its policies keep the names they had when each caller built them by hand, and
 * carry an alias to the parent they had then, so a stack that deployed them before this
 * component existed moves them under it instead of replacing them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { doc, PolicyDocument } from "../storage/policy-documents";

/** Pods get a token with this audience; the trust policy accepts only it. */
export const STS_AUDIENCE = "sts.amazonaws.com";

/** The trust policy: `system:serviceaccount:<namespace>:<sa>` for each service account, audience STS. */
export function irsaTrustPolicy(accountId: string, issuer: string, namespace: string, serviceAccounts: readonly string[]): PolicyDocument {
    return doc({
        Sid: "IrsaServiceAccounts",
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/${issuer}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
            StringEquals: {
                [`${issuer}:aud`]: STS_AUDIENCE,
                [`${issuer}:sub`]: serviceAccounts.map((sa) => `system:serviceaccount:${namespace}:${sa}`),
            },
        },
    });
}

/** Each pattern names a namespace prefix and a service-account suffix; throws naming the bad one. */
export function assertSubjectPatterns(subjects: readonly string[]): void {
    if (subjects.length === 0) throw new Error("IRSA trust patterns: none given");
    for (const s of subjects) {
        if (!/^system:serviceaccount:[a-z0-9-]*[a-z0-9]-\*:\*-[a-z0-9-]+$/.test(s)) {
            throw new Error(`IRSA trust pattern "${s}": expected system:serviceaccount:<namespace prefix>-*:*-<service account suffix>; a wider pattern would let other pods assume the role`);
        }
    }
}

/**
 * A trust policy for service accounts named by pattern (IAM StringLike on `sub`), audience STS
 * still exact. Used only for the scratch-restore reader: every pattern must name a namespace
 * prefix and a service-account suffix (no bare `*` that would admit every pod of the cluster).
 */
export function irsaTrustPolicyLike(accountId: string, issuer: string, subjects: readonly string[]): PolicyDocument {
    assertSubjectPatterns(subjects);
    return doc({
        Sid: "IrsaServiceAccountPatterns",
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/${issuer}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
            StringEquals: { [`${issuer}:aud`]: STS_AUDIENCE },
            StringLike: { [`${issuer}:sub`]: [...subjects] },
        },
    });
}

/** Whose pods may assume a role: the cluster's OIDC provider (account and issuer) and the pods' namespace. */
export interface IrsaTrust {
    /** The account that holds the cluster's OIDC provider. */
    readonly accountId: pulumi.Input<string>;
    /** The cluster's OIDC issuer without scheme, `oidc.eks.<region>.amazonaws.com/id/<id>`. */
    readonly oidcIssuer: pulumi.Input<string>;
    /** The Kubernetes namespace of the service accounts. */
    readonly namespace: string;
}

export interface IrsaRoleArgs extends IrsaTrust {
    /** The service accounts (in `namespace`) allowed to assume the role; at least one (unless subjectsLike). */
    readonly serviceAccounts: readonly string[];
    /** Instead of serviceAccounts: `sub` patterns (StringLike) — see irsaTrustPolicyLike. */
    readonly subjectsLike?: readonly string[];
    readonly description?: string;
    /** One hour unless given; left unset when `null` (the role then has IAM's default). */
    readonly maxSessionDuration?: number | null;
    readonly tags?: Record<string, string>;
    /** The inline policy (a JSON document). */
    readonly policy?: pulumi.Input<string>;
    /** Name of the inline RolePolicy resource; `<name>-policy` unless given. */
    readonly policyName?: string;
    /** A managed policy attached to the role, with the attachment's resource name. */
    readonly attach?: { readonly name: string; readonly policyArn: pulumi.Input<string> };
}

/** An IAM role for Kubernetes service accounts; the Role resource has the component's name. */
export class IrsaRole extends pulumi.ComponentResource {
    public readonly role: aws.iam.Role;
    public readonly arn: pulumi.Output<string>;
    /** The inline policy, when one was given (a workload that must wait for its permissions depends on it). */
    public readonly policy?: aws.iam.RolePolicy;
    /** The managed-policy attachment, when one was given. */
    public readonly attachment?: aws.iam.RolePolicyAttachment;

    constructor(name: string, args: IrsaRoleArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:core:IrsaRole", name, {}, opts);
        if (args.subjectsLike !== undefined) {
            if (args.serviceAccounts.length > 0) throw new Error(`IrsaRole ${name}: give serviceAccounts or subjectsLike, not both`);
            assertSubjectPatterns(args.subjectsLike);
        } else if (args.serviceAccounts.length === 0) {
            throw new Error(`IrsaRole ${name}: serviceAccounts is empty; name the Kubernetes service accounts (in namespace ${args.namespace}) that assume this role`);
        }
        if (args.policy === undefined && args.attach === undefined) {
            throw new Error(`IrsaRole ${name}: neither policy nor attach is given; a role without permissions is a mistake`);
        }
        // Where each resource was before it had this component as parent.
        const child: pulumi.CustomResourceOptions = { parent: this, aliases: [{ parent: opts.parent ?? pulumi.rootStackResource }] };
        const maxSessionDuration = args.maxSessionDuration === null ? undefined : (args.maxSessionDuration ?? 3600);
        this.role = new aws.iam.Role(
            name,
            {
                description: args.description,
                assumeRolePolicy: pulumi
                    .all([args.accountId, args.oidcIssuer])
                    .apply(([account, issuer]) =>
                        JSON.stringify(args.subjectsLike ? irsaTrustPolicyLike(account, issuer, args.subjectsLike) : irsaTrustPolicy(account, issuer, args.namespace, args.serviceAccounts)),
                    ),
                ...(maxSessionDuration === undefined ? {} : { maxSessionDuration }),
                ...(args.tags === undefined ? {} : { tags: args.tags }),
            },
            child,
        );
        if (args.policy !== undefined) {
            this.policy = new aws.iam.RolePolicy(args.policyName ?? `${name}-policy`, { role: this.role.id, policy: args.policy }, child);
        }
        if (args.attach !== undefined) {
            this.attachment = new aws.iam.RolePolicyAttachment(args.attach.name, { role: this.role.name, policyArn: args.attach.policyArn }, child);
        }
        this.arn = this.role.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
