/**
 * What a driver gives the erasure replay: the ledger copies to read, the HMAC key (when the
 * stack hashes subjects), and the primitives that erase in a target (the restored database,
 * Redis, the uploads bucket). `Driver.erasure` (cli/drivers/types.ts) is one of these; the lab
 * builds it from the lab description (cli/erasure/lab.ts), the platform from the stack's
 * outputs and the cluster.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { ErasurePrimitives } from "./replay";

export interface LedgerSource {
    /** "primary" / "dr": which copy. */
    readonly name: string;
    readonly s3: S3Client;
    readonly bucket: string;
    /** @default "erasure-ledger/" */
    readonly prefix?: string;
}

export interface ErasureDriver {
    /** Every copy of the ledger, primary first; a replay reads each one it can reach and needs at least one. */
    ledgers(): readonly LedgerSource[];
    /** The HMAC key of `erasure.hmacKeySecret`; undefined when the driver has none. */
    hmacKey(): Promise<Buffer | undefined>;
    /** The uploads bucket the `erasure.uploads` prefixes live in. */
    readonly uploadsBucket?: string;
    /**
     * Primitives erasing in the restored service: `database` is the restored copy's endpoint
     * ("host:port", RestoredState.endpoint); absent: the stack's own database.
     */
    primitives(database?: string): ErasurePrimitives;
}
