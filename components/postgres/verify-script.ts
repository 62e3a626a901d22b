/**
 * The backup-verification script: `pgbackrest verify` and `info` on every repository and a
 * restore test from one of them. The verification CronJob runs this text, and so does the
 * drill (drills/postgres) against real repositories — a corrupted file must turn it red.
 *
 * pgBackRest 2.45 reports trouble in its output, not always in its exit code: `info` exits 0
 * with a stanza in error and `verify` exits 0 after finding invalid files. The verdict is
 * therefore the `status:` line, and `--repo` is always explicit (verify reads repo1 only
 * without it).
 */

/** Metric names the script writes to RESULTS, one `<metric> <repo> <value>` line each. */
export const VERIFY_METRICS = {
    infoOk: "InfoOk",
    verifyOk: "VerifyOk",
    verifySeconds: "VerifySeconds",
    restoreOk: "RestoreTestOk",
    restoreSeconds: "RestoreTestSeconds",
} as const;

export interface VerifyResult {
    readonly metric: string;
    readonly repo: number;
    readonly value: number;
}

/** Parses the RESULTS file the script writes. */
export function parseVerifyResults(text: string): VerifyResult[] {
    return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => {
            const [metric, repo, value] = l.trim().split(/\s+/);
            if (value === undefined || Number.isNaN(Number(repo)) || Number.isNaN(Number(value))) {
                throw new Error(`verification results: cannot read line "${l}"; expected "<metric> <repo> <value>"`);
            }
            return { metric, repo: Number(repo), value: Number(value) };
        });
}

/**
 * Environment: STANZA, REPOS ("1 2 3"), RESULTS (file), SCRATCH (an empty, writable directory),
 * RESTORE_REPO (optional: the repo to restore-test), PG_BIN (PostgreSQL binaries), PGBR_ARGS
 * (optional: e.g. --config=...; not PGBACKREST_*, which pgBackRest reads as options). Exits 1 when anything failed, after checking everything.
 */
export function verificationScript(): string {
    const m = VERIFY_METRICS;
    return `#!/bin/bash
# Rendered by components/postgres/verify-script.ts; the verification CronJob and the drill run this text.
set -uo pipefail
: "\${STANZA:?}" "\${REPOS:?}" "\${RESULTS:?}" "\${SCRATCH:?}"
read -r -a opts <<<"\${PGBR_ARGS:-}"
pgbr() { pgbackrest "\${opts[@]}" --stanza="$STANZA" "$@"; }
failed=0
: >"$RESULTS"
result() { echo "$1 $2 $3" >>"$RESULTS"; }
verdict() { grep -Eq '^[[:space:]]*status: ok[[:space:]]*$' <<<"$1"; }

for repo in $REPOS; do
    # info exits 0 even when the stanza or the repo is in error: the status line decides.
    info="$(pgbr --repo="$repo" info 2>&1)"; rc=$?
    if [ "$rc" -eq 0 ] && verdict "$info"; then result ${m.infoOk} "$repo" 1; else
        result ${m.infoOk} "$repo" 0; failed=1
        echo "repo$repo: pgbackrest info (exit $rc): $(grep -E 'status|ERROR' <<<"$info" | head -n 3 | tr -s ' ')" >&2
    fi
    # verify exits 0 even after finding invalid files, and says "status: ok" only when asked
    # for text output with --verbose; without --repo it would read repo1 only.
    vstart=$(date +%s)
    out="$(pgbr --repo="$repo" --output=text --verbose verify 2>&1)"; rc=$?
    result ${m.verifySeconds} "$repo" "$(($(date +%s) - vstart))"
    if [ "$rc" -eq 0 ] && verdict "$out"; then result ${m.verifyOk} "$repo" 1; else
        result ${m.verifyOk} "$repo" 0; failed=1
        echo "repo$repo: pgbackrest verify (exit $rc): $(grep -E 'invalid|missing|status: |ERROR' <<<"$out" | head -n 5 | tr -s ' ')" >&2
    fi
done

if [ -n "\${RESTORE_REPO:-}" ]; then
    data="$SCRATCH/restore-test"
    port="\${RESTORE_PORT:-15432}"
    rm -rf "$data" && mkdir -m 700 "$data"
    start=$(date +%s)
    ok=0
    # Latest backup, consistent and promoted; no WAL archiving from the copy.
    # Its own spool and lock directories: a restore clears the archive queue, which must not be
    # one a running cluster's archiver shares.
    mkdir -p "$SCRATCH/spool" "$SCRATCH/lock"
    if pgbr --repo="$RESTORE_REPO" --pg1-path="$data" --spool-path="$SCRATCH/spool" --lock-path="$SCRATCH/lock" \
        --type=immediate --target-action=promote --archive-mode=off restore >"$SCRATCH/restore.log" 2>&1 &&
        "$PG_BIN/pg_ctl" -D "$data" -l "$SCRATCH/postgres.log" -w -t 3600 \\
            -o "-c port=$port -c listen_addresses='' -c unix_socket_directories=$SCRATCH -c archive_mode=off -c ssl=off" start >/dev/null; then
        # pg_ctl returns once read-only connections are accepted; the promotion follows.
        for _ in $(seq 1 3600); do
            state="$("$PG_BIN/psql" -h "$SCRATCH" -p "$port" -U postgres -d postgres -Atc "select pg_is_in_recovery()::text || ' ' || count(*) from pg_class" 2>&1)"
            case "$state" in "false "*) break ;; esac
            sleep 1
        done
        "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        case "$state" in "false "[1-9]*) ok=1 ;; *) echo "restore test from repo$RESTORE_REPO: the restored server answered: $state" >&2 ;; esac
    else
        echo "restore test from repo$RESTORE_REPO failed: $(grep -E 'ERROR|FATAL' "$SCRATCH/restore.log" "$SCRATCH/postgres.log" 2>/dev/null | head -n 3)" >&2
    fi
    result ${m.restoreOk} "$RESTORE_REPO" "$ok"
    result ${m.restoreSeconds} "$RESTORE_REPO" "$(($(date +%s) - start))"
    [ "$ok" -eq 1 ] || failed=1
    rm -rf "$data"
fi
exit "$failed"
`;
}
