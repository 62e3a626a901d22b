/**
 * The drill's S3: one moto server (plain HTTP, in memory) with a stunnel4 TLS front per tier,
 * so pgBackRest talks HTTPS with certificate verification on, and one tier's endpoint can be
 * taken away while the other stays up. Bucket set-up and the Object Lock probes speak S3's
 * REST API straight to moto (it does not check signatures).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Managed, ProcessGroup, freePort, poll, runScript } from "./processes";

export interface TlsEndpoint {
    readonly port: number;
    readonly server: Managed;
}

export interface S3Lab {
    readonly motoPort: number;
    readonly caFile: string;
    readonly endpoints: Readonly<Record<string, TlsEndpoint>>;
}

export interface S3Response {
    readonly status: number;
    readonly body: string;
}

/** One S3 REST call to moto (plain HTTP on loopback). */
export function s3Request(motoPort: number, method: string, pathAndQuery: string, body = "", headers: Record<string, string> = {}): Promise<S3Response> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: "127.0.0.1", port: motoPort, method, path: pathAndQuery, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (text += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
        );
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${pathAndQuery}: no answer from moto in 30 s`)));
        req.on("error", reject);
        req.end(body);
    });
}

async function s3Ok(motoPort: number, method: string, p: string, body = "", headers: Record<string, string> = {}): Promise<string> {
    const r = await s3Request(motoPort, method, p, body, headers);
    if (r.status >= 300) throw new Error(`S3 ${method} ${p} answered ${r.status}: ${r.body.slice(0, 500)}`);
    return r.body;
}

const md5 = (s: string) => createHash("md5").update(s).digest("base64");

/** A self-signed certificate for `localhost`, the name pgBackRest verifies. */
async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
    const cert = path.join(dir, "localhost.crt");
    const key = path.join(dir, "localhost.key");
    const r = await runScript(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
        process.env,
        60_000,
    );
    if (r.code !== 0) throw new Error(`openssl could not make the TLS certificate: ${r.stderr.trim()}`);
    fs.chmodSync(cert, 0o644);
    return { cert, key };
}

function tcpUp(port: number): Promise<true | undefined> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: "/" }, (res) => {
            res.resume();
            resolve(true);
        });
        req.on("error", () => resolve(undefined));
        req.setTimeout(2000, () => req.destroy());
    });
}

/** Starts moto and one TLS front per name; every process belongs to `procs` (stopped by the caller). */
export async function startS3Lab(dir: string, procs: ProcessGroup, names: readonly string[]): Promise<S3Lab> {
    fs.mkdirSync(dir, { recursive: true });
    const motoPort = await freePort();
    procs.start("moto", "moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], path.join(dir, "moto.log"));
    const { cert, key } = await makeCertificate(dir);
    await poll(`moto_server on 127.0.0.1:${motoPort}`, 60_000, () => tcpUp(motoPort));
    const endpoints: Record<string, TlsEndpoint> = {};
    for (const name of names) {
        const port = await freePort();
        const conf = path.join(dir, `stunnel-${name}.conf`);
        fs.writeFileSync(conf, `foreground = yes\npid =\n[${name}]\naccept = 127.0.0.1:${port}\nconnect = 127.0.0.1:${motoPort}\ncert = ${cert}\nkey = ${key}\n`);
        const server = procs.start(`stunnel-${name}`, "stunnel4", [conf], path.join(dir, `stunnel-${name}.log`));
        await poll(`stunnel4 (${name}) on 127.0.0.1:${port}`, 30_000, async () => {
            // Any TLS-level answer will do; openssl s_client exits 0 once the handshake completed.
            const r = await runScript("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-brief"], process.env, 5000);
            return r.code === 0 ? true : undefined;
        });
        endpoints[name] = { port, server };
    }
    return { motoPort, caFile: cert, endpoints };
}

/** A versioned bucket, as every tier bucket is (docs/architecture.md, "Storage tiers"). */
export async function createVersionedBucket(lab: S3Lab, bucket: string, region: string): Promise<void> {
    await s3Ok(lab.motoPort, "PUT", `/${bucket}`, `<CreateBucketConfiguration><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`);
    await s3Ok(lab.motoPort, "PUT", `/${bucket}?versioning`, `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`);
}

/** Tier 3: Object Lock with a default COMPLIANCE retention, which makes S3 demand an integrity header on every PUT. */
export async function createLockedBucket(lab: S3Lab, bucket: string, region: string, days: number): Promise<void> {
    await s3Ok(lab.motoPort, "PUT", `/${bucket}`, `<CreateBucketConfiguration><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`, {
        "x-amz-bucket-object-lock-enabled": "true",
    });
    const lock = `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>${days}</Days></DefaultRetention></Rule></ObjectLockConfiguration>`;
    await s3Ok(lab.motoPort, "PUT", `/${bucket}?object-lock`, lock, { "content-md5": md5(lock) });
}

export interface ObjectVersion {
    readonly key: string;
    readonly versionId: string;
    readonly isLatest: boolean;
    readonly deleteMarker: boolean;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";

/** Every version and delete marker under `prefix` (one page of up to 1000 is enough for the drill's repos). */
export async function listVersions(lab: S3Lab, bucket: string, prefix: string): Promise<ObjectVersion[]> {
    const xml = await s3Ok(lab.motoPort, "GET", `/${bucket}?versions&max-keys=1000&prefix=${encodeURIComponent(prefix)}`);
    const out: ObjectVersion[] = [];
    for (const m of xml.matchAll(/<(Version|DeleteMarker)>([\s\S]*?)<\/\1>/g)) {
        out.push({ key: tag(m[2], "Key"), versionId: tag(m[2], "VersionId"), isLatest: tag(m[2], "IsLatest") === "true", deleteMarker: m[1] === "DeleteMarker" });
    }
    return out;
}

/** Tries to destroy one object version for good, as an attacker with the writer's keys would. */
export function deleteVersion(lab: S3Lab, bucket: string, key: string, versionId: string): Promise<S3Response> {
    return s3Request(lab.motoPort, "DELETE", `/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}?versionId=${encodeURIComponent(versionId)}`);
}

/** A PUT without Content-MD5 or a checksum header: what a client that forgets the integrity header sends. */
export function putWithoutIntegrityHeader(lab: S3Lab, bucket: string, key: string): Promise<S3Response> {
    return s3Request(lab.motoPort, "PUT", `/${bucket}/${key}`, "probe");
}
