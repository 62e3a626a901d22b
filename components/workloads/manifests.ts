/**
 * The Kubernetes and Istio objects of one platform service, as plain objects: the component
 * registers them, and the tests validate them against the Kubernetes and Istio schemas. The
 * core kinds are typed with the Kubernetes provider's input types, so a misspelt field fails
 * the compile.
 */
import type * as k8s from "@pulumi/kubernetes";
import { fortressLabels } from "../core/names";
import { restrictedContainerSecurity } from "../core/pod-spec";

export interface ProbeSettings {
    /** @default 10 */
    readonly periodSeconds?: number;
    /** @default 5 */
    readonly timeoutSeconds?: number;
    /** Failures before the kubelet restarts the container (liveness). @default 3 */
    readonly failureThreshold?: number;
    /**
     * Failures before the pod leaves the Service's endpoints (readiness): the moment traffic
     * stops reaching it, i.e. detection. Two, because the DR plan's three numbers together
     * (10 s period, 5 s timeout, 3 failures) give 10 x 3 + 5 = 35 s for a hung process, over
     * its own 30 s detection objective; 10 x 2 + 5 = 25 s is within it, and the restart keeps
     * the plan's three failures so a slow moment does not cost a restart. @default 2
     */
    readonly readinessFailureThreshold?: number;
}

export interface OutlierDetectionSettings {
    /** Consecutive 5xx answers that eject a pod from the load-balancing pool. @default 3 */
    readonly consecutive5xxErrors?: number;
    /** How often Envoy sweeps for outliers. @default 10 */
    readonly intervalSeconds?: number;
    /** First ejection's length; Envoy multiplies it by the number of ejections. @default 30 */
    readonly baseEjectionSeconds?: number;
    /** Upper bound of the pods ejected at once, so a bad sweep never empties the pool. @default 50 */
    readonly maxEjectionPercent?: number;
}

export interface ServiceSpec {
    /** DNS-1123 label: the Deployment, Service, PDB and DestinationRule name. */
    readonly name: string;
    readonly namespace: string;
    readonly image: string;
    /** Container port serving HTTP and the health path. @default 8080 */
    readonly port?: number;
    /** Pods to run; 0 keeps the objects and runs no pod (a pilot light). */
    readonly replicas: number;
    /** @default "/healthz" */
    readonly healthPath?: string;
    /** Liveness, readiness and startup probes. @default PROBE_DEFAULTS */
    readonly probes?: ProbeSettings;
    /** Istio outlier detection, the circuit breaker. @default OUTLIER_DEFAULTS */
    readonly outlierDetection?: OutlierDetectionSettings;
    /** Extra labels on every object (not part of the selector). @default {} */
    readonly labels?: Readonly<Record<string, string>>;
}

export const PART_OF = "pat-fortress";
export const PROBE_DEFAULTS = { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, readinessFailureThreshold: 2 } as const;
export const OUTLIER_DEFAULTS = { consecutive5xxErrors: 3, intervalSeconds: 10, baseEjectionSeconds: 30, maxEjectionPercent: 50 } as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateServiceSpec(spec: ServiceSpec): void {
    const problems: string[] = [];
    const p = { ...PROBE_DEFAULTS, ...spec.probes };
    const o = { ...OUTLIER_DEFAULTS, ...spec.outlierDetection };
    if (!DNS_LABEL.test(spec.name) || spec.name.length > 63) problems.push(`name: "${spec.name}" must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)`);
    if (!DNS_LABEL.test(spec.namespace)) problems.push(`namespace: "${spec.namespace}" must be a DNS-1123 label`);
    if (spec.image.trim() === "") problems.push(`image: empty; give the container image, e.g. ghcr.io/org/app:1.2.3`);
    if (!Number.isInteger(spec.replicas) || spec.replicas < 0) problems.push(`replicas: ${spec.replicas} must be a whole number ≥ 0`);
    const port = spec.port ?? 8080;
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`port: ${port} must be 1..65535`);
    if (!(spec.healthPath ?? "/healthz").startsWith("/")) problems.push(`healthPath: "${spec.healthPath}" must start with "/"`);
    for (const k of ["periodSeconds", "timeoutSeconds", "failureThreshold", "readinessFailureThreshold"] as const) {
        if (!Number.isInteger(p[k]) || p[k] < 1) problems.push(`probes.${k}: ${p[k]} must be a whole number ≥ 1`);
    }
    if (p.timeoutSeconds >= p.periodSeconds) problems.push(`probes.timeoutSeconds: ${p.timeoutSeconds} must be shorter than probes.periodSeconds (${p.periodSeconds})`);
    if (o.maxEjectionPercent < 0 || o.maxEjectionPercent > 100) problems.push(`outlierDetection.maxEjectionPercent: ${o.maxEjectionPercent} must be 0..100`);
    for (const k of ["consecutive5xxErrors", "intervalSeconds", "baseEjectionSeconds"] as const) {
        if (!Number.isInteger(o[k]) || o[k] < 1) problems.push(`outlierDetection.${k}: ${o[k]} must be a whole number ≥ 1`);
    }
    if (problems.length > 0) throw new Error(`PlatformService ${spec.name}:\n  - ${problems.join("\n  - ")}`);
}

