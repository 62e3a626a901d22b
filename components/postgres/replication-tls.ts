/**
 * The certificates both regions share so the DR standby can stream from the primary over TLS:
 * a private CA, the PostgreSQL server certificate and the replication client certificate
 * (common name `_crunchyrepl`, the operator's replication user, which authenticates by
 * certificate). The primary stack creates them once and exports the PEMs as secrets; the DR
 * stack writes the same Secrets into its cluster.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** The operator's replication user: its client certificate's common name. */
export const REPLICATION_USER = "_crunchyrepl";

export interface ReplicationPems {
    readonly ca: pulumi.Input<string>;
    readonly serverCert: pulumi.Input<string>;
    readonly serverKey: pulumi.Input<string>;
    readonly replicationCert: pulumi.Input<string>;
    readonly replicationKey: pulumi.Input<string>;
}

export interface ReplicationTlsArgs {
    readonly clusterName: string;
    readonly namespace: string;
    /** Extra DNS names of the server certificate: the name the DR region streams from. */
    readonly extraDnsNames?: readonly string[];
    /** Certificate lifetime. @default 87600 (ten years; rotation is a planned change, not an expiry) */
    readonly validityHours?: number;
}

const LEAF_USES = ["digital_signature", "key_encipherment"];

export class ReplicationTls extends pulumi.ComponentResource {
    public readonly pems: { [K in keyof ReplicationPems]: pulumi.Output<string> };

    constructor(name: string, args: ReplicationTlsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:ReplicationTls", name, {}, opts);
        const child = { parent: this };
        const hours = args.validityHours ?? 87_600;
        const key = (suffix: string) => new tls.PrivateKey(`${name}-${suffix}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, child);
        const caKey = key("ca");
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                subject: { commonName: `${args.clusterName} replication CA`, organization: "Fortress DR" },
                isCaCertificate: true,
                validityPeriodHours: hours,
                allowedUses: ["cert_signing", "crl_signing"],
            },
            child,
        );
        const leaf = (suffix: string, commonName: string, dnsNames: string[], use: string) => {
            const k = key(suffix);
            const csr = new tls.CertRequest(`${name}-${suffix}-csr`, { privateKeyPem: k.privateKeyPem, subject: { commonName }, dnsNames }, child);
            const cert = new tls.LocallySignedCert(
                `${name}-${suffix}`,
                {
                    certRequestPem: csr.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: hours,
                    allowedUses: [...LEAF_USES, use],
                },
                child,
            );
            return { cert: cert.certPem, key: k.privateKeyPem };
        };
        const svc = (s: string) => [`${s}.${args.namespace}.svc`, `${s}.${args.namespace}.svc.cluster.local`];
        const server = leaf(
            "server",
            `${args.clusterName}-primary.${args.namespace}.svc`,
            [...svc(`${args.clusterName}-primary`), ...svc(`${args.clusterName}-replicas`), `*.${args.clusterName}-pods.${args.namespace}.svc.cluster.local`, ...(args.extraDnsNames ?? [])],
            "server_auth",
        );
        const replication = leaf("replication", REPLICATION_USER, [], "client_auth");
        this.pems = {
            ca: ca.certPem,
            serverCert: pulumi.secret(server.cert),
            serverKey: pulumi.secret(server.key),
            replicationCert: pulumi.secret(replication.cert),
            replicationKey: pulumi.secret(replication.key),
        };
        this.registerOutputs({ ca: this.pems.ca });
    }
}

/** Secret names the PerconaPGCluster refers to (spec.secrets). */
export function tlsSecretNames(clusterName: string): { serverSecretName: string; replicationSecretName: string } {
    return { serverSecretName: `${clusterName}-cluster-cert`, replicationSecretName: `${clusterName}-replication-cert` };
}

/** Writes the shared certificates into a cluster as the two Secrets the operator reads. */
export function declareTlsSecrets(name: string, clusterName: string, namespace: string, pems: ReplicationPems, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret[] {
    const names = tlsSecretNames(clusterName);
    const secret = (suffix: string, secretName: string, cert: pulumi.Input<string>, key: pulumi.Input<string>) =>
        new k8s.core.v1.Secret(
            `${name}-${suffix}`,
            {
                metadata: { name: secretName, namespace },
                type: "kubernetes.io/tls",
                stringData: { "ca.crt": pems.ca, "tls.crt": cert, "tls.key": key },
            },
            opts,
        );
    return [secret("server-cert", names.serverSecretName, pems.serverCert, pems.serverKey), secret("replication-cert", names.replicationSecretName, pems.replicationCert, pems.replicationKey)];
}
