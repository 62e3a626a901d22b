/**
 * The platform's fence that needs no control plane in the failed primary region (issue 11):
 *
 * - Repo fence: an explicit Deny (Sid `FortressFailoverFence`) in the bucket policy of every
 *   bucket OUTSIDE the primary region that the primary writes into (the tier-2 bucket in the DR
 *   region, the tier-3 bucket in the tier-3 region, the uploads' DR copy) for the primary's writer
 *   principals — its pgBackRest writer role (archive-push and backups to repo2/repo3), its
 *   tier-2/tier-3 backup-job writer roles, its tier-1 replication role and the uploads'
 *   replication role. Merged into the bucket's existing policy
 *   (GetBucketPolicy, every other statement kept, PutBucketPolicy) through S3 in the bucket's own
 *   region, then READ BACK and checked statement by statement. An explicit Deny overrides any
 *   Allow (IAM policy evaluation), so the roles' own Allow statements do not matter.
 * - Writes fence: clients reach the primary only through the Route 53 failover records
 *   (stacks/steps/detection.ts, CNAMEs). Route 53's health-check failover is the data plane:
 *   the command does not change the records, it RESOLVES each hostname at the zone's
 *   authoritative name servers (stack config `endpoints.nameServers`, or `FORTRESS_DNS_SERVERS`)
 *   until every one answers its DR target, then waits out the records' TTL so cached answers of
 *   the old region have expired.
 *
 * Undo (fail-back, once the old primary is rebuilt as a standby of the new one): `liftFence`
 * removes exactly that statement and reads back that it is gone (`fortress failover --unfence`).
 */
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { promises as dnsp } from "dns";
import { isIP } from "net";
import { untilDeadline } from "../types";
import type { ProbeResult, Wait } from "../types";

export const FENCE_SID = "FortressFailoverFence";

/** What the fence refuses the primary's writers: object writes and deletes, and S3 replication's writes on their behalf. */
export const FENCE_ACTIONS: readonly string[] = [
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:AbortMultipartUpload",
    "s3:PutObjectTagging",
    "s3:PutObjectAcl",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
];

/** The DR stack's output `failoverFence` (stacks/dr.ts). */
export interface FenceTargets {
    /** Buckets outside the primary region the primary writes into, each with its region. */
    readonly buckets: readonly { readonly tier: string; readonly bucketName: string; readonly region: string }[];
    /** IAM role ARNs of the primary's writers into them. */
    readonly principals: readonly string[];
}

