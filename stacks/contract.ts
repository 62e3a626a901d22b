/**
 * The contract between a primary stack and its DR stack: what `primary()` exports
 * (`PrimaryExports`) and the one place the DR side reads it (`readPrimaryExports`). A DR step
 * that needs a value of the primary takes it from `PrimaryExportsOnDr`, typed from the same
 * interface, so the two sides cannot drift apart and no step re-declares or casts what it reads.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Environment, FortressConfig, StackRegions, TierId } from "../config";
import type { DatabaseOutputs } from "./steps/database";
import type { DetectionOutputs } from "./steps/detection";
import type { LogsOutputs } from "./steps/logs";
import type { TierOutputs } from "./steps/storage";
import type { UploadsOutputs } from "./steps/uploads";

/** The primary stack's outputs (values may be Outputs; the DR side sees them resolved). */
export interface PrimaryExports {
    /** Checked by the DR stack: a prod DR stack must never restore staging's backups. */
    readonly environment: Environment;
    readonly regions: StackRegions;
    /** Each tier's bucket, KMS key and writer/reader roles. */
    readonly tiers: Readonly<Record<TierId, TierOutputs>>;
    readonly gcsTier3Bucket: pulumi.Output<string>;
    /** Where the DR stack's alarms go: the primary's alert topic in the monitoring region. */
    readonly monitoring: { readonly region: string; readonly alarmNamePrefix: string; readonly alertTopicArn: pulumi.Output<string>; /** The DR dashboard (stacks/steps/slo.ts). */ readonly dashboardName: string };
    readonly endpoints: DetectionOutputs["endpoints"];
    /** The DR region opens the encrypted Redis, sealing-key and Vault backups with these (secrets). */
    readonly backupPassphrases: Readonly<Record<"redis" | "sealedSecrets" | "vault", pulumi.Output<string>>>;
    /** Vault's auto-unseal key, its replicas and the seal stanza; absent without `platform.vault.enabled`. */
    readonly vault?: { readonly unsealKeyArn: pulumi.Output<string>; readonly unsealReplicaArns: Record<string, pulumi.Output<string>>; readonly sealStanza: pulumi.Output<string> };
    readonly uploads: UploadsOutputs;
    readonly logArchive: LogsOutputs;
    /** The DR standby opens repo2/repo3 with the cipher passphrases and streams with the shared certificates (secrets). */
    readonly postgres: Pick<DatabaseOutputs, "cipherPassphrases" | "replicationTls">;
    /** Where the erasure ledger is and who may read it; absent when the primary declares none (no erasure section). */
    readonly erasureLedger?: { readonly bucketName: pulumi.Output<string>; readonly replicaBucketName: pulumi.Output<string>; readonly readerRoleArn: pulumi.Output<string> };
    /**
     * Read by the CLI's platform driver (FORTRESS_STACK_OUTPUTS), not by the DR stack: the
     * read-only repo2/repo3 role a scratch restore cluster's service accounts are annotated with
     * (PgBackRestAccess.scratchReaderRoleArn). The DR stack exports its own (its own OIDC issuer).
     */
    readonly scratchRestore: ScratchRestoreExport;
    /**
     * The primary's writers into buckets OUTSIDE its region (tier 2, tier 3): pgBackRest's writer
     * role, the tier-2/tier-3 backup-job writer roles, the tier-1 replication role. The DR stack
     * re-exports them with those buckets as `failoverFence`, which `fortress failover` denies
     * them in the bucket policies (cli/drivers/platform/fence.ts). Absent from a primary deployed
     * before it: the DR stack then exports no failoverFence and failover refuses, naming it.
     */
    readonly failoverFence: { readonly principals: readonly pulumi.Output<string>[] };
}

/** The `scratchRestore` output of a primary and of a DR stack (cli/drivers/platform reads it). */
export interface ScratchRestoreExport {
    readonly readerRoleArn: pulumi.Output<string>;
}

/** A primary export as the DR stack receives it: one Output of the plain value (undefined for an optional export the primary does not have). */
export type OnDr<K extends keyof PrimaryExports> = pulumi.Output<pulumi.Unwrap<PrimaryExports[K]>>;

/** The primary's exports as the DR stack sees them through its StackReference. */
export type PrimaryExportsOnDr = { readonly [K in keyof PrimaryExports]-?: OnDr<K> };

/** The PostgreSQL part of the contract, resolved: what the DR cluster's secrets are made of. */
export type PrimaryPostgres = pulumi.Unwrap<PrimaryExports["postgres"]>;

/** Exports holding secrets: kept secret end to end on the DR side. */
const SECRET_EXPORTS: ReadonlySet<keyof PrimaryExports> = new Set<keyof PrimaryExports>(["backupPassphrases"]);

/** Every export's name; the compiler checks the list against PrimaryExports. */
const EXPORT_KEYS: Readonly<Record<keyof PrimaryExports, true>> = {
    environment: true,
    regions: true,
    tiers: true,
    gcsTier3Bucket: true,
    monitoring: true,
    endpoints: true,
    backupPassphrases: true,
    vault: true,
    uploads: true,
    logArchive: true,
    postgres: true,
    erasureLedger: true,
    scratchRestore: true,
    failoverFence: true,
};

/** Exports a primary may lack (a disabled feature): read without requiring them. */
const OPTIONAL_EXPORTS: ReadonlySet<keyof PrimaryExports> = new Set<keyof PrimaryExports>(["vault", "erasureLedger", "scratchRestore", "failoverFence"]);

/**
 * The one reader of the primary's exports. Each export is read when a step first asks for it
 * (an export this mode does not use is never required), and its type comes from
 * PrimaryExports — the only cast of a StackReference output in the project.
 */
export function readPrimaryExports(ref: pulumi.StackReference): PrimaryExportsOnDr {
    const cache = new Map<keyof PrimaryExports, pulumi.Output<unknown>>();
    const read = <K extends keyof PrimaryExports>(key: K): OnDr<K> => {
        if (!cache.has(key)) {
            const out = OPTIONAL_EXPORTS.has(key) ? ref.getOutput(key) : ref.requireOutput(key);
            // Secret end to end: each consumer reads one passphrase from it into a Kubernetes Secret.
            cache.set(key, SECRET_EXPORTS.has(key) ? pulumi.secret(out) : out);
        }
        return cache.get(key) as OnDr<K>;
    };
    const exports = {} as Record<keyof PrimaryExports, unknown>;
    for (const key of Object.keys(EXPORT_KEYS) as (keyof PrimaryExports)[]) Object.defineProperty(exports, key, { enumerable: true, get: () => read(key) });
    return exports as PrimaryExportsOnDr;
}

/**
 * The DR side's one entry to the primary stack: the StackReference named by dr.primaryStack,
 * checked to be this environment's primary (a prod DR stack reading staging would restore the
 * wrong backups) before anything is declared, and its exports typed by PrimaryExports.
 */
export async function readPrimaryStack(config: FortressConfig): Promise<{ readonly environment: Environment; readonly exports: PrimaryExportsOnDr }> {
    const primaryStack = config.dr!.primaryStack;
    const ref = new pulumi.StackReference(primaryStack);
    const environment = (await ref.getOutputDetails("environment")).value;
    if (environment !== config.environment) {
        throw new Error(
            `dr.primaryStack: "${primaryStack}" is ${environment === undefined ? "a stack without an environment output (not a Fortress primary)" : `a ${environment} stack`} but this stack's environment is ${config.environment}; point dr.primaryStack at the ${config.environment} primary`,
        );
    }
    return { environment, exports: readPrimaryExports(ref) };
}