/** networking.istio.io/v1 DestinationRule, the fields Fortress sets. */
export interface DestinationRule {
    readonly apiVersion: "networking.istio.io/v1";
    readonly kind: "DestinationRule";
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
    readonly spec: {
        readonly host: string;
        readonly trafficPolicy: {
            readonly outlierDetection: { readonly consecutive5xxErrors: number; readonly interval: string; readonly baseEjectionTime: string; readonly maxEjectionPercent: number };
        };
    };
}

export interface ServiceManifests {
    readonly deployment: k8s.types.input.apps.v1.Deployment & { spec: k8s.types.input.apps.v1.DeploymentSpec };
    readonly service: k8s.types.input.core.v1.Service;
    readonly podDisruptionBudget: k8s.types.input.policy.v1.PodDisruptionBudget;
    readonly destinationRule: DestinationRule;
}

/** The in-cluster host name Istio routes to (and the DestinationRule's host). */
export function serviceHost(name: string, namespace: string): string {
    return `${name}.${namespace}.svc.cluster.local`;
}

/** The names every object of one service shares: its selector, its labels and its metadata. */
interface ServiceIdentity {
    readonly selector: Readonly<Record<string, string>>;
    readonly labels: Readonly<Record<string, string>>;
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
}

export function serviceManifests(spec: ServiceSpec): ServiceManifests {
    validateServiceSpec(spec);
    const selector = { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/part-of": PART_OF };
    // The objectives model finds the platform's services by these labels, not by name.
    const labels = { ...spec.labels, ...fortressLabels({ dataClass: "services", purpose: "service" }), ...selector };
    const id: ServiceIdentity = { selector, labels, metadata: { name: spec.name, namespace: spec.namespace, labels } };
    return {
        deployment: deploymentManifest(spec, id),
        service: serviceManifest(spec, id),
        podDisruptionBudget: podDisruptionBudgetManifest(id),
        destinationRule: destinationRuleManifest(spec, id),
    };
}

/** The Deployment: surge-first rolling updates, zone spread, the three probes, a restricted container. */
function deploymentManifest(spec: ServiceSpec, { selector, labels, metadata }: ServiceIdentity): ServiceManifests["deployment"] {
    const port = spec.port ?? 8080;
    const p = { ...PROBE_DEFAULTS, ...spec.probes };
    const httpGet = { path: spec.healthPath ?? "/healthz", port: "http" };
    const probe = { httpGet, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds, failureThreshold: p.failureThreshold };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata,
        spec: {
            replicas: spec.replicas,
            selector: { matchLabels: selector },
            // Surge first, never below the wanted count: a rollout of a broken image stalls on
            // readiness instead of taking healthy pods away.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            minReadySeconds: 5,
            revisionHistoryLimit: 5,
            template: {
                metadata: { labels: { ...labels, "sidecar.istio.io/inject": "true" } },
                spec: {
                    terminationGracePeriodSeconds: 30,
                    topologySpreadConstraints: [
                        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                    ],
                    securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: spec.name,
                            image: spec.image,
                            ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
                            readinessProbe: { ...probe, failureThreshold: p.readinessFailureThreshold, successThreshold: 1 },
                            livenessProbe: { ...probe, successThreshold: 1 },
                            // Liveness starts only once the app has come up: a slow start is not a crash.
                            startupProbe: { httpGet, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds, failureThreshold: 30 },
                            securityContext: restrictedContainerSecurity({ readOnlyRootFilesystem: false }),
                        },
                    ],
                },
            },
        },
    };
}

/** The ClusterIP Service; the "http" port name tells Istio the protocol. */
function serviceManifest(spec: ServiceSpec, { selector, metadata }: ServiceIdentity): ServiceManifests["service"] {
    const port = spec.port ?? 8080;
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata,
        spec: { type: "ClusterIP", selector, ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }] },
    };
}

/**
 * maxUnavailable, not minAvailable: with one replica (a pilot light) a minAvailable of 1
 * would block every node drain for good.
 */
function podDisruptionBudgetManifest({ selector, metadata }: ServiceIdentity): ServiceManifests["podDisruptionBudget"] {
    return { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } };
}

/** The Istio DestinationRule whose outlier detection ejects failing pods (the circuit breaker). */
function destinationRuleManifest(spec: ServiceSpec, { metadata }: ServiceIdentity): DestinationRule {
    const o = { ...OUTLIER_DEFAULTS, ...spec.outlierDetection };
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata,
        spec: {
            host: serviceHost(spec.name, spec.namespace),
            trafficPolicy: {
                outlierDetection: {
                    consecutive5xxErrors: o.consecutive5xxErrors,
                    interval: `${o.intervalSeconds}s`,
                    baseEjectionTime: `${o.baseEjectionSeconds}s`,
                    maxEjectionPercent: o.maxEjectionPercent,
                },
            },
        },
    };
}
