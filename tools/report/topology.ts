/**
 * The topology the report draws, read from what an evaluated stack declares (and, for a
 * primary, from its DR pair when one is given): the regions and the GCS location, each tier's
 * bucket, the replication rules with their RTC, the database and Redis with the repos they
 * write, the DR standby, the Route 53 failover pairs, and the alarms in their home regions.
 *
 * Pure: resources in, a graph of groups, nodes and edges out. Nothing here is a constant of
 * the prod stack; a stack that declares less draws less.
 */
import type { PlanResult } from "../evaluate";
import type { RecordedResource } from "../../components/core/recorded-resource";

export type GroupKind = "region" | "gcs" | "cluster" | "global";
export type NodeKind = "bucket" | "gcs-bucket" | "database" | "standby" | "redis" | "repo-volume" | "platform-backups" | "dns" | "ingress" | "alarms";
export type EdgeKind = "replication" | "transfer" | "backup" | "failover" | "standby";

export interface TopologyGroup {
    readonly id: string;
    readonly kind: GroupKind;
    readonly label: string;
    /** What the location is for: "primary", "DR / tier 2", "tier 3", "GCS tier-3 copy". */
    readonly role: string;
    /** The enclosing group (a cluster sits in its region). */
    readonly parent?: string;
}

export interface TopologyNode {
    readonly id: string;
    readonly kind: NodeKind;
    readonly group: string;
    /** First line: what it is. */
    readonly label: string;
    /** Further lines: the facts that matter at a glance. */
    readonly detail: readonly string[];
    /** tier1 | tier2 | tier3 | gcs for the tier buckets. */
    readonly tier?: string;
}

export interface TopologyEdge {
    readonly from: string;
    readonly to: string;
    readonly kind: EdgeKind;
    readonly label: string;
}

export interface Topology {
    readonly stack: string;
    readonly groups: readonly TopologyGroup[];
    readonly nodes: readonly TopologyNode[];
    readonly edges: readonly TopologyEdge[];
}

type Evaluated = Pick<PlanResult, "stack" | "config" | "resources">;

const RESOURCE_TYPES = {
    bucket: "aws:s3/bucket:Bucket",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    lock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    gcsBucket: "gcp:storage/bucket:Bucket",
    transfer: "gcp:storage/transferJob:TransferJob",
    pg: "kubernetes:pgv2.percona.com/v2:PerconaPGCluster",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    cronJob: "kubernetes:batch/v1:CronJob",
    veleroSchedule: "kubernetes:velero.io/v1:Schedule",
    record: "aws:route53/record:Record",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    topic: "aws:sns/topic:Topic",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
} as const;

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase();
const of = (rs: readonly RecordedResource[], type: string) => rs.filter((r) => r.type === type);

/** The role of an AWS region in this stack's config. */
function regionRole(config: Evaluated["config"], region: string): string {
    const { primary, dr, tier3 } = config.regions;
    const roles = [region === primary && "primary", region === dr && "DR / tier 2", region === tier3 && "tier 3"].filter(Boolean) as string[];
    return roles.join(", ") || "other";
}

class Builder {
    readonly groups = new Map<string, TopologyGroup>();
    readonly nodes = new Map<string, TopologyNode>();
    readonly edges = new Map<string, TopologyEdge>();

    group(g: TopologyGroup): string {
        if (!this.groups.has(g.id)) this.groups.set(g.id, g);
        return g.id;
    }
    node(n: TopologyNode): string {
        if (!this.nodes.has(n.id)) this.nodes.set(n.id, n);
        return n.id;
    }
    edge(e: TopologyEdge): void {
        if (e.from === e.to || !this.nodes.has(e.from) || !this.nodes.has(e.to)) return;
        const key = `${e.from}>${e.to}>${e.kind}`;
        const known = this.edges.get(key);
        // Several rules between the same two buckets are one arrow listing each.
        if (known) {
            if (!known.label.split("; ").includes(e.label)) this.edges.set(key, { ...known, label: `${known.label}; ${e.label}` });
        } else this.edges.set(key, e);
    }
}

/** The region group of an AWS region (created on first use). */
function regionGroup(b: Builder, config: Evaluated["config"], region: string): string {
    return b.group({ id: `region-${region}`, kind: "region", label: region, role: regionRole(config, region) });
}

/** A Kubernetes cluster sits in the region its config names (the plan records it as `kubernetes:<cluster>`). */
function clusterGroup(b: Builder, config: Evaluated["config"], location: string, region: string, label: string): string {
    const parent = regionGroup(b, config, region);
    return b.group({ id: `cluster-${slug(location)}-${region}`, kind: "cluster", label, role: "Kubernetes", parent });
}

