import * as assert from "assert";
import { parsePgBackRestVersion, pgBackRestCompatibility } from "../../../components/postgres/pgbackrest-compat";

describe("postgres/pgbackrest-compat: the pgBackRest versions the rendered settings work with", () => {
    it("parses what `pgbackrest version` prints on Debian 12 and 13", () => {
        assert.deepStrictEqual(parsePgBackRestVersion("2.45"), { major: 2, minor: 45, patch: 0 });
        assert.deepStrictEqual(parsePgBackRestVersion("2.55.1"), { major: 2, minor: 55, patch: 1 });
        assert.throws(() => parsePgBackRestVersion("unknown"), /pgBackRest version "unknown": expected <major>\.<minor>/);
    });

    it("accepts 2.45 (Debian 12) with nothing to note beyond what was measured", () => {
        assert.deepStrictEqual(pgBackRestCompatibility("2.45", { objectLockRepos: true }), { notes: [] });
    });

    it("refuses 2.55.0 for an Object Lock repo, naming the fix release, and accepts it without one", () => {
        assert.match(pgBackRestCompatibility("2.55.0", { objectLockRepos: true }).refuse ?? "", /2\.55\.0 sends no Content-MD5 .* install 2\.55\.1 or later/);
        assert.strictEqual(pgBackRestCompatibility("2.55.0", { objectLockRepos: false }).refuse, undefined);
        assert.strictEqual(pgBackRestCompatibility("2.55.1", { objectLockRepos: true }).refuse, undefined);
    });

    it("notes the unnested S3 timeouts from 2.57 on, and refuses versions without repo-bundle", () => {
        assert.ok(pgBackRestCompatibility("2.57.0", { objectLockRepos: true }).notes.some((n) => /unnested/.test(n)));
        assert.ok(!pgBackRestCompatibility("2.54.2", { objectLockRepos: true }).notes.some((n) => /unnested/.test(n)));
        assert.match(pgBackRestCompatibility("2.38", { objectLockRepos: false }).refuse ?? "", /older than 2\.39/);
    });
});
