/**
 * Step: the DR endpoint the SECONDARY failover records point at — a certificate for every
 * public hostname and its DR name, the Istio Gateway and one VirtualService per service, and
 * the DNS name (endpoints.hosts[].drTarget) of the gateway's load balancer.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceHost } from "../../components/workloads";
import type { FortressConfig } from "../../config";
import { GATEWAY_SELECTOR } from "./mesh";

export const DR_GATEWAY_NAME = "fortress-dr";

/** Every name the DR ingress answers for: the public hostnames and their DR names. */
export function drHostnames(config: FortressConfig): string[] {
    return [...new Set(config.endpoints.hosts.flatMap((h) => [h.hostname, h.drTarget]))];
}

export function gatewayManifest(config: FortressConfig) {
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: DR_GATEWAY_NAME, namespace: config.kubernetes.namespace },
        spec: {
            selector: { ...GATEWAY_SELECTOR },
            // TLS ends at the load balancer; its 443 listener forwards plain HTTP to this server.
            servers: [{ port: { number: 443, name: "http-from-nlb", protocol: "HTTP" }, hosts: drHostnames(config) }],
        },
    };
}

/** One VirtualService per service with public hostnames, routing them and their DR names. */
export function virtualServiceManifests(config: FortressConfig) {
    const ns = config.kubernetes.namespace;
    return config.services
        .filter((s) => s.hosts.length > 0)
        .map((s) => ({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: s.name, namespace: ns },
            spec: {
                hosts: s.hosts.flatMap((h) => [h, ...config.endpoints.hosts.filter((e) => e.hostname === h).map((e) => e.drTarget)]),
                gateways: [DR_GATEWAY_NAME],
                http: [
                    {
                        route: [{ destination: { host: serviceHost(s.name, ns), port: { number: s.port } } }],
                        retries: { attempts: 2, perTryTimeout: "5s", retryOn: "connect-failure,refused-stream,reset,503" },
                    },
                ],
            },
        }));
}

export interface DrEndpoint {
    readonly certificate: aws.acm.Certificate;
    readonly certificateArn: pulumi.Output<string>;
}

/** The DR certificate, DNS-validated in the stack's hosted zone. */
export function declareDrCertificate(config: FortressConfig, provider: aws.Provider): DrEndpoint {
    const [first, ...rest] = drHostnames(config);
    const certificate = new aws.acm.Certificate("dr-certificate", { domainName: first, subjectAlternativeNames: rest, validationMethod: "DNS" }, { provider });
    const records = [first, ...rest].map((domain) => {
        const option = certificate.domainValidationOptions.apply((opts) => {
            const o = opts.find((x) => x.domainName === domain);
            if (!o) throw new Error(`ACM returned no validation record for ${domain}`);
            return o;
        });
        return new aws.route53.Record(
            `dr-certificate-validation-${domain.replace(/\./g, "-")}`,
            {
                zoneId: config.endpoints.hostedZoneId,
                name: option.apply((o) => o.resourceRecordName!),
                type: option.apply((o) => o.resourceRecordType!),
                records: [option.apply((o) => o.resourceRecordValue!)],
                ttl: 60,
                // The same validation record serves every certificate for the name, the primary's too.
                allowOverwrite: true,
            },
            { provider },
        );
    });
    const validation = new aws.acm.CertificateValidation(
        "dr-certificate",
        { certificateArn: certificate.arn, validationRecordFqdns: records.map((r) => r.fqdn) },
        { provider },
    );
    return { certificate, certificateArn: validation.certificateArn };
}

export function declareDrRouting(config: FortressConfig, provider: k8s.Provider, gatewayService: k8s.core.v1.Service, aws_: aws.Provider, dependsOn: pulumi.Resource[]): pulumi.Output<string> {
    new k8s.apiextensions.CustomResource("dr-gateway", gatewayManifest(config), { provider, dependsOn });
    for (const vs of virtualServiceManifests(config)) {
        new k8s.apiextensions.CustomResource(`${vs.metadata.name}-virtual-service`, vs, { provider, dependsOn });
    }
    const lbHostname = gatewayService.status.apply((s) => {
        const h = s?.loadBalancer?.ingress?.[0]?.hostname;
        if (!h) throw new Error(`the DR ingress Service has no load-balancer hostname yet; check the cloud controller's events on ${gatewayService.metadata.name}`);
        return h;
    });
    for (const drTarget of new Set(config.endpoints.hosts.map((h) => h.drTarget))) {
        new aws.route53.Record(
            `dr-endpoint-${drTarget.replace(/\./g, "-")}`,
            { zoneId: config.endpoints.hostedZoneId, name: drTarget, type: "CNAME", ttl: config.endpoints.ttlSeconds, records: [lbHostname] },
            { provider: aws_ },
        );
    }
    return lbHostname;
}