/** What the parts of one stack's drawing share. */
interface StackDrawing {
    readonly b: Builder;
    readonly config: Evaluated["config"];
    readonly resources: readonly RecordedResource[];
    readonly side: "primary" | "dr";
    /** The group of the stack's Kubernetes cluster (created on first use). */
    cluster(): string;
    /** The tier buckets' node ids by bucket name (addTierBuckets fills it). */
    readonly bucketIdByName: Map<string, string>;
}

/** Draws one stack, part by part (the order sets the order of groups, nodes and edges). */
function addStack(b: Builder, result: Evaluated, side: "primary" | "dr"): void {
    const { config, resources } = result;
    const clusterRegion = side === "dr" ? config.regions.dr : config.regions.primary;
    const k8sLocation = resources.find((r) => r.region?.startsWith("kubernetes:"))?.region ?? "kubernetes";
    const clusterLabel = side === "dr" ? `DR cluster (${result.stack})` : `cluster ${k8sLocation.replace(/^kubernetes:/, "")}`;
    const s: StackDrawing = { b, config, resources, side, cluster: () => clusterGroup(b, config, k8sLocation, clusterRegion, clusterLabel), bucketIdByName: new Map() };
    addTierBuckets(s);
    addGcsCopies(s);
    addReplication(s);
    for (const pg of of(resources, RESOURCE_TYPES.pg)) addDatabase(s, pg);
    addRedis(s);
    addBackupJobs(s);
    addFailoverDns(s);
    addAlarms(s);
}

/** Tier buckets: the buckets of the TierBucket components, named by tier. */
function addTierBuckets({ b, config, resources: rs, bucketIdByName }: StackDrawing): void {
    for (const bk of of(rs, RESOURCE_TYPES.bucket)) {
        const tier = bk.parentName;
        if (!tier || !/^tier[123]$/.test(tier) || !bk.region) continue;
        const lock = of(rs, RESOURCE_TYPES.lock).find((l) => l.name === `${tier}-object-lock`);
        const lockText = lock ? `Object Lock ${lock.inputs.rule?.defaultRetention?.mode ?? ""} ${lock.inputs.rule?.defaultRetention?.days ?? "?"}d` : "no Object Lock";
        const name = String(bk.inputs.bucket ?? bk.name);
        const id = b.node({ id: `bucket-${name}`, kind: "bucket", group: regionGroup(b, config, bk.region), label: `${tier} bucket`, detail: [name, lockText], tier });
        bucketIdByName.set(name, id);
    }
}

/** GCS copies of tier 3, with the Storage Transfer arrow from the tier-3 bucket. */
function addGcsCopies({ b, config, resources: rs }: StackDrawing): void {
    for (const g of of(rs, RESOURCE_TYPES.gcsBucket)) {
        const location = String(g.inputs.location ?? config.gcs.location);
        const group = b.group({ id: `gcs-${location}`, kind: "gcs", label: `GCS ${location}`, role: "GCS tier-3 copy" });
        const rp = g.inputs.retentionPolicy;
        const lock = rp ? `retention ${Math.round(Number(rp.retentionPeriod) / 86_400)}d${rp.isLocked ? ", locked" : ""}` : "no retention policy";
        const id = b.node({ id: `gcs-${slug(String(g.inputs.name ?? g.name))}`, kind: "gcs-bucket", group, label: "tier3 copy (GCS)", detail: [String(g.inputs.name ?? g.name), lock], tier: "gcs" });
        const tier3 = [...b.nodes.values()].find((n) => n.tier === "tier3");
        if (tier3 && of(rs, RESOURCE_TYPES.transfer).length > 0) b.edge({ from: tier3.id, to: id, kind: "transfer", label: "Storage Transfer, daily" });
    }
}

/** Replication between tier buckets, with RTC. */
function addReplication({ b, resources: rs, bucketIdByName }: StackDrawing): void {
    for (const rc of of(rs, RESOURCE_TYPES.replication)) {
        const from = bucketIdByName.get(String(rc.inputs.bucket));
        if (!from) continue;
        for (const rule of (rc.inputs.rules ?? []) as any[]) {
            const to = bucketIdByName.get(String(rule.destination?.bucket ?? "").replace(/^arn:aws:s3:::/, ""));
            if (!to) continue;
            const rt = rule.destination?.replicationTime;
            const rtc = rt?.status === "Enabled" ? `RTC ${rt.time?.minutes ?? "?"} min` : "no RTC";
            b.edge({ from, to, kind: "replication", label: `${rule.id ?? "replication"}: ${rtc}` });
        }
    }
}

