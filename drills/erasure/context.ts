/**
 * What every step of the erasure drill shares: the lab (PostgreSQL, Redis, the ledger and
 * uploads on moto), the stacks directory the CLI reads, the erasure procedures from it, the
 * `fortress` CLI, the figure and check recorders, and the counts the "nothing else removed"
 * check compares.
 */
import { createHmac } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { S3Client } from "@aws-sdk/client-s3";
import { query } from "../../cli/drivers/lab/pg";
import { labErasurePrimitives } from "../../cli/erasure/lab-primitives";
import type { LedgerEntry } from "../../cli/erasure/ledger-format";
import type { ErasurePrimitives, ErasureProcedures } from "../../cli/erasure/replay";
import { proceduresOf } from "../../cli/erasure/step";
import { type FortressConfig, loadStackConfig } from "../../config";
import { EXAMPLE_ERASURE_SECTION } from "../lib/erasure-section";
import type { Check, DrillRun, DrillSizes, Fig } from "../lib/drill-setup";
import { runScript } from "../redis/procs";
import type { ErasureLab } from "./lab";
import type { LedgerLab } from "./ledger-lab";

const ROOT = path.resolve(__dirname, "..", "..");

/** The subjects the application erases. */
export const SUBJECTS = ["u-0007", "u-0042", "u-0133"];

/** A stacks directory for the CLI, the erasure section in it, and where that section came from. */
export interface DrillStacks {
    readonly dir: string;
    /** The stack's config as the CLI reads it (config/loader.ts). */
    readonly config: FortressConfig;
    readonly erasure: NonNullable<FortressConfig["erasure"]>;
    readonly source: string;
}

/** A stacks directory for the CLI: prod's file, with the example erasure section (drills/lib/erasure-section.ts) when prod has none. */
function drillStacks(dir: string): DrillStacks {
    fs.mkdirSync(dir, { recursive: true });
    const text = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8");
    const has = /^ {2}fortress-dr:erasure:/m.test(text);
    const out = has ? text : `${text.trimEnd()}\n  fortress-dr:erasure: ${JSON.stringify(EXAMPLE_ERASURE_SECTION)}\n`;
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), out);
    for (const f of ["Pulumi.yaml"]) if (fs.existsSync(path.join(ROOT, f))) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    // Read back through the project's one stack-file loader, as the CLI will read it.
    const config = loadStackConfig("prod", {}, dir).validated;
    if (!config.erasure) throw new Error(`${path.join(dir, "Pulumi.prod.yaml")}: no fortress-dr:erasure section after writing one`);
    return { dir, config, erasure: config.erasure, source: has ? "stacks/Pulumi.prod.yaml (erasure)" : "the drill's erasure section over stacks/Pulumi.prod.yaml (prod declares none yet)" };
}

/** A CLI run: exit code, its `--output json` document (or the tail it printed), stderr, wall time. */
export interface CliRun {
    readonly code: number | null;
    readonly doc: Record<string, any>;
    readonly stderr: string;
    readonly ms: number;
}

async function fortress(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
    const r = await runScript(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "cli", "main.ts"), ...args, "--output", "json"], { ...process.env, ...env }, 600_000);
    let doc: CliRun["doc"] = {};
    try {
        doc = JSON.parse(r.stdout);
    } catch {
        doc = { unparsed: r.stdout.slice(-2000) };
    }
    return { code: r.code, doc, stderr: r.stderr, ms: r.ms };
}

/** Application rows (users + orders), Redis keys, upload objects. */
export interface Counts {
    readonly rows: number;
    readonly keys: number;
    readonly objects: number;
}

export type PgTarget = { readonly host: string; readonly port: number; readonly user: string };

/** The drill's loads: application users (quick: 400, full: 4000). */
export interface ErasureSizes {
    readonly users: number;
}

export const ERASURE_SIZES: DrillSizes<ErasureSizes> = { quick: { users: 400 }, full: { users: 4000 } };

/** Everything the steps share. */
export interface ErasureDrill {
    readonly workDir: string;
    /** Application users. */
    readonly users: number;
    readonly lab: ErasureLab;
    readonly ledger: LedgerLab;
    /** The S3 admin (uploads, reading the ledger back). */
    readonly admin: S3Client;
    readonly hmacKey: Buffer;
    readonly stacks: DrillStacks;
    /** The erasure procedures of the stack config the CLI reads. */
    readonly procedures: ErasureProcedures;
    /** The erasure primitives on the live systems (the lab's PostgreSQL, Redis, uploads). */
    readonly live: ErasurePrimitives;
    readonly fig: Fig;
    readonly check: Check;
    /** HMAC-SHA256 of a subject id with the ledger's key (hex). */
    hmac(id: string): string;
    /** A ledger entry for subject `id` over the three data classes (for counting what remains of it). */
    entryFor(id: string, requestId?: string): LedgerEntry;
    /** `fortress <args> --output json` with the drill's stacks and state directories. */
    fortress(args: string[]): Promise<CliRun>;
    /** Counts on the PostgreSQL at `pgAt`, the lab's Redis and the uploads bucket. */
    counts(pgAt: PgTarget): Promise<Counts>;
}

export interface ErasureDrillParts {
    readonly workDir: string;
    readonly run: DrillRun<ErasureSizes>;
    readonly lab: ErasureLab;
    readonly ledger: LedgerLab;
    readonly hmacKey: Buffer;
}

export function erasureDrill({ workDir, run, lab, ledger, hmacKey }: ErasureDrillParts): ErasureDrill {
    const stacks = drillStacks(path.join(workDir, "stacks"));
    const env = { FORTRESS_STACKS_DIR: stacks.dir, FORTRESS_STATE_DIR: path.join(workDir, "state") };
    const procedures = proceduresOf(stacks.config, ledger.uploadsBucket)!;
    const admin = ledger.client("admin");
    const hmac = (id: string) => createHmac("sha256", hmacKey).update(id).digest("hex");
    return {
        workDir,
        users: run.sizes.users,
        lab,
        ledger,
        admin,
        hmacKey,
        stacks,
        procedures,
        live: labErasurePrimitives({ postgres: { ...lab.pg, database: "postgres" }, redis: { host: "127.0.0.1", port: lab.redisPort }, s3: admin }),
        fig: run.fig,
        check: run.check,
        hmac,
        entryFor: (id, requestId = "probe") => ({ v: 1, requestId, time: new Date().toISOString(), subject: { kind: "hmac-sha256", value: hmac(id) }, dataClasses: ["database", "redis", "uploads"] }),
        fortress: (args) => fortress(args, env),
        async counts(pgAt) {
            const [r] = await query<{ u: string; o: string }>(pgAt, "select (select count(*) from app_users) as u, (select count(*) from app_orders) as o");
            const keys = Number(await (await lab.redis()).command("DBSIZE"));
            const objects = (await labErasurePrimitives({ s3: admin }).listObjects(ledger.uploadsBucket, "")).length;
            return { rows: Number(r.u) + Number(r.o), keys, objects };
        },
    };
}