interface Statement {
    Sid?: string;
    Effect: string;
    Principal?: unknown;
    Action?: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

interface PolicyDoc {
    Version?: string;
    Statement: Statement[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function fenceStatement(bucketName: string, principals: readonly string[]): Statement {
    return {
        Sid: FENCE_SID,
        Effect: "Deny",
        Principal: "*",
        Action: [...FENCE_ACTIONS],
        Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`],
        // aws:PrincipalArn is the role's ARN for every session of it (IRSA web-identity sessions included).
        Condition: { ArnLike: { "aws:PrincipalArn": [...principals] } },
    };
}

function parsePolicy(text: string | undefined, bucket: string): PolicyDoc {
    if (!text) return { Version: "2012-10-17", Statement: [] };
    const doc = JSON.parse(text) as { Version?: string; Statement?: Statement | Statement[] };
    if (!doc || typeof doc !== "object") throw new Error(`bucket ${bucket}: its policy is not a JSON object`);
    return { Version: doc.Version ?? "2012-10-17", Statement: doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement] };
}

/** The bucket's policy with the fence statement in it (any earlier fence statement replaced, every other statement kept). */
export function withFence(existing: string | undefined, bucketName: string, principals: readonly string[]): string {
    const doc = parsePolicy(existing, bucketName);
    return JSON.stringify({ ...doc, Statement: [...doc.Statement.filter((s) => s.Sid !== FENCE_SID), fenceStatement(bucketName, principals)] });
}

/** The bucket's policy without the fence statement; undefined when nothing else is left (delete the policy). */
export function withoutFence(existing: string | undefined, bucketName: string): string | undefined {
    const doc = parsePolicy(existing, bucketName);
    const rest = doc.Statement.filter((s) => s.Sid !== FENCE_SID);
    return rest.length === 0 ? undefined : JSON.stringify({ ...doc, Statement: rest });
}

/** Checks a read-back policy: the fence statement denies every fence action on the bucket's objects for every principal. */
export function checkFence(policy: string | undefined, bucketName: string, principals: readonly string[]): { ok: boolean; detail: string } {
    if (!policy) return { ok: false, detail: "no bucket policy" };
    const s = parsePolicy(policy, bucketName).Statement.find((x) => x.Sid === FENCE_SID);
    if (!s) return { ok: false, detail: `no statement ${FENCE_SID}` };
    const problems: string[] = [];
    if (s.Effect !== "Deny") problems.push(`Effect ${s.Effect}`);
    if (s.Principal !== "*" && JSON.stringify(s.Principal) !== JSON.stringify({ AWS: "*" })) problems.push(`Principal ${JSON.stringify(s.Principal)}`);
    const actions = list(s.Action);
    const missing = FENCE_ACTIONS.filter((a) => !actions.includes(a) && !actions.includes("s3:*"));
    if (missing.length) problems.push(`actions not denied: ${missing.join(", ")}`);
    if (!list(s.Resource).includes(`arn:aws:s3:::${bucketName}/*`)) problems.push(`resource arn:aws:s3:::${bucketName}/* not covered`);
    const named = list(s.Condition?.ArnLike?.["aws:PrincipalArn"] ?? s.Condition?.ArnEquals?.["aws:PrincipalArn"]);
    const absent = principals.filter((p) => !named.includes(p));
    if (absent.length) problems.push(`principals not named: ${absent.join(", ")}`);
    const otherConditions = Object.keys(s.Condition ?? {}).filter((k) => k !== "ArnLike" && k !== "ArnEquals");
    if (otherConditions.length) problems.push(`extra conditions ${otherConditions.join(", ")} narrow it`);
    return problems.length ? { ok: false, detail: `${FENCE_SID} present but ${problems.join("; ")}` } : { ok: true, detail: `${FENCE_SID} denies ${actions.length} write action(s) to ${principals.length} principal(s)` };
}

async function getPolicy(s3: S3Client, bucket: string, wait: Wait): Promise<string | undefined> {
    try {
        return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }), untilDeadline(wait))).Policy;
    } catch (e) {
        if ((e as { name?: string }).name === "NoSuchBucketPolicy") return undefined;
        throw e;
    }
}

/** The repo fence through S3 in each bucket's own region (never the primary's). */
export class RepoFence {
    constructor(
        readonly targets: FenceTargets,
        /** An S3 client for a region. */
        private readonly s3: (region: string) => S3Client,
        /** The primary region: a target bucket there is refused (it would need the failed region). */
        primaryRegion: string,
    ) {
        const problems: string[] = [];
        if (targets.buckets.length === 0) problems.push("no buckets");
        if (targets.principals.length === 0) problems.push("no principals");
        for (const p of targets.principals) if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(p)) problems.push(`principal "${p}" is not an IAM role ARN`);
        for (const b of targets.buckets) if (b.region === primaryRegion) problems.push(`bucket ${b.bucketName} is in the primary region ${primaryRegion}`);
        if (problems.length) throw new Error(`stack output failoverFence: ${problems.join("; ")}; rewrite FORTRESS_STACK_OUTPUTS with pulumi stack output --json of the DR stack`);
    }

    /** Adds (or replaces) the fence statement in every target bucket's policy. Returns what was sent, per bucket. */
    async apply(wait: Wait): Promise<string[]> {
        const lines: string[] = [];
        for (const b of this.targets.buckets) {
            const s3 = this.s3(b.region);
            const before = await getPolicy(s3, b.bucketName, wait);
            const kept = parsePolicy(before, b.bucketName).Statement.filter((s) => s.Sid !== FENCE_SID).length;
            await s3.send(new PutBucketPolicyCommand({ Bucket: b.bucketName, Policy: withFence(before, b.bucketName, this.targets.principals) }), untilDeadline(wait));
            lines.push(`s3://${b.bucketName} (${b.tier}, ${b.region}): ${FENCE_SID} put (${kept} other statement(s) kept)`);
        }
        return lines;
    }

    /** Reads every target bucket's policy back; ok only when each holds the complete fence statement. */
    async prove(wait: Wait): Promise<{ ok: boolean; lines: string[] }> {
        const lines: string[] = [];
        let ok = true;
        for (const b of this.targets.buckets) {
            let r: { ok: boolean; detail: string };
            try {
                r = checkFence(await getPolicy(this.s3(b.region), b.bucketName, wait), b.bucketName, this.targets.principals);
            } catch (e) {
                r = { ok: false, detail: `policy not read back: ${(e as Error).name} ${(e as Error).message}` };
            }
            ok &&= r.ok;
            lines.push(`s3://${b.bucketName} (${b.region}) read back: ${r.detail}`);
        }
        return { ok, lines };
    }

    /** Removes the fence statement (fail-back) and reads back that it is gone; every other statement kept. */
    async lift(wait: Wait): Promise<{ ok: boolean; lines: string[] }> {
        const lines: string[] = [];
        let ok = true;
        for (const b of this.targets.buckets) {
            const s3 = this.s3(b.region);
            const rest = withoutFence(await getPolicy(s3, b.bucketName, wait), b.bucketName);
            if (rest === undefined) await s3.send(new DeleteBucketPolicyCommand({ Bucket: b.bucketName }), untilDeadline(wait));
            else await s3.send(new PutBucketPolicyCommand({ Bucket: b.bucketName, Policy: rest }), untilDeadline(wait));
            const after = await getPolicy(s3, b.bucketName, wait);
            const gone = !after || !parsePolicy(after, b.bucketName).Statement.some((s) => s.Sid === FENCE_SID);
            ok &&= gone;
            lines.push(`s3://${b.bucketName} (${b.region}): ${gone ? `${FENCE_SID} removed, read back absent` : `${FENCE_SID} STILL PRESENT after removal`}; ${after ? parsePolicy(after, b.bucketName).Statement.length : 0} statement(s) left`);
        }
        return { ok, lines };
    }
}

export interface DnsHost {
    readonly hostname: string;
    readonly primaryTarget: string;
    readonly drTarget: string;
}

const norm = (n: string) => n.toLowerCase().replace(/\.$/, "");

/**
 * Confirms the Route 53 failover records answer the DR targets, asking the zone's authoritative
 * name servers directly (node's dns Resolver: no recursive cache in between, no Route 53 API).
 */
export class DnsFailoverCheck {
    /** Poll interval (ms); tests shorten it. */
    intervalMs = 2000;
    constructor(
        readonly hosts: readonly DnsHost[],
        /** Name servers: host names (resolved through the system resolver) or ip[:port]. */
        private readonly nameServers: readonly string[],
        /** The records' TTL: after the first DR answer, how long cached old answers may live. */
        readonly ttlSeconds: number,
        /** Per-query timeout (ms). */
        private readonly queryMs = 3000,
    ) {
        if (hosts.length === 0) throw new Error("endpoints.hosts is empty: no failover record to confirm");
        if (nameServers.length === 0) throw new Error("no name servers for the failover records: set the stack's endpoints.nameServers (the hosted zone's NS record) or FORTRESS_DNS_SERVERS=ip[:port],…");
    }

    /** ip[:port] of every name server ([v6]:port too). */
    private async servers(): Promise<string[]> {
        const out: string[] = [];
        for (const ns of this.nameServers) {
            const bare = ns.replace(/^\[|\](:\d+)?$/g, "").replace(/:\d+$/, "");
            if (isIP(ns) || isIP(bare)) out.push(ns);
            else out.push(...(await dnsp.lookup(norm(ns), { all: true })).map((a) => a.address));
        }
        return out;
    }

    /** One round: what each hostname's CNAME is at the name servers. */
    async answers(): Promise<{ hostname: string; answer: string; region: "primary" | "dr" | "other" }[]> {
        const r = new dnsp.Resolver({ timeout: this.queryMs, tries: 1 });
        r.setServers(await this.servers());
        const out: { hostname: string; answer: string; region: "primary" | "dr" | "other" }[] = [];
        for (const h of this.hosts) {
            let answer: string;
            try {
                answer = (await r.resolveCname(h.hostname)).map(norm).join(",");
            } catch (e) {
                answer = `no answer (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
            }
            out.push({ hostname: h.hostname, answer, region: answer === norm(h.drTarget) ? "dr" : answer === norm(h.primaryTarget) ? "primary" : "other" });
        }
        return out;
    }

    /**
     * Polls until every hostname answers `region`'s target, then waits the TTL; at the deadline
     * it says what was last answered. Never throws for a wrong answer: the caller decides.
     */
    async confirm(region: "primary" | "dr", wait: Wait): Promise<ProbeResult> {
        let last: Awaited<ReturnType<DnsFailoverCheck["answers"]>> = [];
        const show = () => last.map((a) => `${a.hostname} -> ${a.answer}`).join("; ");
        for (;;) {
            last = await this.answers();
            if (last.every((a) => a.region === region)) break;
            if (Date.now() + this.intervalMs > wait.deadline) return { name: "dns", ok: false, detail: `at the deadline the authoritative name servers still answer: ${show()} (want the ${region} targets)` };
            wait.progress?.(`dns: ${show()}`);
            await new Promise((res) => setTimeout(res, this.intervalMs));
        }
        const seenAt = Date.now();
        if (seenAt + this.ttlSeconds * 1000 > wait.deadline) return { name: "dns", ok: false, detail: `the name servers answer the ${region} targets (${show()}) but the records' TTL ${this.ttlSeconds} s does not fit before the deadline: cached old answers may still be used` };
        await new Promise((res) => setTimeout(res, this.ttlSeconds * 1000));
        last = await this.answers();
        const ok = last.every((a) => a.region === region);
        return { name: "dns", ok, detail: `authoritative name servers answer ${show()}${ok ? `; held for the records' TTL (${this.ttlSeconds} s), so cached answers of the other region have expired` : " after the TTL wait: the answer flapped back"}` };
    }
}
