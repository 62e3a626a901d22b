import * as assert from "assert";
import { backupScheduleMeetsRpo } from "../../../policies/rules/backup-schedule-meets-rpo";
import { failoverRecordTtl } from "../../../policies/rules/failover-record-ttl";
import { pgbackrestThreeTiers } from "../../../policies/rules/pgbackrest-three-tiers";
import { route53HealthCheckFast } from "../../../policies/rules/route53-health-check-fast";
import { check, compliantPrimary, fixtureConfig, violations } from "../fixtures";

const HC = "aws:route53/healthCheck:HealthCheck";
const RECORD = "aws:route53/record:Record";
const CRON = "kubernetes:batch/v1:CronJob";
const PG = "kubernetes:pgv2.percona.com/v2:PerconaPGCluster";

describe("policy route53-health-check-fast", () => {
    it("passes: 10 s, threshold 3, three regions; a calculated check is not its concern", async () => {
        const { fixture } = compliantPrimary();
        fixture.add(HC, "calculated", { type: "CALCULATED", childHealthThreshold: 1 });
        const o = await check(route53HealthCheckFast, fixture.records);
        assert.strictEqual(o.status, "pass");
        assert.ok(o.notApplicable.includes("type CALCULATED does not probe an endpoint"));
    });

    it("fails: a 30 s interval (explicit or by default), a threshold of 5, two regions", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(HC, "app-primary", (i) => Object.assign(i, { requestInterval: 30, failureThreshold: 5, regions: ["us-east-1", "us-west-2"] }));
        assert.deepStrictEqual(violations(await check(route53HealthCheckFast, fixture.records)), [
            "health check app-primary: requestInterval 30 s; use 10 s (detection is interval x threshold = 150 s)",
            "health check app-primary: failureThreshold 5 exceeds 3",
            "health check app-primary: checked from 2 region(s) (us-east-1, us-west-2); use at least 3",
        ]);
        fixture.edit(HC, "app-primary", (i) => Object.assign(i, { failureThreshold: 3, regions: undefined, requestInterval: undefined }));
        assert.deepStrictEqual(violations(await check(route53HealthCheckFast, fixture.records)), ["health check app-primary: requestInterval unset (30 s default); use 10 s (detection is interval x threshold = 90 s)"]);
    });
});

describe("policy failover-record-ttl", () => {
    it("passes: TTL 30 on both records, the PRIMARY health-checked; a plain record is not its concern", async () => {
        const { fixture } = compliantPrimary();
        fixture.add(RECORD, "plain", { zoneId: "Z", name: "www.example.com", type: "A", ttl: 3600, records: ["192.0.2.1"] });
        assert.strictEqual((await check(failoverRecordTtl, fixture.records)).status, "pass");
    });

    it("fails: a TTL over 60 s, and a PRIMARY without a health check", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(RECORD, "app-secondary", (i) => (i.ttl = 300));
        fixture.edit(RECORD, "app-primary", (i) => delete i.healthCheckId);
        assert.deepStrictEqual(violations(await check(failoverRecordTtl, fixture.records)), [
            "PRIMARY record app-primary has no healthCheckId: Route 53 would never fail over from it",
            "SECONDARY record app-secondary: ttl 300; resolvers would keep sending clients to a failed region for that long; use at most 60 s",
        ]);
    });

    it("accepts an alias PRIMARY that evaluates target health (fixed 60 s TTL)", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(RECORD, "app-primary", (i) => {
            delete i.ttl;
            delete i.records;
            delete i.healthCheckId;
            i.aliases = [{ name: "lb-east.elb.amazonaws.com", zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true }];
        });
        assert.deepStrictEqual(violations(await check(failoverRecordTtl, fixture.records)), []);
    });
});

