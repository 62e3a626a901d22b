/**
 * What every step of the recovery drill shares: the lab, the `fortress` CLI run as an operator
 * runs it (its own bin, as a child process), the backup SLO series read back from moto's
 * CloudWatch, the figure and check recorders, and the comparison helpers.
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { S3Client } from "@aws-sdk/client-s3";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { BACKUP_SLO_NAMESPACE, SLO_RUN_DIMENSIONS, SLO_RUN_METRICS } from "../../components/detection/slo";
import type { LabDescription } from "../../cli/drivers/lab/description";
import { labS3Client } from "../../cli/drivers/lab/storage";
import { query } from "../../cli/drivers/lab/pg";
import { sleep } from "../postgres/processes";
import type { Check, DrillRun, DrillSizes, Fig } from "../lib/drill-setup";
import type { DrillOptions } from "../types";
import type { RecoveryLab } from "./lab";

const BIN = path.resolve(__dirname, "..", "..", "cli", "bin", "fortress.js");

export interface CliResult {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly seconds: number;
}

/** Runs `fortress <args>`; `killWhen` is polled every 50 ms and SIGKILLs the run when it returns true. */
function fortress(args: readonly string[], env: NodeJS.ProcessEnv, killWhen?: () => boolean): Promise<CliResult> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
        const limit = setTimeout(() => child.kill("SIGKILL"), 600_000);
        let poller: NodeJS.Timeout | undefined;
        if (killWhen) {
            poller = setInterval(() => {
                if (killWhen()) {
                    clearInterval(poller);
                    child.kill("SIGKILL");
                }
            }, 50);
        }
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(limit);
            if (poller) clearInterval(poller);
            resolve({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000 });
        });
    });
}

/** A run's `--output json` document, read field by field (optional chaining) as an operator's tooling would. */
export type CliDoc = any;

/** The run's `--output json` document (`{}` when it printed none). */
export const jsonOf = (r: CliResult): CliDoc => JSON.parse(r.stdout || "{}");

export const stderrLines = (r: CliResult) => r.stderr.split("\n").filter((l) => l.trim() !== "");

/** Seconds to one decimal, as the figures report them. */
export const tenths = (seconds: number) => Math.round(seconds * 10) / 10;

/** sha256 of every file under `dir` (relative path → hash), for the byte-for-byte comparisons. */
export function treeHashes(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            const rel = path.relative(dir, p);
            if (skip(rel)) continue;
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) out.set(rel, createHash("sha256").update(fs.readFileSync(p)).digest("hex"));
        }
    };
    walk(dir);
    return out;
}

/** What differs between two path → hash maps ("changed x", "removed x", "added x"); empty when identical. */
export function sameMaps(a: Map<string, string>, b: Map<string, string>): string[] {
    const diff: string[] = [];
    for (const [k, v] of a) if (b.get(k) !== v) diff.push(b.has(k) ? `changed ${k}` : `removed ${k}`);
    for (const k of b.keys()) if (!a.has(k)) diff.push(`added ${k}`);
    return diff;
}

/** One series of the backup SLOs read back from moto: the sums of the last two hours. */
export interface SloSeries {
    readonly runs: number | null;
    readonly succeeded: number | null;
    readonly withinWindow: number | null;
    readonly durationMax: number | null;
    /** Every metric of the series, with its dimension names in the order the jobs send them. */
    readonly names: string[];
}

/** Every metric name of a run, sorted: what a complete series lists. */
export const ALL_RUN_METRICS = Object.values(SLO_RUN_METRICS).sort();

/** Reads the database series {DataClass=database, Tier, Purpose} from moto's CloudWatch. */
async function readSloSeries(cw: CloudWatchClient, tier: string, purpose: string): Promise<SloSeries> {
    const dims = SLO_RUN_DIMENSIONS.map((Name) => ({ Name, Value: { DataClass: "database", Tier: tier, Purpose: purpose }[Name] }));
    const read = async (metric: string, stat: "Sum" | "Maximum") => {
        const r = await cw.send(new GetMetricStatisticsCommand({ Namespace: BACKUP_SLO_NAMESPACE, MetricName: metric, Dimensions: dims, StartTime: new Date(Date.now() - 7_200_000), EndTime: new Date(Date.now() + 300_000), Period: 10_800, Statistics: [stat] }));
        const p = r.Datapoints ?? [];
        return p.length ? p.reduce((t, d) => (stat === "Sum" ? t + (d.Sum ?? 0) : Math.max(t, d.Maximum ?? 0)), 0) : null;
    };
    const listed = (await cw.send(new ListMetricsCommand({ Namespace: BACKUP_SLO_NAMESPACE, Dimensions: dims.map((d) => ({ ...d })) }))).Metrics ?? [];
    return {
        runs: await read(SLO_RUN_METRICS.runs, "Sum"),
        succeeded: await read(SLO_RUN_METRICS.succeeded, "Sum"),
        withinWindow: await read(SLO_RUN_METRICS.withinWindow, "Sum"),
        durationMax: await read(SLO_RUN_METRICS.duration, "Maximum"),
        names: [...new Set(listed.filter((m) => JSON.stringify(m.Dimensions?.map((d) => d.Name)) === JSON.stringify(SLO_RUN_DIMENSIONS)).map((m) => m.MetricName!))].sort(),
    };
}

