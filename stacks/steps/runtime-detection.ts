/**
 * Step for S5 runtime detection on the primary cluster: Falco and falcosidekick
 * (components/detection/runtime-detection.ts) publishing to the primary region's alert topic,
 * the region of the cluster whose workloads it watches. A step of its own because the
 * detection step declares no Kubernetes objects and has no cluster provider.
 */
import type * as k8s from "@pulumi/kubernetes";
import { RuntimeDetection } from "../../components/detection";
import type { Providers } from "../providers";
import type { FortressConfig } from "../../config";
import type { DetectionOutputs } from "./detection";
import type { StorageOutputs } from "./storage";

export function declareRuntimeDetection(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, detection: DetectionOutputs): RuntimeDetection {
    const region = config.regions.primary;
    const topic = detection.alertTopicArns[region];
    if (topic === undefined) {
        throw new Error(`runtime-detection step: no alert topic in the primary region ${region}; the detection step must declare one there (its alertTopicArns)`);
    }
    if (config.kubernetes.oidcProvider === undefined) {
        throw new Error(`kubernetes.oidcProvider: required on the primary — falcosidekick publishes to SNS through IRSA; set the cluster's OIDC issuer (oidc.eks.<region>.amazonaws.com/id/<id>)`);
    }
    return new RuntimeDetection(
        "runtime-detection",
        { alertTopicArn: topic, alertTopicRegion: region, oidcIssuer: config.kubernetes.oidcProvider, accountId: storage.accountId },
        // IAM is global; the primary region's provider, as for the other IRSA roles.
        { providers: { aws: providers.aws.primary, kubernetes: cluster } },
    );
}