/** A PostgreSQL cluster and the repos it writes (a standby: the repo it replays from, and streaming from the primary). */
function addDatabase(s: StackDrawing, pg: RecordedResource): void {
    const { b } = s;
    const spec = pg.inputs.spec ?? {};
    const repos: any[] = spec.backups?.pgbackrest?.repos ?? [];
    const replicas = (spec.instances ?? []).reduce((n: number, i: any) => n + Number(i.replicas ?? 0), 0);
    const name = String(pg.inputs.metadata?.name ?? pg.name);
    const standby = spec.standby?.enabled === true;
    const id = b.node({
        id: `pg-${s.side}-${name}`,
        kind: standby ? "standby" : "database",
        group: s.cluster(),
        label: standby ? `PostgreSQL standby ${name}` : `PostgreSQL ${name}`,
        detail: [`${replicas} instance${replicas === 1 ? "" : "s"}${standby ? `, replays from ${spec.standby.repoName ?? "?"}` : ""}`, `repos: ${repos.map((r) => r.name).join(", ") || "none"}`],
    });
    const repoSchedules: string[] = [];
    for (const repo of repos) {
        const target = repoTarget(s, id, repo);
        if (!target) continue;
        if (standby && repo.name === spec.standby.repoName) b.edge({ from: target, to: id, kind: "standby", label: `${repo.name}: WAL replay` });
        else if (!standby) b.edge({ from: id, to: target, kind: "backup", label: repo.name });
        const schedules = Object.entries(repo.schedules ?? {}).map(([k, v]) => `${k} ${String(v)}`).join(", ");
        if (!standby && schedules) repoSchedules.push(`${repo.name}: ${schedules}`);
    }
    if (repoSchedules.length) b.nodes.set(id, { ...b.nodes.get(id)!, detail: [...b.nodes.get(id)!.detail.slice(0, 1), ...repoSchedules] });
    if (standby && spec.standby.host) {
        const primary = [...b.nodes.values()].find((n) => n.kind === "database");
        if (primary) b.edge({ from: primary.id, to: id, kind: "standby", label: "streaming" });
    }
}

/** Where a pgBackRest repo lives: a tier bucket (or another stack's bucket), or a volume in the cluster. */
function repoTarget(s: StackDrawing, databaseId: string, repo: any): string | undefined {
    if (repo.s3?.bucket) return s.bucketIdByName.get(String(repo.s3.bucket)) ?? externalBucket(s.b, s.config, String(repo.s3.bucket), String(repo.s3.region ?? ""));
    if (repo.volume) return s.b.node({ id: `${databaseId}-${repo.name}-volume`, kind: "repo-volume", group: s.cluster(), label: `${repo.name} volume`, detail: [String(repo.volume.volumeClaimSpec?.storageClassName ?? "volume")] });
    return undefined;
}

/** Redis (the StatefulSet that is not the Sentinel). */
function addRedis({ b, resources: rs, side, cluster }: StackDrawing): void {
    const redisSets = of(rs, RESOURCE_TYPES.statefulSet).filter((s) => /redis|valkey/i.test(s.name) && !/sentinel/i.test(s.name));
    for (const s of redisSets) {
        const name = String(s.inputs.metadata?.name ?? s.name);
        const sentinel = of(rs, RESOURCE_TYPES.statefulSet).some((x) => x.name === `${s.name}-sentinel`);
        b.node({ id: `redis-${side}-${name}`, kind: "redis", group: cluster(), label: `Redis ${name}`, detail: [`${s.inputs.spec?.replicas ?? "?"} members${sentinel ? " + Sentinel" : ""}`] });
    }
}

/** Backup CronJobs: Redis snapshots from the Redis node, the rest from one platform node. */
function addBackupJobs({ b, resources: rs, side, cluster, bucketIdByName }: StackDrawing): void {
    for (const cj of of(rs, RESOURCE_TYPES.cronJob)) {
        const containers: any[] = cj.inputs.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];
        const env = Object.fromEntries(containers.flatMap((c) => (c.env ?? []) as any[]).filter((e) => typeof e.value === "string").map((e) => [e.name, e.value]));
        const bucket = env.BACKUP_BUCKET ? bucketIdByName.get(String(env.BACKUP_BUCKET)) : undefined;
        if (!bucket) continue;
        const jobName = String(cj.inputs.metadata?.name ?? cj.name);
        const isRedis = /redis/i.test(jobName);
        const from = isRedis
            ? [...b.nodes.values()].find((n) => n.kind === "redis" && n.group === cluster())?.id
            : b.node({ id: `platform-${side}`, kind: "platform-backups", group: cluster(), label: "platform backups", detail: ["Velero, Sealed Secrets, Vault"] });
        if (!from) continue;
        b.edge({ from, to: bucket, kind: "backup", label: isRedis ? `snapshot ${cj.inputs.spec?.schedule ?? ""}` : "backups" });
    }
}

