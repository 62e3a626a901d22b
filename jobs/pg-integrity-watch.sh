#!/usr/bin/env bash
# Watches PostgreSQL's data-checksum failures, for the S2 (database corruption) detection
# objective: a corrupted page fails its checksum when something reads it, and PostgreSQL
# counts that in pg_stat_database.checksum_failures. Every WATCH_INTERVAL_SECONDS this reads
# the counters, publishes their sum as Fortress/Database ChecksumFailures{Cluster=...}, and on
# an increase publishes an alert straight to the alert topic: a CloudWatch alarm on the metric
# would add at least one 60 s period to the detection time.
#
# What this cannot see: a corrupted page that nothing reads. The daily `pgbackrest verify`
# CronJob stays the backstop for those (docs/postgres.md, "S2").
#
# Failures already counted when the watch starts are alerted once (a restarted pod cannot tell
# whether its predecessor did): a duplicate alert is cheaper than a missed one.
#
# Environment (required unless a default is shown):
#   PGHOST, PGPORT=5432, PGUSER, PGDATABASE   the primary (the operator's pguser Secret)
#   PGPASSWORD                 optional; the user's password (from the same Secret)
#   CLUSTER_NAME               the metric's Cluster dimension, named in the alert
#   ALERT_TOPIC_ARN            the SNS alert topic (the detection step's output)
#   AWS_REGION / CLOUDWATCH_REGION, CLOUDWATCH_ENDPOINT_URL   where the metric goes
#   SNS_ENDPOINT_URL           optional; a local SNS endpoint (tests)
#   WATCH_INTERVAL_SECONDS=30  QUERY_TIMEOUT_SECONDS=10
#   HEARTBEAT_FILE=/tmp/heartbeat  touched every round, for the liveness probe (a hung loop
#                              stops touching it; an unreachable server is logged, not restarted)
#   ONCE=1                     one round, then exit (tests)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PSQL="${PSQL:-psql}"
export PGPORT="${PGPORT:-5432}"
WATCH_INTERVAL_SECONDS="${WATCH_INTERVAL_SECONDS:-30}"
QUERY_TIMEOUT_SECONDS="${QUERY_TIMEOUT_SECONDS:-10}"

require_env PGHOST "the primary's host (key 'host' of the <cluster>-pguser-<user> Secret)"
require_port PGPORT
require_env PGUSER "the database user (key 'user' of the <cluster>-pguser-<user> Secret)"
require_env PGDATABASE "a database the user may connect to (key 'dbname' of the same Secret)"
require_env CLUSTER_NAME "the Cluster dimension of the metric, e.g. fortress-pg"
require_env ALERT_TOPIC_ARN "the SNS alert topic, arn:aws:sns:REGION:ACCOUNT:NAME (detection step output)"
require_env AWS_REGION "the region of the metric (or CLOUDWATCH_REGION)"
export AWS_REGION
[[ "$WATCH_INTERVAL_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "WATCH_INTERVAL_SECONDS=$WATCH_INTERVAL_SECONDS: use a whole number of seconds"
[[ "$QUERY_TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "QUERY_TIMEOUT_SECONDS=$QUERY_TIMEOUT_SECONDS: use a whole number of seconds"
[[ "$ALERT_TOPIC_ARN" =~ ^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]+:[A-Za-z0-9_-]+$ ]] ||
    die "ALERT_TOPIC_ARN=$ALERT_TOPIC_ARN: not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME"
require_commands "$PSQL" python3 timeout
export PGCONNECT_TIMEOUT="$QUERY_TIMEOUT_SECONDS" PGAPPNAME="$JOB_NAME"

# sql QUERY: one unaligned row, fields separated by '|'; bounded so a hung server cannot stall the loop.
sql() {
    timeout "$QUERY_TIMEOUT_SECONDS" "$PSQL" -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -c "$1"
}

# Without data checksums PostgreSQL cannot tell a corrupted page (the counters stay NULL).
checksums="$(sql "show data_checksums")" || die "cannot query $PGUSER@$PGHOST:$PGPORT/$PGDATABASE (see psql's message above)"
[[ "$checksums" == on ]] || die "data_checksums is '$checksums' on $PGHOST: corruption cannot be detected; the cluster must be initialised with --data-checksums (or pg_checksums --enable while stopped)"

# The shared catalogs' row has no datname.
QUERY="select coalesce(sum(checksum_failures), 0)::bigint,
              coalesce(max(checksum_last_failure)::text, ''),
              coalesce(string_agg(coalesce(datname, '(shared)') || '=' || checksum_failures, ' ') filter (where checksum_failures > 0), '')
       from pg_stat_database"

alert() {
    local total="$1" last="$2" where="$3" previous="$4"
    local subject="PostgreSQL $CLUSTER_NAME: data checksum failures ($total)"
    local message
    message="$(printf '%s\n' \
        "PostgreSQL cluster $CLUSTER_NAME reports $total data-checksum failure(s) (was $previous when last read)." \
        "Per database: $where. Last failure: $last." \
        "A page on disk no longer matches its checksum: storage or memory corrupted it." \
        "Runbook: docs/postgres.md, S2 — find the relation from the server log (\"invalid page in block\")," \
        "then restore to a point before the corruption (pgBackRest point-in-time restore).")"
    if s3 publish-alert "$ALERT_TOPIC_ARN" "$subject" "$message"; then
        log "alert published: $total checksum failure(s) ($where)"
        return 0
    fi
    return 1
}

trap '[[ -n "${sleeper:-}" ]] && kill "$sleeper" 2>/dev/null; log "stopped"; exit 0' TERM INT
previous=""
while :; do
    touch "${HEARTBEAT_FILE:-/tmp/heartbeat}"
    start="$(now_ms)"
    if row="$(sql "$QUERY")"; then
        step_done query "$start"
        IFS='|' read -r total last where <<<"$row"
        if s3 put-metric Fortress/Database ChecksumFailures "$total" Count "Cluster=$CLUSTER_NAME"; then
            log "Fortress/Database/ChecksumFailures{Cluster=$CLUSTER_NAME}=$total"
        fi
        # The counters reset only with pg_stat_reset(); a drop is a new baseline, not an event.
        if ((total > ${previous:-0})); then
            # A failed publish keeps the old baseline, so the next round tries again.
            alert "$total" "$last" "$where" "${previous:-0}" && previous="$total"
        else
            previous="$total"
        fi
    else
        log "cannot query pg_stat_database on $PGHOST:$PGPORT (timeout ${QUERY_TIMEOUT_SECONDS}s); trying again in ${WATCH_INTERVAL_SECONDS}s"
    fi
    [[ "${ONCE:-}" == 1 ]] && break
    # In the background so SIGTERM ends the pod at once, not after the sleep.
    sleep "$WATCH_INTERVAL_SECONDS" &
    sleeper=$!
    wait "$sleeper" || true
done
