/** A minimal valid prod primary config; each test copies it and changes what it is about. */
export function rawConfig(): Record<string, unknown> {
    return {
        environment: "prod",
        role: "primary",
        regions: { primary: "us-east-1", dr: "us-west-2", tier3: "eu-west-1" },
        gcs: { project: "fortress-prod", location: "US", lockRetention: true },
        endpoints: {
            hostedZoneId: "Z123",
            hosts: [{ hostname: "app.example.com", primaryTarget: "lb-east.example.com", drTarget: "lb-west.example.com" }],
        },
        jobImage: "ghcr.io/example/fortress-jobs@sha256:" + "0".repeat(64),
        cliImage: "ghcr.io/example/fortress-cli:1",
        hasKubeconfig: true,
        kubernetes: { oidcProvider: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE" },
    };
}
