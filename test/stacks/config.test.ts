import * as assert from "assert";
import { configProblems, Mutation } from "../helpers/stacks";
import { evaluateStack } from "../../tools/evaluate";
import { DEFAULT_SCENARIO_OBJECTIVES, NAMESPACE, listStacks, readStackFile, validateConfig } from "../../config";

/** A stack file's values as the config module hands them to validation. */
function rawFromFile(stack: string): Record<string, unknown> {
    const { config } = readStackFile(stack);
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        const [ns, name] = key.split(":");
        if (ns !== NAMESPACE) continue;
        raw[name] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    }
    return raw;
}

/** Asserts exactly one problem and that it names the key and carries the advice. */
async function rejects(mutations: Mutation[], key: string, ...advice: RegExp[]): Promise<void> {
    const problems = await configProblems("prod", mutations);
    const matching = problems.filter((p) => p.startsWith(`${key}:`) || p.includes(`${key}:`));
    assert.strictEqual(matching.length, 1, `expected one problem naming ${key}, got:\n${problems.join("\n")}`);
    for (const a of advice) assert.match(matching[0], a);
}

describe("stack config validation (through pulumi.Config, as `pulumi up` reads it)", () => {
    for (const stack of listStacks()) {
        it(`accepts the committed stack file of ${stack}`, () => {
            const c = validateConfig(rawFromFile(stack));
            assert.strictEqual(c.role, stack.endsWith("-dr") ? "dr" : "primary");
            assert.strictEqual(c.environment, stack.replace(/-dr$/, ""));
        });
    }

    it("rejects an unknown region, naming the key and the accepted regions", () =>
        rejects([{ key: "regions", path: ["dr"], value: "us-wets-2" }], "fortress-dr:regions.dr", /"us-wets-2" is not a known AWS region/, /use one of .*us-west-2/));

    it("rejects tier 2 in the primary region", () =>
        rejects([{ key: "regions", path: ["dr"], value: "us-east-1" }], "fortress-dr:regions.dr", /is the primary region/, /at least 80 km/));

    it("rejects tier 3 in a region already used", () =>
        rejects([{ key: "regions", path: ["tier3"], value: "us-west-2" }], "fortress-dr:regions.tier3", /already the DR region/));

    it("rejects a malformed cron, naming the field count and an example", () =>
        rejects([{ key: "tiers", value: { redis: { tier1: { snapshot: "*/5 * * *", retentionDays: 1 } } } }], "fortress-dr:tiers.redis.tier1.snapshot", /expected 5 fields/, /"\*\/15 \* \* \* \*"/));

    it("rejects a retention shorter than the schedule's interval", () =>
        rejects(
            [{ key: "tiers", value: { database: { tier3: { full: "0 2 * * 0", retentionDays: 3 } } } }],
            "fortress-dr:tiers.database.tier3.retentionDays",
            /3 day\(s\) is shorter than the full schedule's interval \(7 days/,
        ));

    it("rejects an incremental schedule less frequent than its full", () =>
        rejects(
            [{ key: "tiers", value: { database: { tier2: { full: "0 */4 * * *", incremental: "0 0 * * *", retentionDays: 30 } } } }],
            "fortress-dr:tiers.database.tier2.incremental",
            /must be more frequent than the full/,
        ));

    it("rejects a scenario objective with a missing field", () =>
        rejects([{ key: "objectives", value: { scenarios: { S2: { detectSeconds: 60, rtoSeconds: 200 } } } }], "fortress-dr:objectives.scenarios.S2.rpoSeconds", /required/));

    it("rejects an objective looser than the platform requirement", () =>
        rejects(
            [{ key: "objectives", value: { scenarios: { S2: { detectSeconds: 60, rtoSeconds: 900, rpoSeconds: 60 } } } }],
            "fortress-dr:objectives.scenarios.S2.rtoSeconds",
            /900 is looser than the platform requirement 300/,
        ));

    it("rejects an unknown top-level key (a misspelling would otherwise be ignored)", () =>
        rejects([{ key: "tier", value: { database: {} } }], "fortress-dr:tier", /not a known setting/, /tiers/));

    it("rejects an unknown nested key", () =>
        rejects([{ key: "regions", path: ["tier_3"], value: "eu-west-1" }], "fortress-dr:regions.tier_3", /not a known setting/));

    it("rejects GOVERNANCE-mode Object Lock outside dev", () =>
        rejects([{ key: "storage", value: { tier3: { objectLock: { mode: "GOVERNANCE" } } } }], "fortress-dr:storage.tier3.objectLock.mode", /COMPLIANCE/));

    it("rejects an unlocked GCS retention policy in prod", () =>
        rejects([{ key: "gcs", path: ["lockRetention"], value: false }], "fortress-dr:gcs.lockRetention", /must be true in prod/));

    it("rejects a failover TTL above 60 s", () =>
        rejects([{ key: "endpoints", path: ["ttlSeconds"], value: 300 }], "fortress-dr:endpoints.ttlSeconds", /got 300/, /at most 60/));

    it("rejects fewer than three health-checker regions", () =>
        rejects([{ key: "endpoints", path: ["healthCheck", "regions"], value: ["us-east-1", "eu-west-1"] }], "fortress-dr:endpoints.healthCheck.regions", /got \[/));

    it("rejects an unknown environment, listing the accepted ones", () =>
        rejects([{ key: "environment", value: "production" }], "fortress-dr:environment", /got "production"; use one of "dev", "staging", "prod"/));

    it("rejects a missing required key", () => rejects([{ key: "jobImage", value: undefined }], "fortress-dr:jobImage", /required/));

    it("rejects a primary stack without the cluster's OIDC issuer", () =>
        rejects([{ key: "kubernetes", path: ["oidcProvider"], value: undefined }], "fortress-dr:kubernetes.oidcProvider", /IRSA/));

    it("rejects an Object Lock period longer than any tier-3 retention", () =>
        rejects([{ key: "storage", value: { tier3: { objectLock: { days: 400 } } } }], "fortress-dr:storage.tier3.objectLock.days", /exceeds the longest tier-3 retention \(365 days\)/));

    it("reports every problem at once, type errors and cross-field rules together", async () => {
        const problems = await configProblems("prod", [
            { key: "regions", path: ["dr"], value: "us-east-1" },
            { key: "tiers", value: { redis: { tier1: { snapshot: "every 5 minutes", retentionDays: 1 } } } },
            { key: "endpoints", path: ["ttlSeconds"], value: 120 },
        ]);
        assert.strictEqual(problems.length, 3, problems.join("\n"));
        assert.ok(problems.some((p) => p.startsWith("fortress-dr:regions.dr:")));
        assert.ok(problems.some((p) => p.startsWith("fortress-dr:tiers.redis.tier1.snapshot:")));
        assert.ok(problems.some((p) => p.startsWith("fortress-dr:endpoints.ttlSeconds:")));
    });

    it("fills defaults from the architecture's objectives table and lets a stack tighten them", async () => {
        const prod = await evaluateStack("prod");
        assert.deepStrictEqual(prod.config.objectives.scenarios, DEFAULT_SCENARIO_OBJECTIVES);
        assert.strictEqual(prod.config.objectives.dataClasses.database.rpoSeconds, 60);
        const raw = {
            environment: "dev",
            role: "primary",
            regions: { primary: "us-east-2", dr: "us-west-2", tier3: "us-east-1" },
            gcs: { project: "p", location: "US" },
            endpoints: { hostedZoneId: "Z1", hosts: [{ hostname: "a.example", primaryTarget: "lb.example", drTarget: "dr.example" }] },
            kubernetes: { context: "dev", oidcProvider: "oidc.example/id/1" },
            jobImage: "img:1",
            cliImage: "cli:1",
            objectives: { scenarios: { S2: { detectSeconds: 60, rtoSeconds: 240, rpoSeconds: 30 } } },
        };
        const tightened = validateConfig(raw);
        assert.deepStrictEqual(tightened.objectives.scenarios.S2, { detectSeconds: 60, rtoSeconds: 240, rpoSeconds: 30 });
        assert.deepStrictEqual(tightened.objectives.scenarios.S3, DEFAULT_SCENARIO_OBJECTIVES.S3);
    });
});
