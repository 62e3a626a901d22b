#!/usr/bin/env bash
# Restores a Redis/Valkey data directory from a snapshot written by redis-snapshot.sh.
#
#   download manifest + object -> sha256 and size against the manifest -> decrypt -> lz4 -d
#   -> sha256 of the RDB against the manifest -> redis-check-rdb
#   -> (only now touch the data directory) place dump.rdb -> load it with AOF OFF
#   -> CONFIG SET appendonly yes (rewrites the AOF from memory) -> clean shutdown
#
# Why the load runs with AOF off: a server started with `appendonly yes` over a directory
# that holds only an RDB ignores the RDB, comes up empty, and on shutdown writes that empty
# dataset over the RDB. Loading with AOF off and then enabling it writes an AOF that holds
# the restored data, so the production server (appendonly yes) starts with everything.
#
# Every check runs before the data directory is touched: a snapshot that fails any of them
# is refused and the directory is left exactly as it was.
#
# Usage: redis-restore.sh [--verify-only] [--replace-existing]
#   --verify-only       download and verify the snapshot, then stop (the daily verification)
#   --replace-existing  the data directory may hold data; it is moved aside (never deleted)
#                       to <data dir>/pre-restore-<stamp>/ before the snapshot is placed
#
# Environment (required unless a default is shown):
#   BACKUP_BUCKET, AWS_REGION, BACKUP_KEY_FILE   as for redis-snapshot.sh
#   BACKUP_PREFIX              one prefix, or several separated by spaces: the newest
#                              snapshot under any of them is restored
#   S3_ENDPOINT_URL            optional; an S3-compatible endpoint instead of AWS
#   MANIFEST_KEY               optional; the snapshot to restore (default: the newest)
#   REDIS_DATA_DIR             the data directory to restore into (not with --verify-only);
#                              no server may be running on it
#   REDIS_DBFILENAME=dump.rdb  REDIS_APPENDDIRNAME=appendonlydir  as in the server's config
#   RESTORE_PORT=6390          loopback port of the temporary loading server
#   RESTORE_TIMEOUT_SECONDS=900  bound on loading and on the AOF rewrite
#   WORK_DIR                   optional scratch directory (default: a new temporary one)
#   REDIS_SERVER=redis-server REDIS_CLI=redis-cli REDIS_CHECK_RDB=redis-check-rdb
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

VERIFY_ONLY=0
REPLACE_EXISTING=0
for arg in "$@"; do
    case "$arg" in
        --verify-only) VERIFY_ONLY=1 ;;
        --replace-existing) REPLACE_EXISTING=1 ;;
        *) die "unknown argument $arg; use --verify-only and/or --replace-existing" ;;
    esac
done

REDIS_SERVER="${REDIS_SERVER:-redis-server}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
REDIS_CHECK_RDB="${REDIS_CHECK_RDB:-redis-check-rdb}"
REDIS_DBFILENAME="${REDIS_DBFILENAME:-dump.rdb}"
REDIS_APPENDDIRNAME="${REDIS_APPENDDIRNAME:-appendonlydir}"
RESTORE_PORT="${RESTORE_PORT:-6390}"
RESTORE_TIMEOUT_SECONDS="${RESTORE_TIMEOUT_SECONDS:-900}"

