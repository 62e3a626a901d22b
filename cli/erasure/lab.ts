/**
 * The lab's erasure driver, built from the lab description's `erasure` block (the drill writes
 * it): the ledger copies on the lab's S3 endpoint (moto), read with the reader's own keys; the
 * uploads bucket; the HMAC key file; PostgreSQL and Redis from the description.
 */
import * as fs from "fs";
import { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import type { LabDescription } from "../drivers/lab/description";
import { UsageError } from "../errors";
import type { ErasureDriver } from "./driver";
import { labErasurePrimitives } from "./lab-primitives";

const keys = { accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) };

export const labErasureSchema = z.strictObject({
    /** Every copy of the ledger (primary first), read with the reader's keys. */
    ledgers: z.array(z.strictObject({ name: z.string().min(1), bucket: z.string().min(1), prefix: z.string().optional() })).min(1),
    reader: z.strictObject(keys),
    uploads: z.strictObject({ bucket: z.string().min(1), ...keys }).optional(),
    /** File holding the HMAC key (raw bytes) when the stack hashes subjects. */
    hmacKeyFile: z.string().startsWith("/").optional(),
    /** Password of the Redis server, when it requires one. */
    redisPassword: z.string().optional(),
});
export type LabErasure = z.infer<typeof labErasureSchema>;

export function s3For(endpoint: string, region: string, k: { accessKeyId: string; secretAccessKey: string }): S3Client {
    const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: k, maxAttempts: 2 });
    (client.middlewareStack.add as (m: unknown, o: { step: string; name: string }) => void)(listPrefixWithoutSlash, { step: "initialize", name: "labListPrefixWithoutSlash" });
    return client;
}

type Listing = { Contents?: { Key?: string }[]; Versions?: { Key?: string }[]; DeleteMarkers?: { Key?: string }[] };

/**
 * moto 5.2 recomputes a SigV4 signature from the decoded query string, so a list request whose
 * `prefix` holds a "/" (sent as %2F, as SigV4 requires) fails with SignatureDoesNotMatch once
 * IAM is enforced. On the lab endpoint only, such a listing asks for the part before the first
 * "/" and keeps the keys under the prefix the caller asked for.
 */
const listPrefixWithoutSlash = ((next: (a: { input: unknown }) => Promise<{ output: unknown }>, context: { commandName?: string }) => async (args: { input: unknown }) => {
    const input = args.input as { Prefix?: string };
    const listing = context.commandName === "ListObjectVersionsCommand" || context.commandName === "ListObjectsV2Command";
    if (!listing || !input.Prefix?.includes("/")) return next(args);
    const want = input.Prefix;
    const res = await next({ ...args, input: { ...input, Prefix: want.split("/")[0] } });
    const out = res.output as Listing;
    const keep = <T extends { Key?: string }>(xs: T[] | undefined) => xs?.filter((x) => x.Key?.startsWith(want));
    Object.assign(out, { Contents: keep(out.Contents), Versions: keep(out.Versions), DeleteMarkers: keep(out.DeleteMarkers) });
    return res;
});

/** The lab's erasure driver, or undefined when the description has no erasure block. */
export function labErasureDriver(desc: LabDescription): ErasureDriver | undefined {
    const raw = (desc as { erasure?: unknown }).erasure;
    if (raw === undefined) return undefined;
    const parsed = labErasureSchema.safeParse(raw);
    if (!parsed.success) throw new UsageError(`lab description: erasure.${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message}`);
    const e = parsed.data;
    if (!desc.s3) throw new UsageError(`lab description: erasure needs the s3 section (the endpoint the ledger is on)`);
    const s3 = desc.s3;
    const reader = s3For(s3.endpoint, s3.region, e.reader);
    const uploads = e.uploads ? s3For(s3.endpoint, s3.region, e.uploads) : undefined;
    return {
        ledgers: () => e.ledgers.map((l) => ({ name: l.name, bucket: l.bucket, prefix: l.prefix, s3: reader })),
        async hmacKey() {
            return e.hmacKeyFile ? fs.readFileSync(e.hmacKeyFile) : undefined;
        },
        uploadsBucket: e.uploads?.bucket,
        primitives(database) {
            const m = database ? /^(.+):(\d+)$/.exec(database) : null;
            if (database && !m) throw new UsageError(`erasure target database "${database}": expected host:port`);
            const at = m ? { host: m[1], port: Number(m[2]) } : { host: desc.postgres.host, port: desc.postgres.port };
            return labErasurePrimitives({
                postgres: { ...at, user: desc.postgres.user, database: "postgres" },
                redis: desc.redis ? { host: desc.redis.host, port: desc.redis.masterPort, password: e.redisPassword } : undefined,
                s3: uploads,
            });
        },
    };
}
