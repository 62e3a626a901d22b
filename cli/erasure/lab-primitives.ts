/**
 * The erasure primitives on hosts (the lab driver's side): PostgreSQL through `pg`, Redis
 * through `redis-cli` (SCAN with a pattern, DEL in batches), uploads through the S3 API.
 */
import { spawn } from "child_process";
import { DeleteObjectsCommand, ListObjectsV2Command, ListObjectsV2CommandOutput, S3Client } from "@aws-sdk/client-s3";
import { Client } from "pg";
import type { ErasurePrimitives } from "./replay";

export interface LabErasureTargets {
    readonly postgres?: { readonly host: string; readonly port: number; readonly user: string; readonly database: string; readonly password?: string };
    readonly redis?: { readonly host: string; readonly port: number; readonly password?: string };
    readonly s3?: S3Client;
}

function redisCli(t: NonNullable<LabErasureTargets["redis"]>, args: readonly string[], timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
        const env = { ...process.env, ...(t.password ? { REDISCLI_AUTH: t.password } : {}) };
        const child = spawn("redis-cli", ["-h", t.host, "-p", String(t.port), "--no-raw", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`redis-cli could not start (${e.message}); install redis-tools`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            if (code !== 0 || /^\(error\)/m.test(out)) reject(new Error(`redis-cli ${args.join(" ")} on ${t.host}:${t.port} failed (exit ${code}): ${(err + out).trim().slice(0, 500)}`));
            else resolve(out);
        });
    });
}

/** `--no-raw` quotes every key, so keys with spaces or newlines survive the round trip. */
function unquote(line: string): string {
    const m = /^(?:\d+\) )?"(.*)"$/.exec(line.trim());
    return m ? JSON.parse(`"${m[1]}"`) : line.trim();
}

export function labErasurePrimitives(t: LabErasureTargets): ErasurePrimitives {
    const need = <T>(v: T | undefined, what: string): T => {
        if (v === undefined) throw new Error(`the erasure replay needs ${what} but the lab driver was given none`);
        return v;
    };
    return {
        async sql(query, params) {
            const c = new Client({ ...need(t.postgres, "a PostgreSQL target"), connectionTimeoutMillis: 10_000 });
            await c.connect();
            try {
                return (await c.query(query, [...params])).rows as Record<string, unknown>[];
            } finally {
                await c.end();
            }
        },
        async redisScan(pattern) {
            const out = await redisCli(need(t.redis, "a Redis target"), ["--scan", "--pattern", pattern]);
            return [...new Set(out.split("\n").filter((l) => l.trim() !== "").map(unquote))];
        },
        async redisDelete(keys) {
            let n = 0;
            for (let i = 0; i < keys.length; i += 500) {
                const out = await redisCli(need(t.redis, "a Redis target"), ["DEL", ...keys.slice(i, i + 500)]);
                n += Number(/\d+/.exec(out)?.[0] ?? 0);
            }
            return n;
        },
        async listObjects(bucket, prefix) {
            const s3 = need(t.s3, "an S3 client");
            const keys: string[] = [];
            let token: string | undefined;
            for (let page = 0; page < 100_000; page++) {
                const out: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
                for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
                if (!out.IsTruncated) break;
                token = out.NextContinuationToken;
            }
            return keys;
        },
        async deleteObjects(bucket, keys) {
            const s3 = need(t.s3, "an S3 client");
            let n = 0;
            for (let i = 0; i < keys.length; i += 1000) {
                const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: false } }));
                if ((out.Errors ?? []).length > 0) throw new Error(`deleting uploads in s3://${bucket}: ${out.Errors!.map((e) => `${e.Key}: ${e.Code}`).join(", ")}`);
                n += (out.Deleted ?? []).length;
            }
            return n;
        },
    };
}