require_store_env
require_key_env
if ((VERIFY_ONLY == 0)); then
    require_env REDIS_DATA_DIR "the Redis data directory to restore into (the server's 'dir'), or pass --verify-only"
    [[ -d "$REDIS_DATA_DIR" ]] || die "REDIS_DATA_DIR=$REDIS_DATA_DIR: no such directory; create it (owned by the server's user) first"
    [[ -w "$REDIS_DATA_DIR" ]] || die "REDIS_DATA_DIR=$REDIS_DATA_DIR: not writable by uid $(id -u)"
    require_port RESTORE_PORT
    [[ "$RESTORE_TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "RESTORE_TIMEOUT_SECONDS=$RESTORE_TIMEOUT_SECONDS: use a whole number of seconds"
    [[ "$REDIS_DBFILENAME" != */* && "$REDIS_APPENDDIRNAME" != */* ]] || die "REDIS_DBFILENAME and REDIS_APPENDDIRNAME are names inside REDIS_DATA_DIR, not paths"
    require_commands "$REDIS_SERVER" "$REDIS_CLI"
fi
require_commands "$REDIS_CHECK_RDB" lz4 openssl sha256sum jq python3

with_work_dir
loader_pid=""
cleanup() {
    local rc=$?
    if [[ -n "$loader_pid" ]] && kill -0 "$loader_pid" 2>/dev/null; then
        kill -9 "$loader_pid" 2>/dev/null || true
        log "the loading server was still running and has been stopped"
    fi
    cleanup_work_dir
    exit "$rc"
}
trap cleanup EXIT
REFUSE_UNTOUCHED="${REDIS_DATA_DIR:-}"

# --- 1. Fetch and verify: nothing below touches the data directory until all checks pass ----
[[ -n "${MANIFEST_KEY:-}" ]] || MANIFEST_KEY="$(backup_newest_manifest)"
rdb="$WORK_DIR/snapshot.rdb"
backup_fetch "$MANIFEST_KEY" redis "$rdb"
manifest="$WORK_DIR/manifest.json"
jq -e '(.plaintext.keys|type) == "number" and (.plaintext.expires|type) == "number"' "$manifest" >/dev/null ||
    refuse "s3://$BACKUP_BUCKET/$MANIFEST_KEY has no key count (plaintext.keys / plaintext.expires)"
keys="$(jq -r .plaintext.keys "$manifest")"
expires="$(jq -r .plaintext.expires "$manifest")"

t="$(now_ms)"
"$REDIS_CHECK_RDB" "$rdb" >"$WORK_DIR/check.out" 2>&1 ||
    refuse "the RDB fails $REDIS_CHECK_RDB: $(grep -iE 'error' "$WORK_DIR/check.out" | head -3 | tr '\n' ' ')"
step_done check "$t" "keys=$keys"

if ((VERIFY_ONLY == 1)); then
    log "verified s3://$BACKUP_BUCKET/$MANIFEST_KEY: checksums match, decrypts, decompresses, RDB loads in $REDIS_CHECK_RDB ($keys keys)"
    exit 0
fi

# --- 2. Only now: the data directory ----------------------------------------------------
existing=()
for f in "$REDIS_DATA_DIR/$REDIS_DBFILENAME" "$REDIS_DATA_DIR/$REDIS_APPENDDIRNAME"; do
    [[ -e "$f" ]] && existing+=("$f")
done
# A lone appendonly.aof (Redis < 7) would also be loaded in preference to the RDB.
[[ -e "$REDIS_DATA_DIR/appendonly.aof" ]] && existing+=("$REDIS_DATA_DIR/appendonly.aof")
if ((${#existing[@]} > 0)); then
    ((REPLACE_EXISTING == 1)) ||
        refuse "$REDIS_DATA_DIR already holds data (${existing[*]}); pass --replace-existing to move it aside"
    aside="$REDIS_DATA_DIR/pre-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir "$aside"
    mv "${existing[@]}" "$aside/"
    log "moved the existing data to $aside"
fi

t="$(now_ms)"
# Copy under a temporary name, then rename: the directory never holds a half-written RDB.
cp "$rdb" "$REDIS_DATA_DIR/.$REDIS_DBFILENAME.restoring"
mv "$REDIS_DATA_DIR/.$REDIS_DBFILENAME.restoring" "$REDIS_DATA_DIR/$REDIS_DBFILENAME"
rm -f "$rdb"
step_done place "$t"

# --- 3. Load with AOF off, then enable AOF --------------------------------------------------
cli() { "$REDIS_CLI" -h 127.0.0.1 -p "$RESTORE_PORT" "$@"; }
info_field() { cli INFO "$1" 2>/dev/null | tr -d '\r' | sed -n "s/^$2:\(.*\)$/\1/p"; }
deadline=$(($(date +%s) + RESTORE_TIMEOUT_SECONDS))
wait_until() { # wait_until "what" command...: bounded by RESTORE_TIMEOUT_SECONDS
    local what="$1"
    shift
    until "$@"; do
        [[ -n "$loader_pid" ]] && ! kill -0 "$loader_pid" 2>/dev/null &&
            die "the loading server exited while waiting for $what; see $WORK_DIR/loader.log: $(tail -3 "$WORK_DIR/loader.log" | tr '\n' ' ')"
        (($(date +%s) < deadline)) || die "timed out after ${RESTORE_TIMEOUT_SECONDS}s waiting for $what (RESTORE_TIMEOUT_SECONDS)"
        sleep 0.1
    done
}

t="$(now_ms)"
# No save points, AOF off, loopback only: nothing but this script can write while loading.
"$REDIS_SERVER" --port "$RESTORE_PORT" --bind 127.0.0.1 --dir "$REDIS_DATA_DIR" \
    --dbfilename "$REDIS_DBFILENAME" --appenddirname "$REDIS_APPENDDIRNAME" \
    --appendonly no --save "" --daemonize no --logfile "$WORK_DIR/loader.log" &
loader_pid=$!
loaded() { [[ "$(info_field persistence loading)" == "0" ]]; }
wait_until "the RDB to load" loaded
dbsize="$(cli DBSIZE | tr -d '\r')"
# Keys with a TTL may have expired since the snapshot; every other key must be there.
((dbsize <= keys && dbsize >= keys - expires)) ||
    die "loaded $dbsize keys but the snapshot holds $keys ($expires with a TTL); see $WORK_DIR/loader.log"
step_done load "$t" "keys=$dbsize"

t="$(now_ms)"
[[ "$(cli CONFIG SET appendonly yes | tr -d '\r')" == "OK" ]] || die "CONFIG SET appendonly yes was refused"
aof_written() {
    [[ "$(info_field persistence aof_enabled)" == "1" &&
        "$(info_field persistence aof_rewrite_in_progress)" == "0" &&
        "$(info_field persistence aof_rewrite_scheduled)" == "0" ]]
}
wait_until "the AOF rewrite" aof_written
[[ "$(info_field persistence aof_last_bgrewrite_status)" == "ok" ]] ||
    die "the AOF rewrite failed; see $WORK_DIR/loader.log"
cli SHUTDOWN >/dev/null 2>&1 || true
wait "$loader_pid" || true
loader_pid=""
[[ -d "$REDIS_DATA_DIR/$REDIS_APPENDDIRNAME" ]] || die "no $REDIS_APPENDDIRNAME was written in $REDIS_DATA_DIR"
step_done aof "$t"

log "restored $dbsize keys from s3://$BACKUP_BUCKET/$MANIFEST_KEY (taken $(jq -r .createdAt "$manifest")) into $REDIS_DATA_DIR; start the server with appendonly yes"
