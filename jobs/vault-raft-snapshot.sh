#!/usr/bin/env bash
# Takes a Vault raft snapshot and stores it, encrypted, in one backup tier.
#
# Logs in with the pod's service account (Vault's Kubernetes auth method), downloads
# /v1/sys/storage/raft/snapshot, checks it is a complete snapshot archive, and stores it
# with the shared pipeline (lz4, AES-256, sha256 manifest, SHA-256 checksum header).
# A Vault snapshot is itself encrypted by Vault's barrier; it is unusable without the
# unseal (KMS) key, which is why that key is a multi-Region key with a replica in the DR
# region. Restore: jobs/backup-fetch.sh, then `vault operator raft snapshot restore <file>`.
#
# Environment (required unless a default is shown):
#   VAULT_ADDR                 e.g. https://vault.vault.svc:8200
#   VAULT_CACERT               optional CA bundle for VAULT_ADDR
#   VAULT_K8S_ROLE             the Kubernetes auth role bound to this job's service account
#   VAULT_K8S_AUTH_PATH=kubernetes
#   KUBE_TOKEN_FILE=/var/run/secrets/kubernetes.io/serviceaccount/token
#   VAULT_TOKEN_FILE           optional; a Vault token instead of the Kubernetes login
#   BACKUP_TIER, BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_KEY_FILE, AWS_REGION, S3_ENDPOINT_URL,
#   CLOUDWATCH_ENDPOINT_URL, METRIC_NAMESPACE, WORK_DIR   as for redis-snapshot.sh
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

VAULT_K8S_AUTH_PATH="${VAULT_K8S_AUTH_PATH:-kubernetes}"
KUBE_TOKEN_FILE="${KUBE_TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}"

require_env VAULT_ADDR "Vault's address, e.g. https://vault.vault.svc:8200"
curl_tls=()
if [[ -n "${VAULT_CACERT:-}" ]]; then
    require_file VAULT_CACERT "CA bundle that signed Vault's certificate"
    curl_tls=(--cacert "$VAULT_CACERT")
fi
if [[ -n "${VAULT_TOKEN_FILE:-}" ]]; then
    require_file VAULT_TOKEN_FILE "file holding a Vault token with read on sys/storage/raft/snapshot"
else
    require_env VAULT_K8S_ROLE "the Vault Kubernetes-auth role for this job (or set VAULT_TOKEN_FILE)"
    require_file KUBE_TOKEN_FILE "the service account token (mounted automatically in a pod)"
fi
require_tier BACKUP_TIER
require_store_env
require_single_prefix
require_key_env
require_commands curl tar lz4 openssl sha256sum jq python3

backup_begin secrets
BACKUP_SOURCE="$VAULT_ADDR"
umask 077

t="$(now_ms)"
# Tokens travel in files (request body, header file), never on the command line.
if [[ -n "${VAULT_TOKEN_FILE:-}" ]]; then
    vault_token="$(<"$VAULT_TOKEN_FILE")"
else
    jq -n --arg jwt "$(<"$KUBE_TOKEN_FILE")" --arg role "$VAULT_K8S_ROLE" '{jwt: $jwt, role: $role}' >"$WORK_DIR/login.json"
    status="$(curl -sS "${curl_tls[@]}" -X POST --data "@$WORK_DIR/login.json" -o "$WORK_DIR/login.out" -w '%{http_code}' \
        "$VAULT_ADDR/v1/auth/$VAULT_K8S_AUTH_PATH/login" 2>"$WORK_DIR/curl.err")" ||
        die "cannot reach Vault at $VAULT_ADDR: $(head -1 "$WORK_DIR/curl.err")"
    rm -f "$WORK_DIR/login.json"
    [[ "$status" == 200 ]] ||
        die "Vault login at auth/$VAULT_K8S_AUTH_PATH with role $VAULT_K8S_ROLE returned HTTP $status: $(jq -c '.errors // .' "$WORK_DIR/login.out" 2>/dev/null | head -c 300)"
    vault_token="$(jq -r '.auth.client_token // empty' "$WORK_DIR/login.out")"
    rm -f "$WORK_DIR/login.out"
    [[ -n "$vault_token" ]] || die "Vault login returned no client token"
fi
printf 'X-Vault-Token: %s\n' "$vault_token" >"$WORK_DIR/token.header"
unset vault_token
step_done login "$t"

t="$(now_ms)"
snap="$WORK_DIR/vault.snap"
status="$(curl -sS "${curl_tls[@]}" -H "@$WORK_DIR/token.header" -o "$snap" -w '%{http_code}' \
    "$VAULT_ADDR/v1/sys/storage/raft/snapshot" 2>"$WORK_DIR/curl.err")" ||
    die "downloading the raft snapshot from $VAULT_ADDR failed: $(head -1 "$WORK_DIR/curl.err")"
rm -f "$WORK_DIR/token.header"
[[ "$status" == 200 ]] || die "GET sys/storage/raft/snapshot returned HTTP $status: $(head -c 300 "$snap")"
# A raft snapshot is a gzip'd tar holding meta.json, state.bin and SHA256SUMS; a truncated
# download fails here rather than at restore time.
tar -tzf "$snap" >"$WORK_DIR/snap.list" 2>/dev/null && grep -qx 'meta.json' "$WORK_DIR/snap.list" && grep -qx 'SHA256SUMS' "$WORK_DIR/snap.list" ||
    die "the raft snapshot from $VAULT_ADDR is not a complete snapshot archive (no meta.json / SHA256SUMS)"
step_done snapshot "$t" "bytes=$(size_of "$snap")"

backup_store "$snap" vault-raft snap
log "stored s3://$BACKUP_BUCKET/$BACKUP_MANIFEST_KEY"
