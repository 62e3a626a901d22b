#!/usr/bin/env bash
# Takes one RDB snapshot of a Redis/Valkey server and stores it, compressed and encrypted,
# in one backup tier; then publishes the age of the tier's newest snapshot to CloudWatch.
# Run by the redis-snapshot CronJobs (one per tier) and, unchanged, by the Redis drill.
#
#   redis-cli --rdb  ->  redis-check-rdb  ->  lz4  ->  openssl aes-256-cbc  ->  sha256
#   -> upload <stamp>.rdb.lz4.enc, then <stamp>.manifest.json
#
# The manifest is uploaded last: a manifest exists only for a snapshot whose object upload
# completed, so a restore that starts from manifests never picks a half-written snapshot.
#
# Environment (required unless a default is shown):
#   REDIS_HOST                 server to snapshot (any member holds the full dataset)
#   REDIS_PORT=6379
#   REDIS_PASSWORD_FILE        optional; file holding the server's password
#   BACKUP_TIER                tier1 | tier2 | tier3 (a metric dimension and a manifest field)
#   BACKUP_BUCKET              the tier's bucket
#   BACKUP_PREFIX              key prefix, e.g. redis/tier1
#   BACKUP_KEY_FILE            file holding the encryption passphrase (Kubernetes secret)
#   AWS_REGION                 the bucket's region
#   S3_ENDPOINT_URL            optional; an S3-compatible endpoint instead of AWS
#   CLOUDWATCH_ENDPOINT_URL    optional; likewise for the metric
#   CLOUDWATCH_REGION          optional; the metric's region (default AWS_REGION)
#   METRIC_NAMESPACE=Fortress/Backups
#   SNAPSHOT_TIMEOUT_SECONDS=600
#   WORK_DIR                   optional scratch directory (default: a new temporary one)
#   REDIS_CLI=redis-cli REDIS_CHECK_RDB=redis-check-rdb   tool names (valkey-* also work)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

REDIS_CLI="${REDIS_CLI:-redis-cli}"
REDIS_CHECK_RDB="${REDIS_CHECK_RDB:-redis-check-rdb}"
REDIS_PORT="${REDIS_PORT:-6379}"
SNAPSHOT_TIMEOUT_SECONDS="${SNAPSHOT_TIMEOUT_SECONDS:-600}"

require_env REDIS_HOST "the Redis/Valkey server to snapshot, e.g. fortress-redis.fortress.svc"
require_port REDIS_PORT
require_tier BACKUP_TIER
require_store_env
require_single_prefix
require_key_env
[[ "$SNAPSHOT_TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "SNAPSHOT_TIMEOUT_SECONDS=$SNAPSHOT_TIMEOUT_SECONDS: use a whole number of seconds"
redis_password_from_file
require_commands "$REDIS_CLI" "$REDIS_CHECK_RDB" lz4 openssl sha256sum jq python3 timeout

# Publishes the newest-backup age on every exit, failures included (lib/backup.sh).
backup_begin redis
BACKUP_SOURCE="$REDIS_HOST:$REDIS_PORT"
rdb="$WORK_DIR/$BACKUP_STAMP.rdb"
log "snapshot of $BACKUP_SOURCE to s3://$BACKUP_BUCKET/$BACKUP_PREFIX/$BACKUP_STAMP.* ($BACKUP_TIER)"

# 1. Dump. --rdb makes the server fork and stream an RDB as it would to a new replica.
t="$(now_ms)"
timeout "$SNAPSHOT_TIMEOUT_SECONDS" "$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$rdb" >/dev/null 2>"$WORK_DIR/dump.err" ||
    die "redis-cli --rdb from $BACKUP_SOURCE failed or exceeded ${SNAPSHOT_TIMEOUT_SECONDS}s: $(tr '\n' ' ' <"$WORK_DIR/dump.err")"
[[ -s "$rdb" ]] || die "redis-cli --rdb from $BACKUP_SOURCE produced an empty file"
step_done dump "$t" "bytes=$(size_of "$rdb")"

# 2. Check the RDB before it leaves the machine: a snapshot that cannot load is not a backup.
t="$(now_ms)"
"$REDIS_CHECK_RDB" "$rdb" >"$WORK_DIR/check.out" 2>&1 ||
    die "the dumped RDB fails $REDIS_CHECK_RDB: $(grep -iE 'error' "$WORK_DIR/check.out" | head -3 | tr '\n' ' ')"
keys_read="$(sed -n 's/^\[info\] \([0-9]*\) keys read$/\1/p' "$WORK_DIR/check.out")"
expires="$(sed -n 's/^\[info\] \([0-9]*\) expires$/\1/p' "$WORK_DIR/check.out")"
[[ -n "$keys_read" && -n "$expires" ]] || die "could not read the key count from $REDIS_CHECK_RDB output"
step_done check "$t" "keys=$keys_read"

# 3-6. Compress, encrypt, manifest, upload.
backup_store "$rdb" redis rdb "{\"keys\": $keys_read, \"expires\": $expires}"
log "stored s3://$BACKUP_BUCKET/$BACKUP_MANIFEST_KEY (keys=$keys_read)"
