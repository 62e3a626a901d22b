/**
 * The lab's Patroni configuration comes from the PerconaPGCluster spec the stacks render: the
 * leader lease, loop wait, retry timeout and synchronous mode are the spec's, and Patroni's own
 * rule (loop_wait + 2 x retry_timeout <= ttl) holds for them.
 */
import * as assert from "assert";
import { PgBackRestSettings } from "../../../components/postgres/pgbackrest";
import { patroniTimings, perconaClusterSpec } from "../../../components/postgres/spec";
import { patroniDcsFromSpec } from "../../../drills/lab/lab";
import { labFailoverSchema } from "../../../cli/drivers/lab/failover";

const settings: PgBackRestSettings = {
    repos: [
        { index: 1, name: "repo1", tier: "tier1", location: { kind: "posix" }, schedules: { full: "0 1 * * *" }, retentionFullDays: 7 },
        { index: 2, name: "repo2", tier: "tier2", location: { kind: "s3", bucket: "b", region: "us-west-2", endpoint: "s3.us-west-2.amazonaws.com", credentials: "web-id" }, schedules: { full: "0 1 * * *" }, retentionFullDays: 30 },
    ],
    options: { "repo1-type": "posix", "repo2-type": "s3" },
    archivePushOptions: {},
    secretOptions: [],
    postgresParameters: { archive_mode: "on", archive_timeout: "30s" },
    archiveTimeoutSeconds: 30,
};

function spec(detect: number, role: Parameters<typeof perconaClusterSpec>[0]["role"] = { kind: "primary" }) {
    return perconaClusterSpec({
        role,
        promoted: false,
        postgresVersion: 15,
        image: "img",
        instances: 3,
        storageClass: "gp3",
        storageSize: "10Gi",
        repo1: { storageClass: "nvme", size: "10Gi" },
        settings,
        stanza: "db",
        configuration: { secretName: "s", configMapName: "c" },
        tls: { serverSecretName: "t", replicationSecretName: "r" },
        pgBouncerReplicas: 1,
        failoverDetectSeconds: detect,
    });
}

describe("drills/lab: Patroni configuration from the PerconaPGCluster spec", () => {
    for (const detect of [25, 30, 60]) {
        it(`maps the spec's timings for S1 detection ${detect} s and keeps Patroni's rule`, () => {
            const dcs = patroniDcsFromSpec(spec(detect));
            const t = patroniTimings(detect);
            assert.deepStrictEqual([dcs.ttl, dcs.loop_wait, dcs.retry_timeout], [t.leaderLeaseSeconds, t.syncPeriodSeconds, t.retryTimeoutSeconds]);
            assert.ok(dcs.loop_wait + 2 * dcs.retry_timeout <= dcs.ttl, `loop_wait ${dcs.loop_wait} + 2 x retry_timeout ${dcs.retry_timeout} > ttl ${dcs.ttl}`);
            assert.strictEqual(dcs.synchronous_mode, true);
            assert.strictEqual(dcs.synchronous_mode_strict, false);
            assert.strictEqual(dcs.postgresql.parameters.synchronous_commit, "on");
            // archive_mode is the operator's (it sets it with archive_command), not the spec's.
            assert.strictEqual(dcs.postgresql.parameters.archive_mode, undefined);
        });
    }

    it("the standby role carries the standby source the lab turns into Patroni's standby_cluster", () => {
        const s = spec(30, { kind: "standby", host: "127.0.0.1", port: 5999 });
        assert.deepStrictEqual(s.standby, { enabled: true, host: "127.0.0.1", port: 5999, repoName: "repo2" });
        assert.strictEqual(patroniDcsFromSpec(s).ttl, patroniTimings(30).leaderLeaseSeconds);
    });

    it("refuses a spec without Patroni settings, naming what is missing", () => {
        assert.throws(() => patroniDcsFromSpec({}), /patroniDcsFromSpec: the spec has no patroni.leaderLeaseDurationSeconds/);
    });
});

describe("cli/drivers/lab/failover: the lab description's failover section", () => {
    it("rejects a section without region B's members, naming the field", () => {
        const r = labFailoverSchema.safeParse({ schemaVersion: "fortress.lab.failover/v1", controlPort: 1, primary: { restPort: 2, clientPort: 3, fenceLinks: ["x"], repoLink: "x" }, dr: { members: [], clientPort: 4, followHost: "h", followPort: 5 } });
        assert.strictEqual(r.success, false);
        assert.deepStrictEqual(r.error?.issues[0].path, ["dr", "members"]);
    });
});
