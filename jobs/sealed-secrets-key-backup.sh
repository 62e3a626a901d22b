#!/usr/bin/env bash
# Backs up the Sealed Secrets controller's sealing keys, encrypted, to one backup tier.
# Without these keys no SealedSecret in git can be decrypted in a rebuilt or DR cluster.
#
# Reads the key Secrets through the Kubernetes API (the label the controller puts on every
# key it generates), strips the server-side fields so the result can be applied to another
# cluster, and stores it with the same pipeline as the Redis snapshots (lz4, AES-256,
# sha256 manifest, SHA-256 checksum header). Restore: jobs/backup-fetch.sh, then
#   kubectl apply -f <file> && kubectl -n <namespace> delete pod -l app.kubernetes.io/name=sealed-secrets
#
# Environment (required unless a default is shown):
#   SEALED_SECRETS_NAMESPACE   the controller's namespace (where its keys live)
#   KUBERNETES_API=https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (set in a pod)
#   KUBE_TOKEN_FILE=/var/run/secrets/kubernetes.io/serviceaccount/token
#   KUBE_CA_FILE=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt  (https only)
#   BACKUP_TIER, BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_KEY_FILE, AWS_REGION, S3_ENDPOINT_URL,
#   CLOUDWATCH_ENDPOINT_URL, METRIC_NAMESPACE, WORK_DIR   as for redis-snapshot.sh
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"
# shellcheck source=lib/kube-api.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kube-api.sh"

require_env SEALED_SECRETS_NAMESPACE "the namespace the Sealed Secrets controller runs in, e.g. kube-system"
kube_api_require_env
require_tier BACKUP_TIER
require_store_env
require_single_prefix
require_key_env
require_commands curl lz4 openssl sha256sum jq python3

backup_begin secrets
BACKUP_SOURCE="$KUBERNETES_API namespace $SEALED_SECRETS_NAMESPACE"

t="$(now_ms)"
umask 077
status="$(kube_api GET "/api/v1/namespaces/$SEALED_SECRETS_NAMESPACE/secrets?labelSelector=${SEALED_SECRETS_KEY_LABEL//\//%2F}")"
mv "$WORK_DIR/answer.json" "$WORK_DIR/secrets.json"
case "$status" in
    200) ;;
    401) die "the Kubernetes API rejected the token in KUBE_TOKEN_FILE (401)" ;;
    403) die "the service account may not list secrets in $SEALED_SECRETS_NAMESPACE (403); it needs get/list on secrets there" ;;
    *) die "listing secrets in $SEALED_SECRETS_NAMESPACE returned HTTP $status: $(head -c 300 "$WORK_DIR/secrets.json")" ;;
esac

# Only what is needed to re-create each key elsewhere: no uid, resourceVersion or managedFields.
keys_file="$WORK_DIR/sealing-keys.json"
jq '{apiVersion: "v1", kind: "List", items: [.items[] | {apiVersion: "v1", kind: "Secret", type: .type,
      metadata: {name: .metadata.name, namespace: .metadata.namespace, labels: .metadata.labels},
      data: .data}]}' "$WORK_DIR/secrets.json" >"$keys_file" ||
    die "the API answer is not a SecretList: $(head -c 300 "$WORK_DIR/secrets.json")"
count="$(jq '.items | length' "$keys_file")"
((count > 0)) ||
    die "no Secret labelled $SEALED_SECRETS_KEY_LABEL in namespace $SEALED_SECRETS_NAMESPACE; is the controller installed there and has it started?"
jq -e 'all(.items[]; .data["tls.crt"] != null and .data["tls.key"] != null)' "$keys_file" >/dev/null ||
    die "a Secret labelled $SEALED_SECRETS_KEY_LABEL has no tls.crt/tls.key; refusing to back up something that is not a sealing key"
step_done export "$t" "keys=$count"

backup_store "$keys_file" sealed-secrets-key json "{\"keys\": $count}"
log "stored s3://$BACKUP_BUCKET/$BACKUP_MANIFEST_KEY ($count sealing key(s))"
