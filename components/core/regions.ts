/**
 * AWS regions and GCS locations that Fortress DR may place data in, with coordinates for the
 * great-circle distance rule (tier 2 must be at least 80 km from the primary).
 *
 * Source of the coordinates: AWS names each region after its metro area in the region's
 * display name ("US East (N. Virginia)", "Europe (Ireland)", ...; https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html).
 * AWS does not publish data-centre coordinates, so each entry is the coordinates of that
 * metro's principal city or data-centre hub, rounded to two decimals. The error of that
 * approximation is tens of kilometres; the nearest pair in this table (us-east-1 / us-east-2)
 * is over 400 km apart, so no verdict of the 80 km rule depends on it.
 */

export interface AwsRegion {
    readonly code: string;
    readonly metro: string;
    readonly lat: number;
    readonly lon: number;
}

export const AWS_REGIONS: Readonly<Record<string, AwsRegion>> = Object.freeze(
    Object.fromEntries(
        (
            [
                ["us-east-1", "N. Virginia (Ashburn)", 39.04, -77.49],
                ["us-east-2", "Ohio (Columbus)", 39.96, -83.0],
                ["us-west-1", "N. California (San Jose)", 37.34, -121.89],
                ["us-west-2", "Oregon (Boardman)", 45.84, -119.7],
                ["ca-central-1", "Canada (Montreal)", 45.5, -73.57],
                ["sa-east-1", "Sao Paulo", -23.55, -46.63],
                ["eu-west-1", "Ireland (Dublin)", 53.35, -6.26],
                ["eu-west-2", "London", 51.51, -0.13],
                ["eu-west-3", "Paris", 48.86, 2.35],
                ["eu-central-1", "Frankfurt", 50.11, 8.68],
                ["eu-central-2", "Zurich", 47.37, 8.54],
                ["eu-north-1", "Stockholm", 59.33, 18.07],
                ["eu-south-1", "Milan", 45.46, 9.19],
                ["eu-south-2", "Spain (Aragon)", 41.65, -0.88],
                ["ap-south-1", "Mumbai", 19.08, 72.88],
                ["ap-southeast-1", "Singapore", 1.35, 103.82],
                ["ap-southeast-2", "Sydney", -33.87, 151.21],
                ["ap-northeast-1", "Tokyo", 35.68, 139.69],
                ["ap-northeast-2", "Seoul", 37.57, 126.98],
                ["ap-northeast-3", "Osaka", 34.69, 135.5],
            ] as const
        ).map(([code, metro, lat, lon]) => [code, { code, metro, lat, lon }]),
    ),
);

/** GCS multi-regions and predefined dual-regions (https://cloud.google.com/storage/docs/locations). */
export const GCS_LOCATIONS: Readonly<Record<string, { readonly kind: "multi-region" | "dual-region"; readonly regions: string }>> =
    Object.freeze({
        US: { kind: "multi-region", regions: "United States" },
        EU: { kind: "multi-region", regions: "European Union" },
        ASIA: { kind: "multi-region", regions: "Asia" },
        NAM4: { kind: "dual-region", regions: "us-central1 + us-east1" },
        EUR4: { kind: "dual-region", regions: "europe-north1 + europe-west4" },
        ASIA1: { kind: "dual-region", regions: "asia-northeast1 + asia-northeast2" },
    });

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle (haversine) distance between two AWS regions, in kilometres. */
export function distanceKm(a: string, b: string): number {
    const ra = AWS_REGIONS[a];
    const rb = AWS_REGIONS[b];
    if (!ra || !rb) throw new Error(`unknown AWS region "${!ra ? a : b}"; known: ${Object.keys(AWS_REGIONS).join(", ")}`);
    return greatCircleKm(ra, rb);
}

/** Great-circle (haversine) distance between two coordinates, in kilometres. */
export function greatCircleKm(ra: { readonly lat: number; readonly lon: number }, rb: { readonly lat: number; readonly lon: number }): number {
    const rad = (d: number) => (d * Math.PI) / 180;
    const dLat = rad(rb.lat - ra.lat);
    const dLon = rad(rb.lon - ra.lon);
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(ra.lat)) * Math.cos(rad(rb.lat)) * Math.sin(dLon / 2) ** 2;
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}

/** The minimum separation the DR plan asks of tier 2 ("50+ miles"). */
export const MIN_TIER2_DISTANCE_KM = 80;
