# shellcheck shell=bash
# Talking to the Kubernetes API with curl and the pod's service account: the part the Sealed
# Secrets key backup and restore share. Sourced after common.sh.
#
# Environment (defaults are what a pod has):
#   KUBERNETES_API=https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (set in a pod)
#   KUBE_TOKEN_FILE=/var/run/secrets/kubernetes.io/serviceaccount/token
#   KUBE_CA_FILE=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt  (https only)

# The label the Sealed Secrets controller puts on every sealing key it generates (and looks for).
SEALED_SECRETS_KEY_LABEL="sealedsecrets.bitnami.com/sealed-secrets-key"

# kube_api_require_env: fills the defaults above and checks them; sets KUBE_CURL_TLS.
kube_api_require_env() {
    local sa_dir=/var/run/secrets/kubernetes.io/serviceaccount
    KUBE_TOKEN_FILE="${KUBE_TOKEN_FILE:-$sa_dir/token}"
    KUBE_CA_FILE="${KUBE_CA_FILE:-$sa_dir/ca.crt}"
    if [[ -z "${KUBERNETES_API:-}" && -n "${KUBERNETES_SERVICE_HOST:-}" ]]; then
        KUBERNETES_API="https://$KUBERNETES_SERVICE_HOST:${KUBERNETES_SERVICE_PORT:-443}"
    fi
    require_env KUBERNETES_API "the Kubernetes API URL (set automatically inside a pod through KUBERNETES_SERVICE_HOST)"
    require_file KUBE_TOKEN_FILE "the service account token (mounted automatically in a pod)"
    KUBE_CURL_TLS=()
    if [[ "$KUBERNETES_API" == https://* ]]; then
        require_file KUBE_CA_FILE "the cluster CA certificate (mounted automatically in a pod)"
        KUBE_CURL_TLS=(--cacert "$KUBE_CA_FILE")
    fi
}

# kube_api METHOD PATH [BODY_FILE]: prints the HTTP status; the answer is in $WORK_DIR/answer.json.
# The token goes in a header file under WORK_DIR for the one request, never on the command line
# where ps would show it.
kube_api() {
    local body=() rc=0
    [[ -n "${3:-}" ]] && body=(-H 'Content-Type: application/json' --data-binary "@$3")
    (umask 077 && printf 'Authorization: Bearer %s\n' "$(<"$KUBE_TOKEN_FILE")" >"$WORK_DIR/auth.header")
    curl -sS "${KUBE_CURL_TLS[@]}" -H "@$WORK_DIR/auth.header" -X "$1" "${body[@]}" -o "$WORK_DIR/answer.json" -w '%{http_code}' \
        "$KUBERNETES_API$2" 2>"$WORK_DIR/curl.err" || rc=$?
    rm -f "$WORK_DIR/auth.header"
    ((rc == 0)) || die "cannot reach the Kubernetes API at $KUBERNETES_API: $(head -1 "$WORK_DIR/curl.err")"
}
