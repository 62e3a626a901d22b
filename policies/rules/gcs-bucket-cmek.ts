import type * as gcp from "@pulumi/gcp";
import { CONTROLS } from "../lib/compliance";
import { resourceRule, validateTyped } from "../lib/rule";
import { RESOURCE_TYPES } from "../lib/stack-view";

/** Every GCS bucket encrypts with a customer-managed Cloud KMS key (CMEK). */
export const gcsBucketCmek = resourceRule({
    name: "gcs-bucket-cmek",
    description: "GCS buckets encrypt by default with a customer-managed Cloud KMS key (CMEK).",
    enforcementLevel: "mandatory",
    severity: "critical",
    compliance: [CONTROLS.gdprEncryption, CONTROLS.hipaaEncryptionAtRest, CONTROLS.pciEncryptionAtRest, CONTROLS.pciKeyProtection, CONTROLS.soxLogicalAccess],
    remediationSteps: "Set encryption.defaultKmsKeyName on the gcp.storage.Bucket to a gcp.kms.CryptoKey in the bucket's location, and grant the project's storage service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on it.",
    validateResource: validateTyped<gcp.storage.BucketArgs>(RESOURCE_TYPES.gcsBucket, (bucket, args, report) => {
        const key = bucket.encryption?.defaultKmsKeyName;
        if (typeof key !== "string" || key === "") {
            report(`gcs bucket ${args.name}: no encryption.defaultKmsKeyName; objects would be encrypted with a Google-managed key`);
        }
    }),
});