/** One series on one line, for a check's detail. */
export const sloLine = (label: string, x: SloSeries) =>
    `${label}: Runs ${x.runs}, Succeeded ${x.succeeded}, WithinWindow ${x.withinWindow}, DurationSeconds max ${x.durationMax}; metrics {${SLO_RUN_DIMENSIONS.join(",")}}: ${x.names.join(" ")}`;

/** The drill's loads: quick (CI) or full. */
export interface RecoverySizes {
    /** Commits before the first backup, and again before the point-in-time target. */
    readonly commits: number;
    readonly redisKeys: number;
    /** Tiers the cache is backed up to. Quick: tier 1 only. */
    readonly cacheTiers: string;
    /** Tiers the database is backed up to and validated: moto's S3 makes each tier-2 pass cost about a minute on 2 busy cores, so quick mode (CI) does tier 1 only. */
    readonly tiers: string;
    /** The tier the status check makes stale. */
    readonly staleTier: "tier1" | "tier2";
}

export const RECOVERY_SIZES: DrillSizes<RecoverySizes> = {
    quick: { commits: 100, redisKeys: 2000, cacheTiers: "tier1", tiers: "tier1", staleTier: "tier1" },
    full: { commits: 1000, redisKeys: 20000, cacheTiers: "tier1,tier2", tiers: "tier1,tier2", staleTier: "tier2" },
};

/** Everything the steps share. */
export interface RecoveryDrill {
    readonly options: DrillOptions;
    readonly sizes: RecoverySizes;
    readonly lab: RecoveryLab;
    readonly desc: LabDescription;
    /** The CLI's state directory (runs, audit.jsonl). */
    readonly stateDir: string;
    /** `--stack dev --lab <the lab description>`. */
    readonly common: readonly string[];
    /** The lab's primary, for cli/drivers/lab/pg `query`. */
    readonly primary: { readonly host: string; readonly port: number; readonly user: string };
    /** When the lab was up: before the oldest backup. */
    readonly labStartedAt: Date;
    readonly s3: S3Client;
    readonly fig: Fig;
    readonly check: Check;
    /** Runs `fortress <args>` with the drill's state directory. */
    fortress(args: readonly string[], killWhen?: () => boolean): Promise<CliResult>;
    /** The database series of `tier` and `purpose` (backup, recovery) as moto's CloudWatch holds it now. */
    sloSeries(tier: string, purpose: string): Promise<SloSeries>;
    /** The lab has no CronJob: the drill snapshots the cache again before a check that reads its age. */
    freshCache(): Promise<CliResult>;
    /** Inserts drill_commits rows from..to, one transaction (and commit timestamp) each. */
    commit(from: number, to: number): Promise<void>;
    /** Releases the S3 and CloudWatch clients. */
    close(): void;
}

export function recoveryDrill(options: DrillOptions, lab: RecoveryLab, metricsRegion: string, run: DrillRun<RecoverySizes>): RecoveryDrill {
    const desc = lab.description;
    const { sizes } = run;
    const cw = new CloudWatchClient({ region: metricsRegion, endpoint: desc.cloudwatch!.endpoint, credentials: { accessKeyId: "fortress-lab", secretAccessKey: "fortress-lab" } });
    const s3 = labS3Client(desc)!;
    const stateDir = path.join(options.workDir, "state");
    const env = { ...process.env, FORTRESS_STATE_DIR: stateDir };
    const common = ["--stack", "dev", "--lab", lab.descriptionFile];
    const primary = { host: "127.0.0.1", port: desc.postgres.port, user: "postgres" };
    return {
        options,
        sizes,
        lab,
        desc,
        stateDir,
        common,
        primary,
        labStartedAt: new Date(),
        s3,
        fig: run.fig,
        check: run.check,
        fortress: (args, killWhen) => fortress(args, env, killWhen),
        sloSeries: (tier, purpose) => readSloSeries(cw, tier, purpose),
        freshCache: () => fortress(["backup", ...common, "--class", "cache", "--tier", sizes.cacheTiers], env),
        async commit(from, to) {
            for (let id = from; id <= to; id++) {
                await query(primary, "insert into drill_commits values ($1, $2)", [id, `commit ${id}`]);
                await sleep(5);
            }
        },
        close() {
            s3.destroy();
            cw.destroy();
        },
    };
}
