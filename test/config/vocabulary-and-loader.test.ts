import * as assert from "assert";
import { ConfigError, DATA_CLASSES, NAMESPACE, REMOTE_TIERS, TIERS, loadStackConfig, readStackFile, tierRegion, validateStackValues } from "../../config";

describe("config/vocabulary", () => {
    it("tierRegion: tier 1 in the primary region, tier 2 in the DR region, tier 3 in the third", () => {
        const regions = { primary: "us-east-1", dr: "us-west-2", tier3: "eu-west-1" };
        assert.deepStrictEqual(TIERS.map((t) => tierRegion(regions, t)), ["us-east-1", "us-west-2", "eu-west-1"]);
        assert.deepStrictEqual([...REMOTE_TIERS], ["tier2", "tier3"]);
        assert.deepStrictEqual([...DATA_CLASSES], ["database", "cache", "configuration", "secrets", "uploads", "logs"]);
    });
});

describe("config/loader: the one stack-file reader", () => {
    it("loadStackConfig fills every default through the schema (prod sets neither tiers nor objectives)", () => {
        const loaded = loadStackConfig("prod");
        assert.strictEqual(loaded.validated.environment, "prod");
        assert.strictEqual(loaded.validated.tiers.redis.tier1.snapshot, "*/4 * * * *");
        assert.strictEqual(loaded.validated.objectives.scenarios.S1.rtoSeconds, 120);
        assert.match(loaded.file, /stacks[/\\]Pulumi\.prod\.yaml$/);
    });

    it("applies overrides and reports every problem at once, naming the keys", () => {
        try {
            loadStackConfig("prod", { [`${NAMESPACE}:regions`]: JSON.stringify({ primary: "us-east-1", dr: "us-east-1", tier3: "us-east-1" }), [`${NAMESPACE}:colour`]: "blue" });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(e instanceof ConfigError, String(e));
            assert.ok(e.problems[0].startsWith(`${NAMESPACE}:colour: not a known setting; known keys are`), e.problems[0]);
            assert.ok(e.problems.some((p) => p.startsWith(`${NAMESPACE}:regions.dr: "us-east-1" is the primary region`)), e.problems.join("\n"));
            assert.ok(e.problems.some((p) => p.startsWith(`${NAMESPACE}:regions.tier3: "us-east-1" is already the primary region`)), e.problems.join("\n"));
        }
    });

    it("never decrypts a secure value; the kubeconfig secret only counts as present", () => {
        const values = readStackFile("prod").config;
        const config = validateStackValues({ ...values, [`${NAMESPACE}:kubeconfig`]: "[secret]" });
        assert.strictEqual(config.hasKubeconfig, true);
        assert.ok(!JSON.stringify(config).includes("[secret]"));
    });

    it("names the stacks there are when a stack file is missing", () => {
        assert.throws(() => readStackFile("nope"), /no stack "nope": .*Pulumi\.nope\.yaml does not exist; stacks are .*prod/);
    });
});