/** Route 53 failover pairs: one node per hostname, arrows to the primary and secondary targets. */
function addFailoverDns({ b, config, resources: rs, cluster }: StackDrawing): void {
    const records = of(rs, RESOURCE_TYPES.record).filter((r) => Array.isArray(r.inputs.failoverRoutingPolicies) && r.inputs.failoverRoutingPolicies.length > 0);
    const hostnames = [...new Set(records.map((r) => String(r.inputs.name)))];
    if (hostnames.length === 0) return;
    const dns = b.group({ id: "route53", kind: "global", label: "Route 53 (global)", role: "failover DNS, health checks" });
    const primaryIngress = b.node({ id: "ingress-primary", kind: "ingress", group: cluster(), label: "ingress (primary)", detail: [] });
    const drIngress = b.node({ id: "ingress-dr", kind: "ingress", group: regionGroup(b, config, config.regions.dr), label: "ingress (DR)", detail: [] });
    for (const h of hostnames) {
        const pair = records.filter((r) => String(r.inputs.name) === h);
        const ttl = pair.find((r) => r.inputs.ttl !== undefined)?.inputs.ttl;
        const id = b.node({ id: `dns-${slug(h)}`, kind: "dns", group: dns, label: h, detail: [`failover pair${ttl !== undefined ? `, TTL ${ttl} s` : ""}`, `${pair.filter((r) => r.inputs.healthCheckId).length} health checks`] });
        for (const r of pair) {
            const type = String(r.inputs.failoverRoutingPolicies[0]?.type ?? "");
            b.edge({ from: id, to: type === "PRIMARY" ? primaryIngress : drIngress, kind: "failover", label: type });
        }
    }
}

/** Alarms in their home regions, with the topic they notify. */
function addAlarms({ b, config, resources: rs, side }: StackDrawing): void {
    const alarmsByRegion = new Map<string, RecordedResource[]>();
    for (const a of [...of(rs, RESOURCE_TYPES.alarm)]) if (a.region) alarmsByRegion.set(a.region, [...(alarmsByRegion.get(a.region) ?? []), a]);
    for (const [region, alarms] of alarmsByRegion) {
        // The topic each alarm tells, from its actions (a DR stack's alarms tell the primary's topic).
        const topics = [...new Set(alarms.flatMap((a) => ((a.inputs.alarmActions ?? []) as unknown[]).map((arn) => String(arn).split(":").pop()!)))];
        const kinds = new Map<string, number>();
        for (const a of alarms) {
            const metric = String(a.inputs.metricName ?? (a.inputs.metricQueries ? "metric math" : "?"));
            kinds.set(metric, (kinds.get(metric) ?? 0) + 1);
        }
        const dashboards = of(rs, RESOURCE_TYPES.dashboard).filter((d) => d.region === region).length;
        b.node({
            id: `alarms-${side}-${region}`,
            kind: "alarms",
            group: regionGroup(b, config, region),
            label: `${alarms.length} alarm${alarms.length === 1 ? "" : "s"}${side === "dr" ? " (DR stack)" : ""}`,
            detail: [
                ...[...kinds].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([m, n]) => `${n} × ${m}`),
                ...(kinds.size > 3 ? [`+ ${kinds.size - 3} more metrics`] : []),
                topics.length ? `→ SNS ${topics.join(", ")}` : "no alarm action",
                ...(dashboards ? [`${dashboards} dashboard${dashboards === 1 ? "" : "s"}`] : []),
            ],
        });
    }
}

function externalBucket(b: Builder, config: Evaluated["config"], name: string, region: string): string | undefined {
    if (!region) return undefined;
    const tier = /-(tier[123])-/.exec(name)?.[1];
    return b.node({ id: `bucket-${name}`, kind: "bucket", group: regionGroup(b, config, region), label: tier ? `${tier} bucket` : "bucket", detail: [name], tier });
}

/**
 * The topology of a stack; `pair` is the other stack of a primary/DR pair (its standby,
 * its alarms), drawn into the same regions.
 */
export function buildTopology(result: Evaluated, pair?: Evaluated): Topology {
    const b = new Builder();
    const primary = result.config.role === "dr" && pair ? pair : result;
    const dr = result.config.role === "dr" ? result : pair;
    addStack(b, primary, primary.config.role === "dr" ? "dr" : "primary");
    if (dr && dr !== primary) addStack(b, dr, "dr");
    // A group nobody drew into (a cluster of a stack with no workloads) is left out.
    const used = new Set<string>();
    for (const n of b.nodes.values()) {
        for (let g: TopologyGroup | undefined = b.groups.get(n.group); g; g = g.parent ? b.groups.get(g.parent) : undefined) used.add(g.id);
    }
    return {
        stack: result.stack,
        groups: [...b.groups.values()].filter((g) => used.has(g.id)),
        nodes: [...b.nodes.values()],
        edges: [...b.edges.values()],
    };
}

/** The locations (AWS regions and GCS locations) a topology draws: what the browser test counts. */
export function topologyLocations(t: Topology): TopologyGroup[] {
    return t.groups.filter((g) => g.kind === "region" || g.kind === "gcs");
}
