#!/usr/bin/env bash
# Fetches one stored backup (any data class) to a local file: download, verify the sha256
# of the stored object against its manifest, decrypt, decompress, verify the payload's
# sha256. Writes OUTPUT_FILE only when every check passed. Used to restore the Sealed
# Secrets sealing keys and Vault raft snapshots, and by a daily verification run.
#
# Environment (required unless a default is shown):
#   DATA_CLASS                 redis | sealed-secrets-key | vault-raft | configuration | secrets
#                              (must match the manifest; the last two: dir-bundle-backup.sh)
#   OUTPUT_FILE                where to write the payload; must not exist yet
#   MANIFEST_KEY               optional; the snapshot to fetch (default: the newest)
#   BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_KEY_FILE, AWS_REGION, S3_ENDPOINT_URL, WORK_DIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

require_env DATA_CLASS "the kind of backup to fetch: redis, sealed-secrets-key, vault-raft, configuration or secrets"
case "$DATA_CLASS" in
    redis | sealed-secrets-key | vault-raft | configuration | secrets) ;;
    *) die "DATA_CLASS=$DATA_CLASS: use redis, sealed-secrets-key, vault-raft, configuration or secrets" ;;
esac
require_env OUTPUT_FILE "the file to write the restored payload to"
[[ ! -e "$OUTPUT_FILE" ]] || die "OUTPUT_FILE=$OUTPUT_FILE already exists; choose a new path (nothing is overwritten)"
[[ -d "$(dirname "$OUTPUT_FILE")" ]] || die "OUTPUT_FILE=$OUTPUT_FILE: directory $(dirname "$OUTPUT_FILE") does not exist"
require_store_env
require_key_env
require_commands lz4 openssl sha256sum jq python3

with_work_dir
trap cleanup_work_dir EXIT
[[ -n "${MANIFEST_KEY:-}" ]] || MANIFEST_KEY="$(backup_newest_manifest)"
umask 077
backup_fetch "$MANIFEST_KEY" "$DATA_CLASS" "$WORK_DIR/payload"
mv "$WORK_DIR/payload" "$OUTPUT_FILE"
log "fetched s3://$BACKUP_BUCKET/$MANIFEST_KEY (taken $(jq -r .createdAt "$WORK_DIR/manifest.json")) to $OUTPUT_FILE"
