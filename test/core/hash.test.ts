import * as assert from "assert";
import { fnv1aHex } from "../../components/core/hash";

describe("fnv1aHex (the one FNV-1a, components/core/hash.ts)", () => {
    it("matches the FNV-1a 32-bit reference vectors", () => {
        // From the FNV reference test suite (Landon Curt Noll's test_fnv.c, FNV1a_32).
        assert.strictEqual(fnv1aHex(""), "811c9dc5");
        assert.strictEqual(fnv1aHex("a"), "e40c292c");
        assert.strictEqual(fnv1aHex("foobar"), "bf9cf968");
    });

    it("is always 8 hex digits, zero-padded", () => {
        for (const text of ["", "x", "redis.conf", "a".repeat(1000)]) assert.match(fnv1aHex(text), /^[0-9a-f]{8}$/);
    });
});
