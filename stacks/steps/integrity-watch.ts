/**
 * Step for S2 (database corruption) detection on the primary: the checksum watch beside the
 * cluster, alerting the monitoring region's topic directly (components/postgres/integrity-watch.ts).
 * A step of its own so the postgres step stays as it is; it needs only the cluster's name and
 * namespace, which are fixed (PG_CLUSTER_NAME, kubernetes.namespace).
 */
import * as k8s from "@pulumi/kubernetes";
import { PG_CLUSTER_NAME } from "../../components/core/names";
import { PgIntegrityWatch } from "../../components/postgres";
import type { Providers } from "../providers";
import type { FortressConfig } from "../../config";
import type { DetectionOutputs } from "./detection";
import type { StorageOutputs } from "./storage";

export function declareIntegrityWatch(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, detection: DetectionOutputs): PgIntegrityWatch {
    const region = detection.monitoringRegion;
    const topic = detection.alertTopicArns[region];
    if (topic === undefined) {
        throw new Error(`integrity-watch step: no alert topic in the monitoring region ${region}; the detection step must declare one there (its alertTopicArns)`);
    }
    if (config.kubernetes.oidcProvider === undefined) {
        throw new Error(`kubernetes.oidcProvider: required on the primary — the checksum watch publishes to SNS and CloudWatch through IRSA; set the cluster's OIDC issuer (oidc.eks.<region>.amazonaws.com/id/<id>)`);
    }
    return new PgIntegrityWatch(
        "pg-integrity-watch",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: config.kubernetes.namespace,
            jobImage: config.jobImage,
            alertTopicArn: topic,
            metricsRegion: region,
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider,
        },
        // IAM is global; the primary region's provider, as for pgBackRest's roles.
        { providers: { aws: providers.aws.primary, kubernetes: cluster } },
    );
}
