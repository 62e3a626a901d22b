/**
 * Step: Istio in the DR cluster — base (CRDs), istiod, and the ingress gateway — and the
 * gateway's public Service: an AWS Network Load Balancer that ends TLS with the DR
 * certificate and forwards plain HTTP to the gateway's unprivileged port.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FortressConfig } from "../../config";

export const ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
export const ISTIO_NAMESPACE = "istio-system";
export const GATEWAY_NAMESPACE = "istio-ingress";
/** The gateway chart labels its pods `istio: <release name without "istio-">`. */
export const GATEWAY_RELEASE = "istio-ingress";
export const GATEWAY_SELECTOR = { istio: "ingress" } as const;
/** The gateway pods' plain-HTTP listener behind the load balancer's TLS port. */
export const GATEWAY_HTTP_PORT = 8080;

/** Whether the stack installs Istio: explicitly set, else only on a cluster it creates. */
export function installsIstio(config: FortressConfig): boolean {
    return config.dr?.istio.install ?? config.kubernetes.cluster === "eks";
}

export interface Mesh {
    /** What Istio custom resources must wait for. */
    readonly ready: pulumi.Resource[];
    readonly gatewayService: k8s.core.v1.Service;
}

export function declareMesh(config: FortressConfig, provider: k8s.Provider, certificateArn: pulumi.Input<string>, dependsOn: pulumi.Resource[]): Mesh {
    const version = config.dr!.istio.chartVersion;
    const ready: pulumi.Resource[] = [];
    const gatewayNs = new k8s.core.v1.Namespace("istio-ingress-namespace", { metadata: { name: GATEWAY_NAMESPACE } }, { provider, dependsOn });
    if (installsIstio(config)) {
        const repositoryOpts = { repo: ISTIO_CHART_REPO };
        const base = new k8s.helm.v3.Release(
            "istio-base",
            { name: "istio-base", chart: "base", version, namespace: ISTIO_NAMESPACE, createNamespace: true, repositoryOpts },
            { provider, dependsOn },
        );
        const istiod = new k8s.helm.v3.Release(
            "istiod",
            { name: "istiod", chart: "istiod", version, namespace: ISTIO_NAMESPACE, repositoryOpts, values: { pilot: { autoscaleMin: 2 } } },
            { provider, dependsOn: [base] },
        );
        // The chart's own Service is off: the stack declares it below, typed and validated.
        const gateway = new k8s.helm.v3.Release(
            "istio-ingress",
            { name: GATEWAY_RELEASE, chart: "gateway", version, namespace: GATEWAY_NAMESPACE, repositoryOpts, values: { service: { type: "None" }, autoscaling: { minReplicas: 2 } } },
            { provider, dependsOn: [istiod, gatewayNs] },
        );
        ready.push(base, istiod, gateway);
    }
    const gatewayService = new k8s.core.v1.Service(
        "dr-ingress",
        {
            metadata: {
                name: GATEWAY_RELEASE,
                namespace: GATEWAY_NAMESPACE,
                annotations: {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": certificateArn,
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
                    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                },
            },
            spec: {
                type: "LoadBalancer",
                selector: { ...GATEWAY_SELECTOR },
                externalTrafficPolicy: "Local",
                ports: [{ name: "https", port: 443, targetPort: GATEWAY_HTTP_PORT, protocol: "TCP" }],
            },
        },
        { provider, dependsOn: [gatewayNs, ...ready] },
    );
    return { ready, gatewayService };
}
