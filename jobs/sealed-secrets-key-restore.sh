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

KEY_LABEL="sealedsecrets.bitnami.com/sealed-secrets-key"
SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount
KUBE_TOKEN_FILE="${KUBE_TOKEN_FILE:-$SA_DIR/token}"
KUBE_CA_FILE="${KUBE_CA_FILE:-$SA_DIR/ca.crt}"
if [[ -z "${KUBERNETES_API:-}" && -n "${KUBERNETES_SERVICE_HOST:-}" ]]; then
    KUBERNETES_API="https://$KUBERNETES_SERVICE_HOST:${KUBERNETES_SERVICE_PORT:-443}"
fi

require_env SEALED_SECRETS_NAMESPACE "the namespace the Sealed Secrets controller will run in, e.g. kube-system"
require_env KUBERNETES_API "the Kubernetes API URL (set automatically inside a pod through KUBERNETES_SERVICE_HOST)"
require_file KUBE_TOKEN_FILE "the service account token (mounted automatically in a pod)"
curl_tls=()
if [[ "$KUBERNETES_API" == https://* ]]; then
    require_file KUBE_CA_FILE "the cluster CA certificate (mounted automatically in a pod)"
    curl_tls=(--cacert "$KUBE_CA_FILE")
fi
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

# The token goes in a header file, never on the command line where ps would show it.
printf 'Authorization: Bearer %s\n' "$(<"$KUBE_TOKEN_FILE")" >"$WORK_DIR/auth.header"
api() { # api METHOD PATH [BODY_FILE] -> prints the HTTP status, body in $WORK_DIR/answer.json
    local body=()
    [[ -n "${3:-}" ]] && body=(-H 'Content-Type: application/json' --data-binary "@$3")
    curl -sS "${curl_tls[@]}" -H "@$WORK_DIR/auth.header" -X "$1" "${body[@]}" -o "$WORK_DIR/answer.json" -w '%{http_code}' \
        "$KUBERNETES_API$2" 2>"$WORK_DIR/curl.err" || die "cannot reach the Kubernetes API at $KUBERNETES_API: $(head -1 "$WORK_DIR/curl.err")"
}

base="/api/v1/namespaces/$SEALED_SECRETS_NAMESPACE/secrets"
created=0
for i in $(seq 0 $((count - 1))); do
    # The controller's namespace here, whatever it was in the primary; the label marks it active.
    jq --arg ns "$SEALED_SECRETS_NAMESPACE" --arg keylabel "$KEY_LABEL" \
        ".items[$i] | .metadata.namespace = \$ns | .metadata.labels = ((.metadata.labels // {}) + {(\$keylabel): \"active\"})" \
        "$keys_file" >"$WORK_DIR/key.json"
    name="$(jq -r .metadata.name "$WORK_DIR/key.json")"
    status="$(api POST "$base" "$WORK_DIR/key.json")"
    case "$status" in
        201) created=$((created + 1)); log "created $SEALED_SECRETS_NAMESPACE/$name" ;;
        409)
            status="$(api GET "$base/$name")"
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
rm -f "$WORK_DIR/auth.header"
log "done: $count sealing key(s) in $SEALED_SECRETS_NAMESPACE, $created created"
