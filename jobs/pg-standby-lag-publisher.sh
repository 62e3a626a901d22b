#!/usr/bin/env bash
# Publishes the DR standby's replay lag to CloudWatch every PUBLISH_INTERVAL_SECONDS, for the
# standby-lag alarm and the DR dashboard (Fortress/Database StandbyReplayLagSeconds{Cluster}).
# Runs until stopped (a Deployment: components/postgres/standby-lag.ts).
#
# Read on the standby itself, one query per round:
#   seconds  now - pg_last_xact_replay_timestamp(): how old the newest replayed commit is.
#            Idle-primary caveat: with no new commits on the primary that age grows although
#            nothing is behind, so the lag is 0 when the standby is caught up — a WAL receiver
#            is streaming (a row in pg_stat_wal_receiver) and the receive LSN equals the replay
#            LSN. Not streaming (the connection is down, or replay from the archive only), the
#            age is reported as it is: nobody can tell the primary is idle, and the worst case
#            is the one to page on. A broken connection is noticed within the standby's
#            wal_receiver_timeout (60 s by default), when its WAL receiver stops.
#            Nothing replayed yet since the server started: UNKNOWN_LAG_SECONDS.
#   bytes    pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()): WAL received
#            and not replayed yet (not published while nothing was ever streamed: no receive LSN).
# A server that is not in recovery (promoted) publishes nothing and says so: the alarm treats a
# missing value as breaching. A server that cannot be reached publishes nothing either (another
# replica of the publisher may still reach it; the alarm takes the maximum).
#
# Environment (required unless a default is shown):
#   PGHOST, PGPORT=5432, PGUSER, PGDATABASE   the standby (in the cluster: the operator's
#                              replication user, by client certificate: PGSSLCERT, PGSSLKEY,
#                              PGSSLROOTCERT, PGSSLMODE=verify-full)
#   CLUSTER_NAME               the metric's Cluster dimension
#   METRIC_NAMESPACE, LAG_SECONDS_METRIC, LAG_BYTES_METRIC
#                              rendered by the component from the constants the alarm and the
#                              dashboard read (components/detection/metrics.ts)
#   AWS_REGION / CLOUDWATCH_REGION, CLOUDWATCH_ENDPOINT_URL   where the metrics go
#   PUBLISH_INTERVAL_SECONDS=20  QUERY_TIMEOUT_SECONDS=10  UNKNOWN_LAG_SECONDS=3600
#   HEARTBEAT_FILE=/tmp/heartbeat  touched every round, for the liveness probe
#   ONCE=1                     one round, then exit (tests); exit 1 when nothing was published
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PSQL="${PSQL:-psql}"
export PGPORT="${PGPORT:-5432}"
PUBLISH_INTERVAL_SECONDS="${PUBLISH_INTERVAL_SECONDS:-20}"
QUERY_TIMEOUT_SECONDS="${QUERY_TIMEOUT_SECONDS:-10}"
UNKNOWN_LAG_SECONDS="${UNKNOWN_LAG_SECONDS:-3600}"

require_env PGHOST "the standby's host (the DR cluster's <cluster>-primary Service: the standby leader)"
require_port PGPORT
require_env PGUSER "the database user (the operator's replication user _crunchyrepl, by certificate)"
require_env PGDATABASE "a database the user may connect to (postgres)"
require_env CLUSTER_NAME "the Cluster dimension of the metric, e.g. fortress-pg"
require_env METRIC_NAMESPACE "the metrics' namespace (rendered by components/postgres/standby-lag.ts)"
require_env LAG_SECONDS_METRIC "the replay-lag metric in seconds (rendered by components/postgres/standby-lag.ts)"
require_env LAG_BYTES_METRIC "the replay-lag metric in bytes (rendered by components/postgres/standby-lag.ts)"
require_env AWS_REGION "the region of the metric (or CLOUDWATCH_REGION)"
export AWS_REGION
for v in PUBLISH_INTERVAL_SECONDS QUERY_TIMEOUT_SECONDS UNKNOWN_LAG_SECONDS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: use a whole number of seconds"
done
require_commands "$PSQL" python3 timeout
export PGCONNECT_TIMEOUT="$QUERY_TIMEOUT_SECONDS" PGAPPNAME="$JOB_NAME"

# Every function here is executable by any role: no privilege beyond LOGIN is needed. Without
# pg_read_all_stats, pg_stat_wal_receiver shows only the pid: its row still says a receiver runs.
QUERY="select pg_is_in_recovery(),
              coalesce(pg_last_wal_receive_lsn()::text, ''),
              coalesce(pg_last_wal_replay_lsn()::text, ''),
              coalesce(greatest(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint::text, ''),
              coalesce(greatest(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()), 0)::numeric(14,3)::text, ''),
              exists (select 1 from pg_stat_wal_receiver)"

sql() {
    timeout "$QUERY_TIMEOUT_SECONDS" "$PSQL" -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -c "$1"
}

# round: reads the lag once and publishes it; returns 1 when nothing was published.
round() {
    local row recovery received replayed bytes age streaming seconds why
    if ! row="$(sql "$QUERY")"; then
        log "cannot query $PGUSER@$PGHOST:$PGPORT/$PGDATABASE (timeout ${QUERY_TIMEOUT_SECONDS}s); nothing published this round"
        return 1
    fi
    IFS='|' read -r recovery received replayed bytes age streaming <<<"$row"
    if [[ "$recovery" != t ]]; then
        log "WARNING: $PGHOST:$PGPORT is not in recovery (promoted, or not the standby): no standby lag to publish"
        return 1
    fi
    if [[ "$streaming" == t && -n "$received" && "$received" == "$replayed" ]]; then
        seconds=0
        why="caught up: streaming, received = replayed = $replayed"
    elif [[ -z "$age" ]]; then
        seconds="$UNKNOWN_LAG_SECONDS"
        why="nothing replayed since the server started; reported as UNKNOWN_LAG_SECONDS"
    else
        seconds="$age"
        why="newest replayed commit ${age} s old; streaming=$streaming received=${received:-none} replayed=${replayed:-none}"
    fi
    s3 put-metric "$METRIC_NAMESPACE" "$LAG_SECONDS_METRIC" "$seconds" Seconds "Cluster=$CLUSTER_NAME" || return 1
    log "$METRIC_NAMESPACE/$LAG_SECONDS_METRIC{Cluster=$CLUSTER_NAME}=$seconds ($why)"
    if [[ -n "$bytes" ]]; then
        s3 put-metric "$METRIC_NAMESPACE" "$LAG_BYTES_METRIC" "$bytes" Bytes "Cluster=$CLUSTER_NAME" || return 1
        log "$METRIC_NAMESPACE/$LAG_BYTES_METRIC{Cluster=$CLUSTER_NAME}=$bytes"
    fi
    return 0
}

trap '[[ -n "${sleeper:-}" ]] && kill "$sleeper" 2>/dev/null; log "stopped"; exit 0' TERM INT
while :; do
    # The pod's probes read this file's age: a hung loop stops touching it.
    touch "${HEARTBEAT_FILE:-/tmp/heartbeat}"
    if [[ "${ONCE:-}" == 1 ]]; then
        round
        exit $?
    fi
    round || true
    # In the background so SIGTERM ends the pod at once, not after the sleep.
    sleep "$PUBLISH_INTERVAL_SECONDS" &
    sleeper=$!
    wait "$sleeper" || true
done
