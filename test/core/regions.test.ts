import * as assert from "assert";
import fc from "fast-check";
import { AWS_REGIONS, MIN_TIER2_DISTANCE_KM, distanceKm } from "../../components/core/regions";

describe("regions", () => {
    it("measures great-circle distances that match known geography", () => {
        // N. Virginia to Oregon is roughly 3,500 km; Ireland to London roughly 460 km.
        const useToUsw = distanceKm("us-east-1", "us-west-2");
        assert.ok(useToUsw > 3200 && useToUsw < 3800, `us-east-1 to us-west-2: ${useToUsw}`);
        const dubToLon = distanceKm("eu-west-1", "eu-west-2");
        assert.ok(dubToLon > 400 && dubToLon < 520, `eu-west-1 to eu-west-2: ${dubToLon}`);
        assert.strictEqual(distanceKm("us-east-1", "us-east-1"), 0);
    });

    it("is symmetric and every pair of distinct regions is farther apart than the tier-2 minimum", () => {
        const codes = Object.keys(AWS_REGIONS);
        fc.assert(
            fc.property(fc.constantFrom(...codes), fc.constantFrom(...codes), (a, b) => {
                const d = distanceKm(a, b);
                return Math.abs(d - distanceKm(b, a)) < 1e-9 && (a === b || d > MIN_TIER2_DISTANCE_KM);
            }),
        );
    });

    it("names unknown regions", () => {
        assert.throws(() => distanceKm("us-east-1", "us-wets-2"), /unknown AWS region "us-wets-2"/);
    });
});
