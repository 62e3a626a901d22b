import * as assert from "assert";
import { ConfigError, validateConfig } from "../../config";
import { readStackFile } from "../../config";
import { NAMESPACE, parseConfigValue } from "../../config";
import { EXAMPLE_ERASURE_SECTION } from "../../drills/lib/erasure-section";

function prodRaw(): Record<string, unknown> {
    const { config } = readStackFile("prod");
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        const [ns, name] = key.split(":");
        if (ns === NAMESPACE) raw[name] = parseConfigValue(value);
    }
    return raw;
}

/** The erasure drill's section: it must be accepted, and each case below breaks one field of it. */
const GOOD = EXAMPLE_ERASURE_SECTION;

function problems(erasure: unknown): string[] {
    try {
        validateConfig({ ...prodRaw(), erasure });
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
}

/** Exactly one problem, naming the key, carrying the advice. */
function rejects(erasure: unknown, key: string, ...advice: RegExp[]): void {
    const found = problems(erasure);
    assert.strictEqual(found.length, 1, `expected one problem, got:\n${found.join("\n")}`);
    assert.ok(found[0].startsWith(`fortress-dr:${key}:`), `expected the problem to name fortress-dr:${key}, got: ${found[0]}`);
    for (const a of advice) assert.match(found[0], a);
}

describe("config section erasure (config/sections/erasure.ts)", () => {
    it("accepts a full section and fills the defaults", () => {
        const c = validateConfig({ ...prodRaw(), erasure: GOOD });
        assert.strictEqual(c.erasure?.ledger.replayMarginSeconds, 86_400);
        assert.deepStrictEqual(c.erasure?.redis?.keyPatterns, GOOD.redis.keyPatterns);
    });

    it("hashSubjects without hmacKeySecret: names the key and the Secret to give", () =>
        rejects({ ...GOOD, hmacKeySecret: undefined }, "erasure.hmacKeySecret", /required when erasure.hashSubjects is true/, /erasure-ledger-hmac/));

    it("hmacKeySecret without hashSubjects", () => rejects({ ...GOOD, hashSubjects: false }, "erasure.hmacKeySecret", /only used with erasure.hashSubjects: true/));

    it("a routine without $1", () => rejects({ ...GOOD, database: { ...GOOD.database, routine: "select erase_subject('x')" } }, "erasure.database.routine", /does not use \$1/, /select erase_subject\(\$1\)/));

    it("a routine that is not a call", () => rejects({ ...GOOD, database: { ...GOOD.database, routine: "delete from users where id = $1" } }, "erasure.database.routine", /must call a routine/));

    it("two statements in the routine", () => rejects({ ...GOOD, database: { ...GOOD.database, routine: "select erase_subject($1); drop table users" } }, "erasure.database.routine", /more than one statement/));

    it("a verify that is not a select", () => rejects({ ...GOOD, database: { ...GOOD.database, verify: "call count_subject($1)" } }, "erasure.database.verify", /must be a select/));

    it("a Redis pattern without {subject}", () => rejects({ ...GOOD, redis: { keyPatterns: ["session:*"] } }, "erasure.redis.keyPatterns[0]", /must contain \{subject\} exactly once \(found 0\)/));

    it("a Redis pattern with {subject} twice", () => rejects({ ...GOOD, redis: { keyPatterns: ["a:{subject}:{subject}"] } }, "erasure.redis.keyPatterns[0]", /found 2/));

    it("an unknown placeholder", () => rejects({ ...GOOD, redis: { keyPatterns: ["a:{subject}:{tenant}"] } }, "erasure.redis.keyPatterns[0]", /only one placeholder/));

    it("an uploads prefix with a leading slash", () => rejects({ ...GOOD, uploads: { prefixes: ["/users/{subject}/"] } }, "erasure.uploads.prefixes[0]", /no leading slash/, /"users\/\{subject\}\/"/));

    it("an uploads prefix ending at {subject} (u1 would erase u10)", () => rejects({ ...GOOD, uploads: { prefixes: ["users/{subject}"] } }, "erasure.uploads.prefixes[0]", /would also erase "u10/));

    it("an uploads prefix with a glob", () => rejects({ ...GOOD, uploads: { prefixes: ["users/*/{subject}/"] } }, "erasure.uploads.prefixes[0]", /literal/));

    it("no procedure at all", () => rejects({ ledger: GOOD.ledger }, "erasure", /declares no procedure/));

    it("no appender service account", () => rejects({ ...GOOD, ledger: { appenderServiceAccounts: [] } }, "erasure.ledger.appenderServiceAccounts", /at least one service account/));

    it("an unknown key, named with its path", () => {
        const found = problems({ ...GOOD, redis: { keyPattern: ["x:{subject}"] } });
        assert.ok(found.some((p) => p.includes("fortress-dr:erasure.redis.keyPattern") && /not a known setting/.test(p)), found.join("\n"));
    });
});
