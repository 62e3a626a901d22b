/**
 * Every constant the objectives model uses that is neither declared by the stack nor read
 * from a drill report: vendor-documented behaviour, each with the document it comes from and
 * whether the vendor guarantees it or only describes it as typical.
 *
 * A constant here is a published figure, never a guess. Where a vendor publishes no number
 * (how fast Kubernetes endpoints propagate, how long Patroni takes to promote), the model
 * leaves the term open and says so instead of inventing one.
 */

import type { Basis, Term } from "./terms";

export interface Source {
    readonly title: string;
    /** URL, or a path in this repository (reports/drill-redis.json#"snapshot total"). */
    readonly ref: string;
    /** The sentence the figure rests on, paraphrased closely. */
    readonly says: string;
}

export interface VendorConstant {
    readonly id: string;
    readonly label: string;
    readonly seconds: number;
    readonly basis: Exclude<Basis, "measured">;
    readonly source: Source;
}

const constant = (c: VendorConstant): VendorConstant => Object.freeze(c);

const ROUTE53_HEALTH = "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html";

export const CONSTANTS = Object.freeze({
    route53ConnectWindow: constant({
        id: "route53ConnectWindow",
        label: "Route 53 health checker: TCP connection must be established within",
        seconds: 4,
        basis: "guarantee",
        source: {
            title: "Amazon Route 53 Developer Guide: How Route 53 determines whether a health check is healthy",
            ref: ROUTE53_HEALTH,
            says: "HTTP and HTTPS health checks: Route 53 must be able to establish a TCP connection with the endpoint within four seconds. A failing check waits this long before it counts as a failure.",
        },
    }),
    route53ResponseWindow: constant({
        id: "route53ResponseWindow",
        label: "Route 53 health checker: HTTP(S) status within, after connecting",
        seconds: 2,
        basis: "guarantee",
        source: {
            title: "Amazon Route 53 Developer Guide: How Route 53 determines whether a health check is healthy",
            ref: ROUTE53_HEALTH,
            says: "HTTP and HTTPS health checks: the endpoint must respond with an HTTP status code of 2xx or 3xx within two seconds after connecting. A hung endpoint (connects, never answers) fails each check only after 4 + 2 s.",
        },
    }),
    route53TcpConnectWindow: constant({
        id: "route53TcpConnectWindow",
        label: "Route 53 TCP health check: connection must be established within",
        seconds: 10,
        basis: "guarantee",
        source: {
            title: "Amazon Route 53 Developer Guide: How Route 53 determines whether a health check is healthy",
            ref: ROUTE53_HEALTH,
            says: "TCP health checks: Route 53 must be able to establish a TCP connection with the endpoint within ten seconds.",
        },
    }),
    nodeMonitorGracePeriod: constant({
        id: "nodeMonitorGracePeriod",
        label: "Kubernetes node-monitor-grace-period: a lost node is marked NotReady (and its pods unready) only after",
        seconds: 50,
        basis: "guarantee",
        source: {
            title: "Kubernetes documentation: kube-controller-manager (--node-monitor-grace-period; 40 s before v1.32, 50 s since) and Node status",
            ref: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/",
            says: "Amount of time which we allow running Node to be unresponsive before marking it unhealthy. A lost node runs no probes, so its pods stay in the Service's endpoints until the node controller marks them not ready. EKS does not expose the flag; the larger default (50 s) is the worst case.",
        },
    }),
    route53DefaultInterval: constant({
        id: "route53DefaultInterval",
        label: "Route 53 health check request interval when none is declared",
        seconds: 30,
        basis: "guarantee",
        source: {
            title: "Amazon Route 53 API Reference: HealthCheckConfig.RequestInterval",
            ref: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html",
            says: "RequestInterval is 10 or 30 seconds; if you don't specify a value, the default is 30 seconds.",
        },
    }),
    elbAliasTtl: constant({
        id: "elbAliasTtl",
        label: "TTL of a Route 53 alias record to an Elastic Load Balancer",
        seconds: 60,
        basis: "guarantee",
        source: {
            title: "Amazon Route 53 FAQs: DNS Failover",
            ref: "https://aws.amazon.com/route53/faqs/",
            says: "To configure DNS Failover for ELB and S3 website endpoints you use alias records, which have a fixed TTL of 60 seconds; AWS recommends a TTL of 60 seconds or less for DNS Failover.",
        },
    }),
    s3RtcSla: constant({
        id: "s3RtcSla",
        label: "S3 Replication Time Control: 99.99 % of objects within (SLA, not a per-object bound)",
        seconds: 900,
        basis: "sla",
        source: {
            title: "Amazon S3 User Guide: Meeting compliance requirements with S3 Replication Time Control",
            ref: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html",
            says: "S3 RTC is designed to replicate 99.99 percent of new objects within 15 minutes, backed by a service level agreement whose remedy is service credits. It bounds no single object: the 15 minutes is an SLA figure, so a path through it is at risk, never within.",
        },
    }),
    eksControlPlaneCreateAverage: constant({
        id: "eksControlPlaneCreateAverage",
        label: "EKS control plane creation (AWS-stated average)",
        seconds: 540,
        basis: "typical",
        source: {
            title: "AWS What's New, 2021-03-19: Amazon EKS reduces cluster creation time by 40%",
            ref: "https://aws.amazon.com/about-aws/whats-new/2021/03/amazon-eks-reduces-cluster-creation-time-40-percent/",
            says: "Create a new EKS cluster control plane in 9 minutes or less, on average. An average, not a bound; node groups are extra.",
        },
    }),
    eksControlPlaneCreatePlanning: constant({
        id: "eksControlPlaneCreatePlanning",
        label: "EKS control plane creation (planning figure: the pre-2021 average users still report)",
        seconds: 900,
        basis: "typical",
        source: {
            title: "aws/containers-roadmap#1227: Reduction in EKS cluster creation time",
            ref: "https://github.com/aws/containers-roadmap/issues/1227",
            says: "EKS control plane provisioning averaged 15 minutes before the 2021 improvement; users on the same issue report 10 to 14 minutes afterwards. AWS publishes no upper bound.",
        },
    }),
    k8sProbeDefaults: constant({
        id: "k8sProbeDefaults",
        label: "Kubernetes probe defaults (periodSeconds 10, timeoutSeconds 1, failureThreshold 3)",
        seconds: 10,
        basis: "guarantee",
        source: {
            title: "Kubernetes documentation: Configure Liveness, Readiness and Startup Probes",
            ref: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
            says: "periodSeconds defaults to 10, timeoutSeconds to 1, failureThreshold to 3; after failureThreshold consecutive failures the probe has failed (readiness: the pod leaves the Service's endpoints; liveness: the container restarts).",
        },
    }),
    patroniDefaults: constant({
        id: "patroniDefaults",
        label: "Patroni leader lease 30 s and sync period 10 s (PerconaPGCluster defaults)",
        seconds: 30,
        basis: "guarantee",
        source: {
            title: "Percona Operator for PostgreSQL v3.0.0 CRD (spec.patroni), crds/percona-pg-crd.yaml; Patroni docs (ttl, loop_wait)",
            ref: "https://patroni.readthedocs.io/en/latest/dynamic_configuration.html",
            says: "leaderLeaseDurationSeconds (Patroni ttl, default 30) is the time before automatic failover starts; syncPeriodSeconds (loop_wait, default 10) is how often members act on the lock.",
        },
    }),
    sentinelPingPeriod: constant({
        id: "sentinelPingPeriod",
        label: "Redis Sentinel PING period",
        seconds: 1,
        basis: "guarantee",
        source: {
            title: "Redis documentation: High availability with Redis Sentinel",
            ref: "https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/",
            says: "Every Sentinel sends a PING once per second to every known instance; an instance that gives no valid reply for down-after-milliseconds is subjectively down.",
        },
    }),
    redisEverysecLoss: constant({
        id: "redisEverysecLoss",
        label: "Redis AOF appendfsync everysec: writes a lost machine can take with it",
        seconds: 1,
        basis: "typical",
        source: {
            title: "Redis documentation: Redis persistence",
            ref: "https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/",
            says: "With appendfsync everysec you may lose one second of data if there is a disaster (a lost machine takes its unsynced writes with it).",
        },
    }),
    patroniSynchronous: constant({
        id: "patroniSynchronous",
        label: "Patroni synchronous mode: failover only to a standby that has every acknowledged commit",
        seconds: 0,
        basis: "guarantee",
        source: {
            title: "Patroni documentation: Replication modes (synchronous mode)",
            ref: "https://patroni.readthedocs.io/en/latest/replication_modes.html",
            says: "With synchronous mode on, Patroni will not promote a standby unless it is certain that the standby contains all transactions that may have returned a successful commit status to the client.",
        },
    }),
    statelessServices: constant({
        id: "statelessServices",
        label: "Platform services keep no state of their own",
        seconds: 0,
        basis: "design",
        source: {
            title: "docs/architecture.md: State lives in the data services",
            ref: "docs/architecture.md",
            says: "State lives in PostgreSQL and Redis; the platform's services are Deployments that any replica can serve, so losing one loses no data.",
        },
    }),
    s3Durability: constant({
        id: "s3Durability",
        label: "An object S3 acknowledged is stored apart from the cluster that wrote it",
        seconds: 0,
        basis: "guarantee",
        source: {
            title: "Amazon S3 User Guide: Data protection in Amazon S3",
            ref: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/DataDurability.html",
            says: "S3 Standard stores objects redundantly on multiple devices across a minimum of three Availability Zones in a Region; losing the Kubernetes cluster (S3) loses nothing S3 acknowledged.",
        },
    }),
    guardDutyNewFindingDelivery: constant({
        id: "guardDutyNewFindingDelivery",
        label: "GuardDuty: a new finding's event to EventBridge (the only figure AWS has published)",
        seconds: 300,
        basis: "typical",
        source: {
            title: "Amazon GuardDuty User Guide: Processing GuardDuty findings with Amazon EventBridge (notification frequency)",
            ref: "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html",
            says: "Earlier editions: for a newly generated finding GuardDuty sends its event within 5 minutes of the finding, and this cannot be changed; the current edition says near real-time with no figure. FindingPublishingFrequency (15 min, 1 h, 6 h) applies to later occurrences only. Counted from the finding, not from the activity: how long GuardDuty's analysis takes is not published.",
        },
    }),
    cloudTrailToEventBridge: constant({
        id: "cloudTrailToEventBridge",
        label: "CloudTrail management event to EventBridge (best effort; CloudTrail's published average delivery, not a bound)",
        seconds: 300,
        basis: "typical",
        source: {
            title: "Amazon EventBridge User Guide: Events from AWS services; AWS service events delivered via AWS CloudTrail",
            ref: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html",
            says: "AWS services deliver events to CloudTrail, and CloudTrail to the default event bus (detail-type 'AWS API Call via CloudTrail'), on a best-effort basis (an event can be lost); a trail with logging enabled is required; the event reaches the bus of the region where the call was made. No EventBridge delivery time is published; CloudTrail states it delivers events within an average of about 5 minutes of the API call, not guaranteed (CloudTrail User Guide, How CloudTrail works). 300 s is that typical figure.",
        },
    }),
    gitConfiguration: constant({
        id: "gitConfiguration",
        label: "Configuration is code: every change is a git commit before it is deployed",
        seconds: 0,
        basis: "design",
        source: {
            title: "docs/architecture.md: Configuration and secrets",
            ref: "docs/architecture.md",
            says: "Configuration is versioned in git; the stack config, the programs and the DR manifest are all derived from a commit.",
        },
    }),
});

