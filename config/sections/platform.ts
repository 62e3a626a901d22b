/**
 * Section `platform`: Velero, Sealed Secrets and Vault.
 */
import { z } from "zod";

export const platformSection = z
    .strictObject({
        velero: z
            .strictObject({
                /** vmware-tanzu/velero chart; its major version tracks Velero's minor (12.x: Velero 1.18). */
                chartVersion: z.string().default("12.0.3"),
                /** The server image; its CRDs are the ones the tests validate against (v1.18.1). */
                image: z.string().default("velero/velero:v1.18.1"),
                /** AWS plugin built for Velero 1.18. */
                awsPluginImage: z.string().default("velero/velero-plugin-for-aws:v1.14.0"),
            })
            .prefault({}),
        sealedSecrets: z
            .strictObject({
                chartVersion: z.string().default("2.17.3"),
                /** Where the controller and its sealing keys live (kubeseal's default). */
                namespace: z.string().default("kube-system"),
            })
            .prefault({}),
        vault: z
            .strictObject({
                enabled: z.boolean().default(true),
                /** Where the raft snapshot jobs reach Vault. */
                address: z.string().url().default("https://vault-active.vault.svc:8200"),
                /** Vault's namespace and service account (the auto-unseal role trusts them). */
                namespace: z.string().default("vault"),
                serviceAccount: z.string().default("vault"),
                /** Vault Kubernetes-auth role bound to the backup jobs' service account. */
                snapshotRole: z.string().default("fortress-backup"),
            })
            .prefault({}),
    })
    .prefault({});
