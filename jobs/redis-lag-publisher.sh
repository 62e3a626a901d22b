#!/usr/bin/env bash
# Publishes the Redis replicas' lag to CloudWatch every PUBLISH_INTERVAL_SECONDS, for the
# < 1 s replica-lag objective (alarm: Fortress/Redis ReplicaLagSeconds{Cluster=...}).
#
# Asks a Sentinel which member is primary, reads INFO replication there, and publishes the
# largest `lag` of the connected replicas. A replica that is missing (fewer connected than
# EXPECTED_REPLICAS) or not online counts as MISSING_REPLICA_LAG seconds behind, so the alarm
# fires on a lost replica too, not only on a slow one. Runs until stopped (a Deployment).
#
# Environment (required unless a default is shown):
#   SENTINEL_HOST              the Sentinel service, e.g. redis-sentinel.fortress.svc
#   SENTINEL_PORT=26379
#   REDIS_MASTER_NAME          the primary's name in Sentinel
#   REDIS_PASSWORD_FILE        optional; file holding the server password
#   CLUSTER_NAME               the metric's Cluster dimension
#   EXPECTED_REPLICAS=2
#   PUBLISH_INTERVAL_SECONDS=10  MISSING_REPLICA_LAG=3600
#   AWS_REGION / CLOUDWATCH_REGION, CLOUDWATCH_ENDPOINT_URL   where the metric goes
#   HEARTBEAT_FILE=/tmp/heartbeat  touched every round, for the liveness probe
#   ONCE=1                     publish one datapoint and exit (tests)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

REDIS_CLI="${REDIS_CLI:-redis-cli}"
SENTINEL_PORT="${SENTINEL_PORT:-26379}"
EXPECTED_REPLICAS="${EXPECTED_REPLICAS:-2}"
PUBLISH_INTERVAL_SECONDS="${PUBLISH_INTERVAL_SECONDS:-10}"
MISSING_REPLICA_LAG="${MISSING_REPLICA_LAG:-3600}"

require_env SENTINEL_HOST "the Sentinel service, e.g. redis-sentinel.fortress.svc"
require_port SENTINEL_PORT
require_env REDIS_MASTER_NAME "the primary's name in Sentinel (sentinel monitor <name> ...)"
require_env CLUSTER_NAME "the Cluster dimension of the metric, e.g. fortress-redis"
require_env AWS_REGION "the region of the metric (or CLOUDWATCH_REGION)"
export AWS_REGION
[[ "$EXPECTED_REPLICAS" =~ ^[0-9]+$ ]] || die "EXPECTED_REPLICAS=$EXPECTED_REPLICAS: use a whole number"
[[ "$PUBLISH_INTERVAL_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "PUBLISH_INTERVAL_SECONDS=$PUBLISH_INTERVAL_SECONDS: use a whole number of seconds"
redis_password_from_file
require_commands "$REDIS_CLI" python3 timeout

# worst_lag: prints the largest replica lag in seconds, MISSING_REPLICA_LAG for a missing one.
worst_lag() {
    local primary host port info worst=0 online=0 lag
    primary="$(timeout 3 "$REDIS_CLI" -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" --no-auth-warning SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" 2>/dev/null)" || true
    host="$(sed -n 1p <<<"$primary")"
    port="$(sed -n 2p <<<"$primary")"
    if [[ -z "$host" || -z "$port" ]]; then
        log "no Sentinel answer for $REDIS_MASTER_NAME at $SENTINEL_HOST:$SENTINEL_PORT"
        echo "$MISSING_REPLICA_LAG"
        return
    fi
    info="$(timeout 3 "$REDIS_CLI" -h "$host" -p "$port" --no-auth-warning INFO replication 2>/dev/null | tr -d '\r')" || true
    # slaveN:ip=...,port=...,state=online,offset=...,lag=0
    while IFS= read -r line; do
        [[ "$line" == *state=online* ]] || continue
        online=$((online + 1))
        lag="$(sed -n 's/.*,lag=\([0-9]*\).*/\1/p' <<<"$line")"
        [[ -n "$lag" ]] && ((lag > worst)) && worst="$lag"
    done < <(grep -E '^slave[0-9]+:' <<<"$info")
    if ((online < EXPECTED_REPLICAS)); then
        log "only $online of $EXPECTED_REPLICAS replicas online at $host:$port"
        worst="$MISSING_REPLICA_LAG"
    fi
    echo "$worst"
}

while :; do
    # The pod's probes read this file's age: a hung loop stops touching it.
    touch "${HEARTBEAT_FILE:-/tmp/heartbeat}"
    lag="$(worst_lag)"
    if s3 put-metric Fortress/Redis ReplicaLagSeconds "$lag" Seconds "Cluster=$CLUSTER_NAME"; then
        log "Fortress/Redis/ReplicaLagSeconds{Cluster=$CLUSTER_NAME}=$lag"
    fi
    [[ "${ONCE:-}" == 1 ]] && break
    sleep "$PUBLISH_INTERVAL_SECONDS"
done
