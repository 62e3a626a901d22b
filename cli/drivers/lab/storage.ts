/**
 * The lab's storage: tier-1 repos are local directories, tier 2 and 3 are S3 buckets reached
 * with AWS SDK v3 at the description's endpoint (moto in the drills). One listing interface over
 * both, so the WAL-continuity and history-file checks read the repo itself.
 */
import { GetObjectCommand, GetObjectLockConfigurationCommand, GetObjectRetentionCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import * as fs from "fs";
import * as path from "path";
import { untilDeadline } from "../types";
import type { ObjectRetention, StoragePrimitives, StoredObject, Tier, Wait } from "../types";
import { StepFailed } from "../../errors";
import type { LabDescription } from "./description";

export function labS3Client(desc: LabDescription): S3Client | undefined {
    if (!desc.s3) return undefined;
    return new S3Client({
        endpoint: desc.s3.endpoint,
        region: desc.s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: desc.s3.accessKeyId, secretAccessKey: desc.s3.secretAccessKey },
    });
}


export class LabStorage implements StoragePrimitives {
    constructor(
        private readonly desc: LabDescription,
        private readonly s3: S3Client | undefined,
    ) {}

    /** Files of a tier's repo under `sub` (e.g. "archive/db"), keys relative to the repo root. */
    async listRepo(tier: Tier, sub: string, wait: Wait): Promise<StoredObject[]> {
        const repo = this.desc.repos[tier];
        if (!repo) throw new StepFailed(`the lab has no repo for ${tier}`);
        if (!repo.bucket) {
            const root = repo.path;
            const out: StoredObject[] = [];
            const walk = (dir: string) => {
                let entries: fs.Dirent[];
                try {
                    entries = fs.readdirSync(dir, { withFileTypes: true });
                } catch {
                    return;
                }
                for (const e of entries) {
                    const p = path.join(dir, e.name);
                    if (e.isDirectory()) walk(p);
                    else if (e.isFile()) {
                        const st = fs.statSync(p);
                        out.push({ tier, bucket: "", key: path.relative(root, p), sizeBytes: st.size, lastModified: st.mtime });
                    }
                }
            };
            walk(path.join(root, sub));
            return out;
        }
        const prefix = `${repo.path.replace(/^\/+/, "")}/${sub}`.replace(/\/+$/, "") + "/";
        const objs = await this.listBucket(tier, repo.bucket, prefix, wait);
        return objs.map((o) => ({ ...o, key: o.key.slice(repo.path.replace(/^\/+/, "").length + 1) }));
    }

    private async listBucket(tier: Tier, bucket: string, prefix: string, wait: Wait): Promise<StoredObject[]> {
        if (!this.s3) throw new StepFailed("the lab description has no s3 endpoint");
        const out: StoredObject[] = [];
        let token: string | undefined;
        do {
            const r = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), untilDeadline(wait));
            for (const c of r.Contents ?? []) out.push({ tier, bucket, key: c.Key!, sizeBytes: c.Size ?? 0, lastModified: c.LastModified ?? new Date(0) });
            token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
        return out;
    }

    async listObjects(tier: Tier, prefix: string, wait: Wait): Promise<readonly StoredObject[]> {
        const bucket = this.desc.s3?.buckets[tier];
        if (!bucket) return this.listRepo(tier, prefix, wait);
        return this.listBucket(tier, bucket, prefix, wait);
    }

    async objectRetention(object: StoredObject, wait: Wait): Promise<ObjectRetention> {
        if (!this.s3 || !object.bucket) return {};
        const r = await this.s3.send(new GetObjectRetentionCommand({ Bucket: object.bucket, Key: object.key, VersionId: object.versionId }), untilDeadline(wait));
        return { mode: r.Retention?.Mode as ObjectRetention["mode"], retainUntil: r.Retention?.RetainUntilDate };
    }

    async bucketRetention(tier: Tier, wait: Wait): Promise<{ mode?: string; days?: number }> {
        const bucket = this.desc.s3?.buckets[tier];
        if (!this.s3 || !bucket) return {};
        try {
            const r = await this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }), untilDeadline(wait));
            const d = r.ObjectLockConfiguration?.Rule?.DefaultRetention;
            return { mode: d?.Mode, days: d?.Days ?? (d?.Years ? d.Years * 365 : undefined) };
        } catch (e) {
            if ((e as { name?: string }).name === "ObjectLockConfigurationNotFoundError") return {};
            throw e;
        }
    }

    async getObject(object: StoredObject, wait: Wait): Promise<Buffer> {
        if (!object.bucket) {
            const repo = this.desc.repos[object.tier];
            return fs.readFileSync(path.join(repo!.path, object.key));
        }
        const r = await this.s3!.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }), untilDeadline(wait));
        return Buffer.from(await r.Body!.transformToByteArray());
    }
}
