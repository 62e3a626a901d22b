/**
 * The Percona Operator for PostgreSQL, installed from its Helm chart at a pinned version.
 * The chart version is the operator version, and it must match the CRD the stack's custom
 * resources are validated against (operator 3.0.0, crds/percona-pg-crd.yaml):
 * a chart without the version pinned would move the CRD under the validated resources.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const PERCONA_HELM_REPO = "https://percona.github.io/percona-helm-charts/";
export const PERCONA_OPERATOR_CHART = "pg-operator";

export interface PerconaOperatorArgs {
    /** Namespace the operator runs in and watches. */
    readonly namespace: string;
    /** Exact chart version, e.g. "3.0.0" (`postgres.operatorChartVersion`). */
    readonly chartVersion: string;
    /** Whether to create the namespace. @default false */
    readonly createNamespace?: boolean;
}

export class PerconaOperator extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: PerconaOperatorArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:PerconaOperator", name, {}, opts);
        if (!/^\d+\.\d+\.\d+$/.test(args.chartVersion)) {
            throw new Error(`PerconaOperator ${name}: chartVersion "${args.chartVersion}" is not an exact version; pin one such as "3.0.0" (postgres.operatorChartVersion)`);
        }
        this.release = new k8s.helm.v3.Release(
            name,
            {
                name: "pg-operator",
                chart: PERCONA_OPERATOR_CHART,
                version: args.chartVersion,
                repositoryOpts: { repo: PERCONA_HELM_REPO },
                namespace: args.namespace,
                createNamespace: args.createNamespace ?? false,
                atomic: true,
                // The operator watches only the platform's namespace; CRDs come with the chart.
                values: { watchAllNamespaces: false },
            },
            { parent: this },
        );
        this.registerOutputs({ release: this.release.status });
    }
}
