import * as assert from "assert";
import fc from "fast-check";
import { LedgerFormatError, entryKey, makeEntry, parseEntry, refMatches, selectEntries, serializeEntry, subjectHmac } from "../../../cli/erasure/ledger-format";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const T = new Date("2026-12-03T06:00:00.123Z");

describe("erasure ledger format (cli/erasure/ledger-format.ts)", () => {
    it("an entry holds the id, the time, the request id and the data classes, nothing else", () => {
        const e = makeEntry({ subjectId: "u-42", requestId: "req-1", dataClasses: ["redis", "database", "redis"] }, T, undefined);
        assert.deepStrictEqual(JSON.parse(serializeEntry(e)), { v: 1, requestId: "req-1", time: "2026-12-03T06:00:00.123Z", subject: { kind: "id", value: "u-42" }, dataClasses: ["database", "redis"] });
    });

    it("with an HMAC key the id never appears, only HMAC-SHA256(key, id)", () => {
        const e = makeEntry({ subjectId: "u-42", requestId: "req-1", dataClasses: ["database"] }, T, KEY);
        assert.strictEqual(e.subject.kind, "hmac-sha256");
        assert.strictEqual(e.subject.value, subjectHmac(KEY, "u-42"));
        assert.ok(!serializeEntry(e).includes("u-42"));
        assert.ok(refMatches(e.subject, "u-42", KEY));
        assert.ok(!refMatches(e.subject, "u-43", KEY));
        assert.throws(() => refMatches(e.subject, "u-42", undefined), /no HMAC key was given/);
    });

    it("refuses an e-mail address as a subject id, naming the field", () =>
        assert.throws(() => makeEntry({ subjectId: "jane@example.com", requestId: "r", dataClasses: ["database"] }, T, undefined), (e: Error) => e instanceof LedgerFormatError && /subjectId .*never an e-mail/.test(e.message)));

    it("refuses an unknown data class and an empty list", () => {
        assert.throws(() => makeEntry({ subjectId: "u", requestId: "r", dataClasses: ["logs" as never] }, T, undefined), /dataClasses: "logs" is not a data class; use database, redis, uploads/);
        assert.throws(() => makeEntry({ subjectId: "u", requestId: "r", dataClasses: [] }, T, undefined), /at least one of/);
    });

    it("keys sort in time order and are unique per request", () => {
        const a = entryKey({ time: "2026-12-03T06:00:00.123Z", requestId: "b" });
        assert.strictEqual(a, "erasure-ledger/2026/12/20261203T060000123Z-b.json");
        fc.assert(
            fc.property(fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }), fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }), (d1, d2) => {
                const k1 = entryKey({ time: d1.toISOString(), requestId: "r" });
                const k2 = entryKey({ time: d2.toISOString(), requestId: "r" });
                return Math.sign(k1.localeCompare(k2)) === Math.sign(d1.toISOString().localeCompare(d2.toISOString()));
            }),
        );
    });

    it("round-trips through parseEntry, and parseEntry names the object and the field of a bad entry", () => {
        const e = makeEntry({ subjectId: "u-1", requestId: "r-1", dataClasses: ["uploads"] }, T, KEY);
        assert.deepStrictEqual(parseEntry(serializeEntry(e), "x"), e);
        assert.throws(() => parseEntry("{", "s3://b/k version v"), /s3:\/\/b\/k version v: not JSON/);
        assert.throws(() => parseEntry(JSON.stringify({ ...e, email: "jane@example.com" }), "k"), /unknown field\(s\) email/);
        assert.throws(() => parseEntry(JSON.stringify({ ...e, v: 2 }), "k"), /format version 2/);
        assert.throws(() => parseEntry(JSON.stringify({ ...e, subject: { kind: "hmac-sha256", value: "abc" } }), "k"), /64 lowercase hex/);
        assert.throws(() => parseEntry(JSON.stringify({ ...e, time: "yesterday" }), "k"), /ISO 8601 UTC/);
    });

    it("selects entries newer than the restored point less the margin; all without a restored point", () => {
        const mk = (iso: string, id: string) => makeEntry({ subjectId: "u", requestId: id, dataClasses: ["database"] }, new Date(iso), undefined);
        const es = [mk("2026-12-03T05:00:00Z", "c"), mk("2026-12-01T00:00:00Z", "a"), mk("2026-12-02T23:30:00Z", "b")];
        assert.deepStrictEqual(selectEntries(es, undefined, 0).map((e) => e.requestId), ["a", "b", "c"]);
        assert.deepStrictEqual(selectEntries(es, new Date("2026-12-03T00:00:00Z"), 0).map((e) => e.requestId), ["c"]);
        assert.deepStrictEqual(selectEntries(es, new Date("2026-12-03T00:00:00Z"), 3600).map((e) => e.requestId), ["b", "c"]);
    });
});