export type ConstantId = keyof typeof CONSTANTS;

/**
 * Budgets of unmeasured terms: the allowance each is given until a drill measures it, and
 * where the allowance comes from. A budget is never 0 and never derived from the objective.
 */
export const BUDGETS = Object.freeze({
    patroniPromotion: { seconds: 20, from: "design allowance: after the leader lease expires, one Patroni HA loop (loop_wait) to take the lock plus pg_ctl promote; replaced by failover.inregion.rto_seconds (reports/drill-failover.json) when it exists" },
    standbyPromotion: { seconds: 120, from: "design allowance for promoting the DR standby cluster (Patroni standby_cluster removed, pg_ctl promote, PgBouncer reconnect); replaced by failover.regional.rto_seconds (reports/drill-failover.json) when it exists" },
    drScaleUp: { seconds: 240, from: "design allowance for scaling the DR region's Deployments from zero: node scale-up (Cluster Autoscaler), image pull and readiness; no drill here can measure it (no Kubernetes API server)" },
    singleReplicaRestart: { seconds: 60, from: "design allowance: reschedule, image pull and readiness of a one-replica Deployment" },
    endpointsPropagation: { seconds: 5, from: "design allowance: Endpoints/EndpointSlice update reaching kube-proxy and the Istio sidecars (Kubernetes publishes no bound)" },
    breachIsolation: { seconds: 300, from: "incident runbook allowance: revoking the compromised credentials and cutting the compromised workloads off" },
    cleanSlateDeploy: { seconds: 600, from: "design allowance: deleting the compromised namespaces and deploying the platform again from git on an existing cluster (operators, charts, workloads), before the data restore" },
    falcoRuleEvaluation: { seconds: 5, from: "design allowance: Falco evaluates each syscall against its rules in-line on the node (no published bound; not measured here)" },
    falcosidekickDelivery: { seconds: 10, from: "design allowance: falcosidekick's HTTP delivery to SNS, with its retries (no published bound; not measured here)" },
    guardDutyAnalysis: { seconds: 900, from: "allowance for GuardDuty's analysis from the activity to the finding (AWS publishes no figure); the shortest FindingPublishingFrequency, 15 min" },
    accessLogDelivery: { seconds: 3600, from: "S3 server access logs are delivered best effort, usually within a few hours (Amazon S3 User Guide: Logging requests with server access logging); one hour is an allowance, not a bound" },
    redisAsyncReplicationLoss: { seconds: 1, from: "redis.maxReplicaLagSeconds: the lag alarm threshold; Sentinel promotes an asynchronous replica, which can lack up to its lag of acknowledged writes (an alarm, not a bound)" },
});
export type BudgetId = keyof typeof BUDGETS;

/** Kubernetes probe defaults, applied when a probe leaves a field unset. */
export const K8S_PROBE_DEFAULTS = Object.freeze({ periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 });
/** Route 53 API default failure threshold. */
export const ROUTE53_DEFAULT_FAILURE_THRESHOLD = 3;
/** PerconaPGCluster spec.patroni defaults (CRD v3.0.0). */
export const PATRONI_DEFAULTS = Object.freeze({ leaderLeaseDurationSeconds: 30, syncPeriodSeconds: 10 });

/** A term from a vendor constant (optionally relabelled or multiplied by the caller). */
export function vendor(id: ConstantId, label?: string, seconds?: number): Term {
    const c = CONSTANTS[id];
    return { label: label ?? c.label, seconds: seconds ?? c.seconds, basis: c.basis, source: c.source.ref };
}
