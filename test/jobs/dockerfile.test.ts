/**
 * The job image cannot be built here (no Docker engine), so these tests hold the Dockerfile
 * to what the scripts and the stack need: every script is in the image, every tool a script
 * calls is installed, and the Redis tools come from the same image the StatefulSet runs.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { configSchema } from "../../config";

const JOBS = path.resolve(__dirname, "..", "..", "jobs");
const dockerfile = fs.readFileSync(path.join(JOBS, "Dockerfile"), "utf8");
const scripts = fs.readdirSync(JOBS).filter((f) => f.endsWith(".sh"));

describe("jobs/Dockerfile", () => {
    it("copies the Redis tools from the schema's default Redis image", () => {
        const arg = /^ARG VALKEY_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
        assert.strictEqual(arg, configSchema.shape.redis.parse(undefined).image);
        assert.match(dockerfile, /^FROM \$\{VALKEY_IMAGE\} AS valkey$/m);
        assert.match(dockerfile, /^COPY --from=valkey \/usr\/local\/bin\/valkey-server \/usr\/local\/bin\/valkey-cli /m);
    });

    it("is built on Debian slim", () => {
        assert.match(dockerfile, /^ARG DEBIAN_IMAGE=debian:[a-z0-9.-]+-slim$/m);
        assert.match(dockerfile, /^FROM \$\{DEBIAN_IMAGE\}$/m);
    });

    it("copies every job script and the shared library", () => {
        const copied = /^COPY ((?:[\w.-]+\.sh )+)\/opt\/fortress\/jobs\/$/m.exec(dockerfile)?.[1].trim().split(" ") ?? [];
        assert.deepStrictEqual(copied.sort(), scripts.sort());
        assert.match(dockerfile, /^COPY lib\/ \/opt\/fortress\/jobs\/lib\/$/m);
    });

    it("installs every command the scripts require", () => {
        const installed = new Set(["bash", "curl", "jq", "lz4", "openssl", "tar", "python3", "sha256sum", "timeout"]);
        for (const pkg of ["bash", "coreutils", "curl", "jq", "lz4", "openssl", "tar", "python3", "python3-boto3"]) {
            assert.match(dockerfile, new RegExp(`\\s${pkg.replace(/[.+]/g, "\\$&")}[\\s\\\\]`), `package ${pkg} is not installed`);
        }
        for (const script of scripts) {
            const text = fs.readFileSync(path.join(JOBS, script), "utf8");
            for (const line of text.split("\n").filter((l) => l.startsWith("require_commands "))) {
                for (const cmd of line.replace("require_commands ", "").split(/\s+/).filter((c) => c && !c.startsWith('"$'))) {
                    assert.ok(installed.has(cmd), `${script} requires ${cmd}, which the image does not install`);
                }
            }
        }
    });

    it("points the scripts at the Valkey binaries and runs them as a non-root user", () => {
        assert.match(dockerfile, /REDIS_SERVER=valkey-server/);
        assert.match(dockerfile, /REDIS_CLI=valkey-cli/);
        assert.match(dockerfile, /REDIS_CHECK_RDB=valkey-check-rdb/);
        assert.match(dockerfile, /ln -s valkey-server \/usr\/local\/bin\/valkey-check-rdb/);
        assert.match(dockerfile, /^USER 10001$/m);
    });
});
