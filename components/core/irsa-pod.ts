/**
 * IRSA in a pod spec, written once: the projected service-account token volume, its mount and
 * the two variables the AWS SDKs and CLI read. The jobs set them explicitly rather than rely on
 * EKS's pod identity webhook: a backup job picks its tier's role itself (the webhook injects
 * only one), and the pods work the same on a cluster without the webhook.
 */
import type * as pulumi from "@pulumi/pulumi";

export const AWS_TOKEN_VOLUME = "aws-token";
/** Where EKS would mount the token; the AWS tools look nowhere else by default. */
export const AWS_TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
export const AWS_TOKEN_FILE = `${AWS_TOKEN_DIR}/token`;

/** The projected token for STS (audience sts.amazonaws.com, rotated hourly). */
export function awsTokenVolume() {
    return { name: AWS_TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: "sts.amazonaws.com", expirationSeconds: 3600, path: "token" } }] } };
}

export function awsTokenMount() {
    return { name: AWS_TOKEN_VOLUME, mountPath: AWS_TOKEN_DIR, readOnly: true };
}

/** AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE: the role the container assumes with the token. */
export function awsRoleEnv(roleArn: pulumi.Input<string>) {
    return [
        { name: "AWS_ROLE_ARN", value: roleArn },
        { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: AWS_TOKEN_FILE },
    ];
}
