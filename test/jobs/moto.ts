/**
 * What the tests that run job scripts for real share: moto_server (a local AWS API on a
 * loopback port) and the environment that points a script at it and nowhere else.
 */
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { ProcessGroup, freePort, waitFor } from "../../drills/redis/procs";

/** Starts moto_server under `procs` on `port` (a free one unless given); returns its endpoint. It may not answer yet: wait on the test's first call. */
export async function startMoto(procs: ProcessGroup, logFile: string, port?: number): Promise<string> {
    const p = port ?? (await freePort());
    procs.start("moto", "moto_server", ["-H", "127.0.0.1", "-p", String(p)], logFile);
    return `http://127.0.0.1:${p}`;
}

/**
 * This process's environment without any AWS_* variable nor one starting with `alsoDrop`
 * (so no setting of the machine leaks into a script), never the instance metadata service
 * (only loopback traffic), then `extra`.
 */
export function scriptEnv(extra: Record<string, string>, alsoDrop: readonly string[] = []): NodeJS.ProcessEnv {
    const drop = ["AWS_", ...alsoDrop];
    const base: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.some((prefix) => k.startsWith(prefix))));
    return { ...base, AWS_EC2_METADATA_DISABLED: "true", ...extra };
}

/** Credentials only moto accepts, no AWS config files, and every client the scripts use pointed at `endpoint`. */
export function motoSettings(endpoint: string): Record<string, string> {
    return {
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        S3_ENDPOINT_URL: endpoint,
        CLOUDWATCH_ENDPOINT_URL: endpoint,
        SNS_ENDPOINT_URL: endpoint,
    };
}

/** Waits (30 s at most) until moto answers CloudWatch. */
export async function waitForCloudWatch(cw: CloudWatchClient): Promise<void> {
    await waitFor("moto_server", 30_000, async () => {
        try {
            await cw.send(new ListMetricsCommand({ Namespace: "x" }));
            return true;
        } catch {
            return false;
        }
    });
}
