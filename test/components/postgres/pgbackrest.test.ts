import * as assert from "assert";
import * as fc from "fast-check";
import {
    PgBackRestConfigError,
    PgBackRestInput,
    operatorGlobalOptions,
    renderFromConfig,
    renderPgBackRest,
    tier1LossBoundSeconds,
    tier1StallBoundSeconds,
    toIni,
} from "../../../components/postgres/pgbackrest";
import { validateConfig } from "../../../config";
import { rawConfig } from "./fixtures";

const LOCATIONS: PgBackRestInput["locations"] = {
    tier1: { kind: "posix" },
    tier2: { kind: "s3", bucket: "fortress-prod-tier2", region: "us-west-2", endpoint: "s3.us-west-2.amazonaws.com", credentials: "web-id" },
    tier3: { kind: "s3", bucket: "fortress-prod-tier3", region: "eu-west-1", endpoint: "s3.eu-west-1.amazonaws.com", credentials: "web-id" },
};

function inputFrom(raw: Record<string, unknown>): PgBackRestInput {
    const c = validateConfig(raw);
    return {
        schedules: c.tiers.database,
        databaseRpoSeconds: c.objectives.dataClasses.database.rpoSeconds,
        walQueueMax: c.postgres.walQueueMax,
        archivePushIoTimeoutSeconds: c.postgres.archivePushIoTimeoutSeconds,
        processMax: 2,
        locations: LOCATIONS,
    };
}

