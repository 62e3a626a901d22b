/**
 * The recovery drill's snapshot restores: the cache and the configuration and secrets bundles
 * into scratch (compared with their sources), a wrong encryption key, a corrupted Redis
 * snapshot, and the cache restored in place (refused unfenced, done fenced).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { RespClient } from "../redis/resp";
import type { CacheSnapshot } from "./backup-steps";
import { drillKeyValue } from "./backup-steps";
import { RecoveryDrill, jsonOf, sameMaps, stderrLines, tenths, treeHashes } from "./context";

/** Every drill key read from the master and from the scratch server at `endpoint`, a thousand at a time. */
async function compareWithMaster(drill: RecoveryDrill, master: RespClient, endpoint: string): Promise<{ same: boolean; detail: string }> {
    const { redisKeys } = drill.sizes;
    const scratch = await RespClient.connect(Number(endpoint.split(":")[1]));
    const n = Number(await scratch.command("DBSIZE"));
    let wrong = 0;
    for (let i = 1; i <= redisKeys; i += 1000) {
        const names = Array.from({ length: Math.min(1000, redisKeys - i + 1) }, (_, j) => `drill:key:${i + j}`);
        const [a, b] = [(await master.command("MGET", ...names)) as string[], (await scratch.command("MGET", ...names)) as string[]];
        wrong += a.filter((v, j) => v !== b[j]).length;
    }
    scratch.close();
    return { same: n === redisKeys && wrong === 0, detail: `scratch ${endpoint}: ${n} keys, ${wrong} value(s) differ from the master (${redisKeys} keys)` };
}

/** `fortress restore --class cache` into a scratch redis-server: validated, identical to the master key by key. */
export async function checkCacheRestoreIntoScratch(drill: RecoveryDrill, master: RespClient): Promise<void> {
    const { redisKeys } = drill.sizes;
    const cacheRestore = await drill.fortress(["restore", ...drill.common, "--reason", "recovery drill", "--class", "cache", "--from", "tier1", "--into", "cache-check", "--probe", `last=EXISTS drill:key:${redisKeys}>=1`, "--yes", "--output", "json"]);
    const cacheRestoreDoc = jsonOf(cacheRestore);
    drill.fig("recovery.cache.restore.seconds", "fortress restore --class cache from tier 1 into a scratch redis-server, until validated (key count, probes)", tenths(cacheRestore.seconds), "s");
    const cacheEp = cacheRestoreDoc.result?.restored?.endpoint as string | undefined;
    const { same, detail } = cacheRestore.code === 0 && cacheEp ? await compareWithMaster(drill, master, cacheEp) : { same: false, detail: "no endpoint" };
    drill.fig("recovery.cache.restore.identical", "cache restored into scratch: every key and value as in the master at the snapshot (1 = identical)", same ? 1 : 0, "");
    drill.check(
        "fortress restore --class cache lands in a scratch redis-server, validated, identical to the master key by key",
        same && cacheRestoreDoc.outcome === "done",
        `exit ${cacheRestore.code}; ${detail}; probes ${JSON.stringify((cacheRestoreDoc.result?.probes ?? []).map((p: { name: string; ok: boolean }) => `${p.name}:${p.ok}`))}; ${stderrLines(cacheRestore).slice(-1).join("")}`,
    );
}

/** `fortress restore --class configuration` and `--class secrets` from tier 2 into scratch directories: every file identical to the source. */
export async function checkBundleRestoresIntoScratch(drill: RecoveryDrill): Promise<void> {
    for (const dc of ["configuration", "secrets"] as const) {
        const r = await drill.fortress(["restore", ...drill.common, "--reason", "recovery drill", "--class", dc, "--from", "tier2", "--into", `${dc}-check`, "--yes", "--output", "json"]);
        const doc = jsonOf(r);
        drill.fig(`recovery.${dc}.restore.seconds`, `fortress restore --class ${dc} from tier 2 into a scratch directory, until validated (decrypted, every file against the bundle's index)`, tenths(r.seconds), "s");
        const ep = doc.result?.restored?.endpoint as string | undefined;
        const source = drill.desc[dc]!.dir;
        const diff = ep ? sameMaps(treeHashes(source), treeHashes(ep)) : ["no endpoint"];
        drill.fig(`recovery.${dc}.restore.identical`, `${dc} restored into scratch: every file byte-identical to the source directory (1 = identical)`, r.code === 0 && diff.length === 0 ? 1 : 0, "");
        drill.check(
            `fortress restore --class ${dc} decrypts into a scratch directory, validated, every file identical to the source`,
            r.code === 0 && doc.outcome === "done" && diff.length === 0,
            `exit ${r.code}; ${ep ?? "-"}: ${treeHashes(source).size} source files, ${diff.length} differ${diff.length ? `: ${diff.slice(0, 3).join(", ")}` : ""}; ${stderrLines(r).slice(-1).join("")}`,
        );
    }
}

