import * as assert from "assert";
import { makeEntry } from "../../../cli/erasure/ledger-format";
import { ErasurePrimitives, ErasureProcedures, keysOf, patternMatcher, replay } from "../../../cli/erasure/replay";

const KEY = Buffer.from("k".repeat(32));

/**
 * An in-memory target: a table of (subject, hmac) rows, a Redis keyspace and a bucket. The real
 * primitives run against real servers in drills/erasure; this tests the replay's own logic.
 */
function memoryTarget(subjects: string[]) {
    const rows = subjects.flatMap((s) => [{ s }, { s }]);
    const redis = new Set(subjects.flatMap((s) => [`session:${s}:a`, `session:${s}:b`, `cart:${s}`]));
    redis.add("session:u-10:a"); // u-1's prefix must not reach u-10
    const objects = new Set(subjects.flatMap((s) => [`users/${s}/avatar.png`, `users/${s}/docs/cv.pdf`]));
    objects.add("users/u-10/avatar.png");
    const { createHmac } = require("crypto") as typeof import("crypto");
    const h = (s: string) => createHmac("sha256", KEY).update(s).digest("hex");
    const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    const p: ErasurePrimitives = {
        async sql(q, [v]) {
            const match = (r: { s: string }) => r.s === v || h(r.s) === v;
            if (q.startsWith("select erase")) {
                for (let i = rows.length - 1; i >= 0; i--) if (match(rows[i])) rows.splice(i, 1);
                return [{ erase: null }];
            }
            return [{ n: rows.filter(match).length }];
        },
        async redisScan(pattern) {
            return [...redis].filter((k) => glob(pattern).test(k));
        },
        async redisDelete(keys) {
            let n = 0;
            for (const k of keys) if (redis.delete(k)) n++;
            return n;
        },
        async listObjects(_b, prefix) {
            return [...objects].filter((k) => k.startsWith(prefix));
        },
        async deleteObjects(_b, keys) {
            let n = 0;
            for (const k of keys) if (objects.delete(k)) n++;
            return n;
        },
    };
    return { p, rows, redis, objects };
}

const PROCS: ErasureProcedures = {
    database: { routine: "select erase_subject($1)", verify: "select subject_rows($1)" },
    redis: { keyPatterns: ["session:{subject}:*", "cart:{subject}"] },
    uploads: { bucket: "uploads", prefixes: ["users/{subject}/"] },
};

describe("erasure replay (cli/erasure/replay.ts)", () => {
    it("pattern matching captures the subject and never crosses into a longer id", () => {
        const m = patternMatcher("session:{subject}:*");
        assert.strictEqual(m.glob, "session:*:*");
        assert.deepStrictEqual(keysOf({ kind: "id", value: "u-1" }, "session:{subject}:*", ["session:u-1:a", "session:u-10:a", "session:u-1"], undefined), ["session:u-1:a"]);
    });

    for (const hashed of [false, true]) {
        it(`${hashed ? "hashed" : "plain"} subjects: erases exactly the subjects, verifies, and is idempotent`, async () => {
            const t = memoryTarget(["u-1", "u-2", "u-3"]);
            const hmac = hashed ? KEY : undefined;
            const entries = ["u-1", "u-2"].map((s, i) => makeEntry({ subjectId: s, requestId: `r${i}`, dataClasses: ["database", "redis", "uploads"] }, new Date(), hmac));
            const r = await replay(t.p, PROCS, entries, hmac);
            assert.ok(r.verified);
            assert.deepStrictEqual(r.entries[0].removed, { database: 2, redis: 3, uploads: 2 });
            assert.deepStrictEqual(t.rows.map((x) => x.s), ["u-3", "u-3"]);
            assert.deepStrictEqual([...t.redis].sort(), ["cart:u-3", "session:u-10:a", "session:u-3:a", "session:u-3:b"]);
            assert.deepStrictEqual([...t.objects].sort(), ["users/u-10/avatar.png", "users/u-3/avatar.png", "users/u-3/docs/cv.pdf"]);
            const again = await replay(t.p, PROCS, entries, hmac);
            assert.ok(again.verified);
            assert.deepStrictEqual(again.entries[0].removed, { database: 0, redis: 0, uploads: 0 });
        });
    }

    it("does not verify when an entry names a data class the target has no procedure for", async () => {
        const t = memoryTarget(["u-1"]);
        const e = makeEntry({ subjectId: "u-1", requestId: "r", dataClasses: ["database", "uploads"] }, new Date(), undefined);
        const r = await replay(t.p, { database: PROCS.database }, [e], undefined);
        assert.strictEqual(r.verified, false);
        assert.deepStrictEqual(r.skippedClasses, ["uploads: no erasure.uploads procedure for this target"]);
    });

    it("refuses hashed entries without the key, before touching anything", async () => {
        const t = memoryTarget(["u-1"]);
        const e = makeEntry({ subjectId: "u-1", requestId: "r", dataClasses: ["database"] }, new Date(), KEY);
        await assert.rejects(replay(t.p, PROCS, [e], undefined), /no HMAC key was given/);
        assert.strictEqual(t.rows.length, 2);
    });

    it("reports what is left when a procedure does not erase (a broken routine fails verification)", async () => {
        const t = memoryTarget(["u-1"]);
        const e = makeEntry({ subjectId: "u-1", requestId: "r", dataClasses: ["database"] }, new Date(), undefined);
        const broken = { ...t.p, sql: async (q: string, ps: readonly unknown[]) => (q.startsWith("select erase") ? [] : t.p.sql(q, ps)) };
        const r = await replay(broken, PROCS, [e], undefined);
        assert.strictEqual(r.verified, false);
        assert.deepStrictEqual(r.entries[0].remaining, { database: 2 });
    });
});
