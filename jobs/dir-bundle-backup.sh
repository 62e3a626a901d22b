#!/usr/bin/env bash
# Stores a directory of files as one encrypted bundle in one backup tier, with the shared
# pipeline of lib/backup.sh (lz4, AES-256, sha256 manifest written last). The lab driver uses
# it for the configuration (a directory of exported objects) and secrets (the sealing keys and
# other secret material) data classes; on the platform those are Velero, and
# sealed-secrets-key-backup.sh / vault-raft-snapshot.sh, which share the same pipeline.
#
# The bundle is a tar (names sorted, owner 0, times fixed) of the directory's regular files
# plus a SHA256SUMS index of them, so a restore checks every file, not only the whole.
# Restore: backup-fetch.sh with DATA_CLASS=configuration|secrets, then `tar -x` into a new
# directory and `sha256sum -c SHA256SUMS` there.
#
# Environment (required unless a default is shown):
#   BUNDLE_DIR                 the directory to store: regular files (any depth) only
#   DATA_CLASS                 configuration | secrets (a manifest field and a metric dimension)
#   BACKUP_TIER, BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_KEY_FILE, AWS_REGION, S3_ENDPOINT_URL,
#   CLOUDWATCH_ENDPOINT_URL, METRIC_NAMESPACE, WORK_DIR   as for redis-snapshot.sh
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

require_env BUNDLE_DIR "the directory to back up"
[[ -d "$BUNDLE_DIR" ]] || die "BUNDLE_DIR=$BUNDLE_DIR: no such directory"
require_env DATA_CLASS "configuration or secrets"
case "$DATA_CLASS" in
    configuration | secrets) ;;
    *) die "DATA_CLASS=$DATA_CLASS: use configuration or secrets" ;;
esac
require_tier BACKUP_TIER
require_store_env
require_single_prefix
require_key_env
require_commands tar lz4 openssl sha256sum jq python3

# What is stored is checked before anything else runs (nothing is published for a refused run).
odd="$(cd "$BUNDLE_DIR" && find . -mindepth 1 ! -type f ! -type d | head -3 | tr '\n' ' ')"
[[ -z "$odd" ]] || die "BUNDLE_DIR=$BUNDLE_DIR holds entries that are not regular files or directories ($odd); only files are stored"
[[ ! -e "$BUNDLE_DIR/SHA256SUMS" ]] || die "BUNDLE_DIR=$BUNDLE_DIR/SHA256SUMS exists; that name is the bundle's own index"
files="$(cd "$BUNDLE_DIR" && find . -type f | wc -l)"
((files > 0)) || die "BUNDLE_DIR=$BUNDLE_DIR holds no file; refusing to store an empty $DATA_CLASS backup"
if [[ "$DATA_CLASS" == secrets && -e "$BUNDLE_DIR/sealing-keys.json" ]]; then
    jq -e '.kind == "List" and (.items|length) > 0 and all(.items[]; .kind == "Secret" and .data["tls.crt"] != null and .data["tls.key"] != null)' \
        "$BUNDLE_DIR/sealing-keys.json" >/dev/null 2>&1 ||
        die "$BUNDLE_DIR/sealing-keys.json is not a List of sealing-key Secrets (tls.crt and tls.key); refusing to store it as the sealing keys"
fi

backup_begin "$DATA_CLASS"
BACKUP_SOURCE="$(hostname):$BUNDLE_DIR"
umask 077

t="$(now_ms)"
(cd "$BUNDLE_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$WORK_DIR/SHA256SUMS"
bundle="$WORK_DIR/$BACKUP_STAMP.tar"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$BACKUP_CREATED_EPOCH" \
    -cf "$bundle" -C "$BUNDLE_DIR" . -C "$WORK_DIR" SHA256SUMS 2>"$WORK_DIR/tar.err" ||
    die "tar of $BUNDLE_DIR failed: $(head -2 "$WORK_DIR/tar.err" | tr '\n' ' ')"
rm -f "$WORK_DIR/SHA256SUMS"
step_done bundle "$t" "files=$files bytes=$(size_of "$bundle")"

backup_store "$bundle" "$DATA_CLASS" tar "{\"files\": $files}"
log "stored s3://$BACKUP_BUCKET/$BACKUP_MANIFEST_KEY (files=$files)"