describe("postgres/pgbackrest renderer", () => {
    it("maps tier N to repoN with the tier's schedules and time-based retention", () => {
        const s = renderPgBackRest(inputFrom(rawConfig()));
        assert.deepStrictEqual(
            s.repos.map((r) => [r.name, r.tier, r.schedules, r.retentionFullDays]),
            [
                ["repo1", "tier1", { full: "0 1 * * *", incremental: "*/15 * * * *" }, 1],
                ["repo2", "tier2", { full: "0 */4 * * *", incremental: "30 * * * *" }, 30],
                ["repo3", "tier3", { full: "0 2 * * *" }, 365],
            ],
        );
        for (const r of s.repos) {
            assert.strictEqual(s.options[`${r.name}-retention-full-type`], "time");
            assert.strictEqual(s.options[`${r.name}-retention-full`], String(r.retentionFullDays));
        }
    });

    it("follows a stack's own schedules and retention, not a copy of the defaults", () => {
        const raw = rawConfig();
        raw.tiers = { database: { tier2: { full: "0 */6 * * *", differential: "0 * * * *", incremental: "*/20 * * * *", retentionDays: 14 } } };
        const repo2 = renderPgBackRest(inputFrom(raw)).repos[1];
        assert.deepStrictEqual(repo2.schedules, { full: "0 */6 * * *", differential: "0 * * * *", incremental: "*/20 * * * *" });
        assert.strictEqual(renderPgBackRest(inputFrom(raw)).options["repo2-retention-full"], "14");
    });

    it("encrypts every repo with aes-256-cbc and keeps the passphrases out of the options", () => {
        const s = renderPgBackRest(inputFrom(rawConfig()));
        for (const n of [1, 2, 3]) {
            assert.strictEqual(s.options[`repo${n}-cipher-type`], "aes-256-cbc");
            assert.ok(!(`repo${n}-cipher-pass` in s.options));
        }
        assert.deepStrictEqual(s.secretOptions, ["repo1-cipher-pass", "repo2-cipher-pass", "repo3-cipher-pass"]);
    });

    it("compresses with zstd, archives asynchronously and bounds the local WAL queue", () => {
        const s = renderPgBackRest(inputFrom(rawConfig()));
        assert.strictEqual(s.options["compress-type"], "zst");
        assert.strictEqual(s.options["archive-async"], "y");
        assert.strictEqual(s.options["archive-push-queue-max"], "4GB");
        assert.ok(!("io-timeout" in s.options), "backups and restores keep the default io-timeout");
    });

    it("gives WAL archiving alone tight S3 timeouts, and bounds tier 1's loss while S3 is down", () => {
        const raw = rawConfig();
        raw.postgres = { archivePushIoTimeoutSeconds: 3 };
        const s = renderPgBackRest(inputFrom(raw));
        assert.deepStrictEqual(s.archivePushOptions, { "io-timeout": "3", "archive-timeout": "24" });
        // archive_timeout 30 s + two cycles of 24 s plus the archiver's 8 s restart.
        assert.strictEqual(tier1StallBoundSeconds(s), 2 * (24 + 8));
        assert.strictEqual(tier1LossBoundSeconds(s), 30 + 2 * (24 + 8));
        assert.strictEqual(tier1LossBoundSeconds(renderPgBackRest(inputFrom(rawConfig()))), 30 + 2 * (16 + 8));
    });

    it("derives archive_timeout from the database RPO", () => {
        assert.strictEqual(renderPgBackRest(inputFrom(rawConfig())).postgresParameters.archive_timeout, "30s");
        const raw = rawConfig();
        raw.objectives = { dataClasses: { database: { rpoSeconds: 20 } } };
        const s = renderPgBackRest(inputFrom(raw));
        assert.strictEqual(s.archiveTimeoutSeconds, 10);
        assert.strictEqual(s.postgresParameters.archive_timeout, "10s");
    });

    it("keeps archive_timeout within the RPO for every RPO it accepts", () => {
        fc.assert(
            fc.property(fc.integer({ min: 2, max: 3600 }), (rpo) => {
                const s = renderPgBackRest({ ...inputFrom(rawConfig()), databaseRpoSeconds: rpo });
                return s.archiveTimeoutSeconds >= 1 && s.archiveTimeoutSeconds < rpo;
            }),
        );
    });

    it("uses IRSA for S3 repos in the cluster and leaves locations to the operator", () => {
        const s = renderPgBackRest(inputFrom(rawConfig()));
        assert.strictEqual(s.options["repo2-s3-key-type"], "web-id");
        assert.strictEqual(s.options["repo2-s3-bucket"], "fortress-prod-tier2");
        const global = operatorGlobalOptions(s);
        for (const k of ["repo1-type", "repo2-type", "repo2-s3-bucket", "repo2-s3-region", "repo2-s3-endpoint", "repo3-s3-bucket"]) {
            assert.ok(!(k in global), `${k} must be left to the operator`);
        }
        assert.strictEqual(global["repo2-s3-key-type"], "web-id");
        assert.strictEqual(global["repo3-retention-full"], "365");
    });

    it("asks for key pairs as secrets when a repo uses shared credentials (the drill's endpoint)", () => {
        const input = inputFrom(rawConfig());
        const s = renderPgBackRest({
            ...input,
            locations: { ...input.locations, tier2: { kind: "s3", bucket: "b", region: "us-east-1", endpoint: "localhost:9443", credentials: "shared", uriStyle: "path", caFile: "/tmp/ca.pem" } },
        });
        assert.ok(s.secretOptions.includes("repo2-s3-key") && s.secretOptions.includes("repo2-s3-key-secret"));
        assert.strictEqual(s.options["repo2-s3-endpoint"], "localhost");
        assert.strictEqual(s.options["repo2-storage-port"], "9443");
        assert.strictEqual(s.options["repo2-s3-uri-style"], "path");
        assert.strictEqual(s.options["repo2-storage-ca-file"], "/tmp/ca.pem");
    });

    it("renders a stack config the same way the explicit input does", () => {
        const c = validateConfig(rawConfig());
        assert.deepStrictEqual(renderFromConfig(c, LOCATIONS), renderPgBackRest({ ...inputFrom(rawConfig()), processMax: c.postgres.archiveProcessMax }));
    });

    it("rejects bad input with the field and the fix", () => {
        const input = inputFrom(rawConfig());
        assert.throws(() => renderPgBackRest({ ...input, walQueueMax: "4GB" }), /postgres\.walQueueMax: got "4GB"; use a positive size such as "4GiB"/);
        assert.throws(() => renderPgBackRest({ ...input, walQueueMax: "0GiB" }), PgBackRestConfigError);
        assert.throws(() => renderPgBackRest({ ...input, databaseRpoSeconds: 1 }), /rpoSeconds: got 1; WAL archiving cannot bound loss below 2 s/);
        assert.throws(() => renderPgBackRest({ ...input, archivePushIoTimeoutSeconds: 0 }), /postgres\.archivePushIoTimeoutSeconds: got 0/);
        assert.throws(() => renderPgBackRest({ ...input, processMax: 0 }), /postgres\.archiveProcessMax: got 0/);
        assert.throws(
            () => renderPgBackRest({ ...input, locations: { ...input.locations, tier2: { kind: "s3", bucket: "b", region: "r", endpoint: "https://s3.example", credentials: "web-id" } } }),
            /locations\.tier2\.endpoint: got "https:\/\/s3\.example"; give the host/,
        );
    });

    it("writes ini text with sorted keys and refuses values that would inject a line", () => {
        assert.strictEqual(toIni({ global: { b: "2", a: "1" }, db: { "pg1-path": "/x" } }), "[global]\na=1\nb=2\n\n[db]\npg1-path=/x\n");
        assert.throws(() => toIni({ global: { "repo1-cipher-pass": "x\nrepo1-type=posix" } }), /\[global\] repo1-cipher-pass: a value must not contain a line break/);
    });
});
