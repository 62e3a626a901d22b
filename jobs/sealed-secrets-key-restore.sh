#!/usr/bin/env bash
# Restores the Sealed Secrets sealing keys from a backup written by sealed-secrets-key-backup.sh
# into a cluster whose controller has not started yet (the DR region): fetch and verify with
# backup-fetch.sh, then create each key Secret through the Kubernetes API in the controller's
# namespace with the label the controller looks for
# (sealedsecrets.bitnami.com/sealed-secrets-key: active). A controller that starts with a key
# present uses it instead of generating its own, so every SealedSecret sealed in the primary
# region opens here.
#
# A key that is already there with the same certificate and private key is left alone (the
# Job may run twice); one with the same name but other contents is never overwritten: the
# script stops and names it, because replacing a sealing key makes other secrets unreadable.
#
# Environment (required unless a default is shown):
#   SEALED_SECRETS_NAMESPACE   the controller's namespace (where its keys must be)
#   KUBERNETES_API, KUBE_TOKEN_FILE, KUBE_CA_FILE   as for sealed-secrets-key-backup.sh
#   BACKUP_BUCKET, BACKUP_PREFIX (one or several, the newest backup under any is used),
#   BACKUP_KEY_FILE, AWS_REGION, S3_ENDPOINT_URL, MANIFEST_KEY, WORK_DIR   as for backup-fetch.sh
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"
# shellcheck source=lib/kube-api.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kube-api.sh"

require_env SEALED_SECRETS_NAMESPACE "the namespace the Sealed Secrets controller will run in, e.g. kube-system"
kube_api_require_env
require_store_env
require_key_env
require_commands curl jq

with_work_dir
trap cleanup_work_dir EXIT
umask 077

keys_file="$WORK_DIR/sealing-keys.json"
WORK_DIR="$WORK_DIR/fetch" DATA_CLASS=sealed-secrets-key OUTPUT_FILE="$keys_file" \
    "$(dirname "${BASH_SOURCE[0]}")/backup-fetch.sh" || die "fetching the sealing-key backup failed (see above); no key was created"
count="$(jq '.items | length' "$keys_file")"
((count > 0)) || die "the backup holds no sealing key; nothing to restore"
jq -e 'all(.items[]; .kind == "Secret" and .data["tls.crt"] != null and .data["tls.key"] != null)' "$keys_file" >/dev/null ||
    die "the backup holds an item that is not a sealing key (a Secret with tls.crt and tls.key); refusing to create it"

base="/api/v1/namespaces/$SEALED_SECRETS_NAMESPACE/secrets"
created=0
for i in $(seq 0 $((count - 1))); do
    # The controller's namespace here, whatever it was in the primary; the label marks it active.
    jq --arg ns "$SEALED_SECRETS_NAMESPACE" --arg keylabel "$SEALED_SECRETS_KEY_LABEL" \
        ".items[$i] | .metadata.namespace = \$ns | .metadata.labels = ((.metadata.labels // {}) + {(\$keylabel): \"active\"})" \
        "$keys_file" >"$WORK_DIR/key.json"
    name="$(jq -r .metadata.name "$WORK_DIR/key.json")"
    status="$(kube_api POST "$base" "$WORK_DIR/key.json")"
    case "$status" in
        201) created=$((created + 1)); log "created $SEALED_SECRETS_NAMESPACE/$name" ;;
        409)
            status="$(kube_api GET "$base/$name")"
            [[ "$status" == 200 ]] || die "$SEALED_SECRETS_NAMESPACE/$name exists but reading it returned HTTP $status"
            if jq -e --slurpfile want "$WORK_DIR/key.json" \
                '.data["tls.crt"] == $want[0].data["tls.crt"] and .data["tls.key"] == $want[0].data["tls.key"]' "$WORK_DIR/answer.json" >/dev/null; then
                log "$SEALED_SECRETS_NAMESPACE/$name already holds this key"
            else
                die "$SEALED_SECRETS_NAMESPACE/$name exists with another key; not overwritten (delete it only if no secret was sealed with it, then run again)"
            fi
            ;;
        401) die "the Kubernetes API rejected the token in KUBE_TOKEN_FILE (401)" ;;
        403) die "the service account may not create secrets in $SEALED_SECRETS_NAMESPACE (403); it needs create and get on secrets there" ;;
        *) die "creating $SEALED_SECRETS_NAMESPACE/$name returned HTTP $status: $(head -c 300 "$WORK_DIR/answer.json")" ;;
    esac
done
log "done: $count sealing key(s) in $SEALED_SECRETS_NAMESPACE, $created created"