/** A wrong encryption key: restore --class secrets exits 4 with one line naming decryption, nothing created. */
export async function checkWrongEncryptionKey(drill: RecoveryDrill): Promise<void> {
    const wrongKey = path.join(drill.options.workDir, "wrong.key");
    fs.writeFileSync(wrongKey, randomBytes(32).toString("hex"), { mode: 0o600 });
    const wrongLab = drill.lab.writeVariant("wrong-key", (d) => ({ ...d, snapshots: { ...d.snapshots!, keyFile: wrongKey } }));
    const wrong = await drill.fortress(["restore", "--stack", "dev", "--lab", wrongLab, "--reason", "recovery drill", "--class", "secrets", "--from", "tier2", "--into", "wrong-key", "--yes"]);
    const wrongLines = stderrLines(wrong);
    const wrongRefused = wrong.code === 4 && wrongLines.length === 1 && /decrypt/i.test(wrongLines[0]) && !fs.existsSync(path.join(drill.desc.workDir, "restores", "wrong-key.secrets"));
    drill.fig("recovery.secrets.wrong_key_refused", "restore --class secrets with the wrong encryption key: exit 4, one line, nothing created (1 = so)", wrongRefused ? 1 : 0, "");
    drill.check("a wrong encryption key makes restore exit 4 with one line naming decryption, before anything is created", wrongRefused, `exit ${wrong.code}; stderr: ${wrongLines.join(" / ").slice(0, 400)}`);
}

/** Flips 16 bytes in the middle of tier 1's cache snapshot, runs validate and restore, puts the good object back. */
async function corruptCacheSnapshot(drill: RecoveryDrill, cacheSnap: CacheSnapshot, objectKey: string): Promise<{ named: boolean; detail: string }> {
    const { s3, common } = drill;
    const bucket1 = drill.lab.snapshotBuckets.tier1;
    const good = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket1, Key: objectKey }))).Body!.transformToByteArray());
    const bad = Buffer.from(good);
    for (let i = 0; i < 16; i++) bad[Math.floor(bad.length / 2) + i] ^= 0xff;
    await s3.send(new PutObjectCommand({ Bucket: bucket1, Key: objectKey, Body: bad }));
    const v = await drill.fortress(["validate", ...common, "--tier", "tier1"]);
    const r = await drill.fortress(["restore", ...common, "--reason", "recovery drill", "--class", "cache", "--from", "tier1", "--snapshot", cacheSnap.id, "--into", "corrupt-cache", "--yes"]);
    await s3.send(new PutObjectCommand({ Bucket: bucket1, Key: objectKey, Body: good }));
    const named = `s3://${bucket1}/${objectKey}`;
    return {
        named: v.code === 1 && v.stderr.includes(named) && r.code === 4 && stderrLines(r).length === 1 && r.stderr.includes(named) && !fs.existsSync(path.join(drill.desc.workDir, "restores", "corrupt-cache.cache")),
        detail: `flipped 16 bytes of ${named}; validate exit ${v.code}: ${stderrLines(v).join(" / ").slice(0, 300)}; restore exit ${r.code}: ${stderrLines(r).join(" / ").slice(0, 300)}`,
    };
}

/** A corrupted Redis snapshot: validate exits 1 and restore exits 4 (nothing created), each naming the object. */
export async function checkCorruptedCacheSnapshot(drill: RecoveryDrill, cacheSnap: CacheSnapshot | undefined): Promise<void> {
    const objectKey = (cacheSnap?.object ?? "").replace(`s3://${drill.lab.snapshotBuckets.tier1}/`, "");
    const { named, detail } = cacheSnap && objectKey ? await corruptCacheSnapshot(drill, cacheSnap, objectKey) : { named: false, detail: "no tier-1 cache snapshot to corrupt" };
    drill.fig("recovery.cache.validate.corruption_detected", "a corrupted Redis snapshot: validate exits 1 and restore exits 4, each naming the object (1 = both)", named ? 1 : 0, "");
    drill.check("a corrupted Redis snapshot makes validate exit 1 and restore exit 4 (nothing created), each naming the object", named, detail);
}

/** Cache --in-place: refused while the master runs; after FLUSHALL and a stop (the fence), restored, and the master restarts with every key. Closes `master`. */
export async function checkCacheInPlace(drill: RecoveryDrill, master: RespClient): Promise<void> {
    const { redisKeys } = drill.sizes;
    const inPlaceArgs = ["restore", ...drill.common, "--reason", "recovery drill", "--class", "cache", "--from", "tier1", "--in-place", "--into", "in-place", "--yes"];
    const unfenced = await drill.fortress(inPlaceArgs);
    await master.command("FLUSHALL");
    master.close();
    await drill.lab.stopRedisMaster(); // the fence: nothing serves or writes the data directory
    const fencedRestore = await drill.fortress(inPlaceArgs);
    await drill.lab.startRedisMaster();
    const again = await RespClient.connect(drill.desc.redis!.masterPort);
    const back = Number(await again.command("DBSIZE"));
    const last = await again.command("GET", `drill:key:${redisKeys}`);
    again.close();
    const inPlaceOk = unfenced.code === 3 && stderrLines(unfenced).length === 1 && fencedRestore.code === 0 && back === redisKeys && last === drillKeyValue(redisKeys);
    drill.fig("recovery.cache.restore.in_place_identical", "cache --in-place: refused (exit 3) while the master runs; after FLUSHALL and a stop, restored and the master restarts with every key (1 = so)", inPlaceOk ? 1 : 0, "");
    drill.check(
        "restore --class cache --in-place is refused while the master runs, and with it stopped brings back every key",
        inPlaceOk,
        `unfenced: exit ${unfenced.code} "${stderrLines(unfenced).join(" / ").slice(0, 200)}"; fenced: exit ${fencedRestore.code} ${stderrLines(fencedRestore).slice(-1).join("")}; master restarted with ${back} keys of ${redisKeys}`,
    );
}