describe("policy backup-schedule-meets-rpo", () => {
    it("passes: every configured tier has its job at its schedule; archive_timeout 30s for a 60 s RPO", async () => {
        assert.deepStrictEqual(violations(await check(backupScheduleMeetsRpo, compliantPrimary().fixture.records)), []);
    });

    it("fails: a five-minute archive_timeout", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(PG, "fortress-pg", (i) => (i.spec.patroni.dynamicConfiguration.postgresql.parameters.archive_timeout = "5min"));
        assert.deepStrictEqual(violations(await check(backupScheduleMeetsRpo, fixture.records)), [
            "PerconaPGCluster fortress-pg: archive_timeout 5min lets up to 300 s of committed WAL wait unarchived; the 60 s database RPO needs at most 30s (50% of the RPO; the rest is the archiver's delivery budget)",
        ]);
    });

    it("fails: archive_timeout not set at all", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(PG, "fortress-pg", (i) => delete i.spec.patroni.dynamicConfiguration.postgresql);
        assert.deepStrictEqual(violations(await check(backupScheduleMeetsRpo, fixture.records)), [
            "PerconaPGCluster fortress-pg: archive_timeout is not set, so a quiet database archives a WAL segment only when it fills; set it to at most 30s for the 60 s database RPO",
        ]);
    });

    it("fails: a snapshot job slower than its tier, and a configured tier that no job runs", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(CRON, "redis-snapshot-tier1", (i) => (i.spec.schedule = "*/10 * * * *"));
        fixture.remove(CRON, "secrets-backup-tier3");
        assert.deepStrictEqual(violations(await check(backupScheduleMeetsRpo, fixture.records)), [
            'CronJob redis-snapshot-tier1 runs "*/10 * * * *" (every 10m at worst), less often than tiers.redis.tier1 ("*/4 * * * *", every 4m)',
            'tiers.secrets.tier3 asks for "35 3 * * *", but no CronJob or Velero Schedule of this stack runs it (jobs are matched by their labels fortress/data-class, fortress/tier and fortress/purpose=backup)',
        ]);
    });

    it("fails: a pgBackRest repo schedule less frequent than its tier, or missing", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(PG, "fortress-pg", (i) => {
            i.spec.backups.pgbackrest.repos[0].schedules.incremental = "0 * * * *";
            delete i.spec.backups.pgbackrest.repos[1].schedules.incremental;
        });
        assert.deepStrictEqual(violations(await check(backupScheduleMeetsRpo, fixture.records)), [
            'PerconaPGCluster fortress-pg repo1: incremental "0 * * * *" runs less often than tiers.database.tier1.incremental "*/15 * * * *"',
            'PerconaPGCluster fortress-pg repo2: no incremental schedule, but tiers.database.tier2.incremental is "30 * * * *"',
        ]);
    });
});

describe("policy pgbackrest-three-tiers", () => {
    it("passes: repo1 volume, repo2 in the DR region, repo3 in the tier-3 region, each encrypted with its retention", async () => {
        assert.deepStrictEqual(violations(await check(pgbackrestThreeTiers, compliantPrimary().fixture.records)), []);
    });

    it("fails: a missing repository, a repository in the wrong region, no cipher, a plain-text passphrase, wrong retention", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(PG, "fortress-pg", (i) => {
            const p = i.spec.backups.pgbackrest;
            p.repos = p.repos.filter((r: any) => r.name !== "repo3");
            p.repos[1].s3.region = "eu-west-1";
            delete p.global["repo1-cipher-type"];
            p.global["repo2-cipher-pass"] = "hunter2";
            p.global["repo2-retention-full"] = "7";
        });
        assert.deepStrictEqual(violations(await check(pgbackrestThreeTiers, fixture.records)), [
            "PerconaPGCluster fortress-pg repo1 (tier1): repo1-cipher-type is unset; set aes-256-cbc so the repository is encrypted before it leaves the pod",
            "PerconaPGCluster fortress-pg repo2 (tier2): is s3 in eu-west-1; tier2 is S3 in us-west-2",
            "PerconaPGCluster fortress-pg repo2 (tier2): repo2-cipher-pass is written in the cluster resource in plain text; deliver it through the pgBackRest configuration Secret",
            "PerconaPGCluster fortress-pg repo2 (tier2): retention is time 7; tiers.database.tier2.retentionDays asks for time-based 30 days",
            "PerconaPGCluster fortress-pg repo3 (tier3): not declared; the database has no tier3 copy",
        ]);
    });

    it("checks only encryption and retention of a promoted DR cluster (its primary region may be gone)", async () => {
        const { fixture } = compliantPrimary();
        const drConfig = fixtureConfig("prod", (raw) => {
            raw.role = "dr";
            raw.dr = { primaryStack: "org/fortress-dr/prod", mode: "pilot-light", promote: true };
            raw.kubernetes = { cluster: "eks", eks: { subnetIds: ["subnet-a", "subnet-b"] } };
            raw.hasKubeconfig = false;
        });
        fixture.remove("aws:s3/bucketObjectv2:BucketObjectv2");
        fixture.edit(PG, "fortress-pg", (i) => {
            i.spec.backups.pgbackrest.repos = i.spec.backups.pgbackrest.repos.slice(0, 2);
            delete i.spec.backups.pgbackrest.global["repo2-cipher-type"];
        });
        assert.deepStrictEqual(violations(await check(pgbackrestThreeTiers, fixture.records, { stackConfig: drConfig })), [
            "PerconaPGCluster fortress-pg repo2 (tier2): repo2-cipher-type is unset; set aes-256-cbc so the repository is encrypted before it leaves the pod",
        ]);
    });

    it("is not applicable to a stack without a PostgreSQL cluster (or with only a standby)", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(PG, "fortress-pg", (i) => (i.spec.standby = { enabled: true, repoName: "repo2" }));
        assert.strictEqual((await check(pgbackrestThreeTiers, fixture.records)).status, "not-applicable");
    });
});
