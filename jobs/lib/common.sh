# shellcheck shell=bash
# Shared helpers for the backup-job scripts. Sourced, never run.
#
# Every script takes its locations and credentials from environment variables (each one
# documented at the top of the script) and stops with a message that names the variable
# and what to set, because these scripts run unattended in CronJobs where the log line is
# all an operator sees.

set -euo pipefail

JOB_NAME="${JOB_NAME:-$(basename "$0" .sh)}"

log() {
    printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$JOB_NAME" "$*" >&2
}

die() {
    log "ERROR: $*"
    exit 1
}

# require_env NAME "what it is and how to set it"
require_env() {
    local name="$1" hint="$2"
    if [[ -z "${!name:-}" ]]; then
        die "environment variable $name is not set: $hint"
    fi
}

# require_file VAR "hint": VAR names a file that must exist, be readable and be non-empty.
require_file() {
    local name="$1" hint="$2"
    require_env "$name" "$hint"
    local file="${!name}"
    [[ -f "$file" ]] || die "$name=$file: no such file ($hint)"
    [[ -r "$file" ]] || die "$name=$file: not readable by uid $(id -u) ($hint)"
    [[ -s "$file" ]] || die "$name=$file: file is empty ($hint)"
}

# require_tier VAR: tier1, tier2 or tier3.
require_tier() {
    local name="$1"
    require_env "$name" "the backup tier this run writes to: tier1, tier2 or tier3"
    case "${!name}" in
        tier1 | tier2 | tier3) ;;
        *) die "$name=${!name}: not a tier; use tier1, tier2 or tier3" ;;
    esac
}

# require_port VAR
require_port() {
    local name="$1"
    if ! [[ "${!name}" =~ ^[0-9]+$ ]] || ((${!name} < 1 || ${!name} > 65535)); then
        die "$name=${!name}: not a TCP port; use a number from 1 to 65535"
    fi
}

# require_commands cmd...: fail early, naming every missing tool, rather than halfway through.
require_commands() {
    local missing=()
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    ((${#missing[@]} == 0)) || die "missing command(s): ${missing[*]}; install them or run in the fortress job image (jobs/Dockerfile)"
}

# redis_password_from_file: when REDIS_PASSWORD_FILE is set, check it and export its contents
# as REDISCLI_AUTH, which redis-cli reads from the environment, so it never shows in ps.
redis_password_from_file() {
    if [[ -n "${REDIS_PASSWORD_FILE:-}" ]]; then
        require_file REDIS_PASSWORD_FILE "file holding the Redis password"
        REDISCLI_AUTH="$(<"$REDIS_PASSWORD_FILE")"
        export REDISCLI_AUTH
    fi
}

now_ms() {
    date +%s%3N
}

# step NAME START_MS [DETAIL]: one machine-readable timing line per step; the drill parses them.
step_done() {
    local name="$1" start="$2" detail="${3:-}"
    local ms=$(($(now_ms) - start))
    log "step=$name ms=$ms${detail:+ $detail}"
}

sha256_of() {
    sha256sum "$1" | cut -d' ' -f1
}

size_of() {
    stat -c %s "$1"
}

# The S3 and CloudWatch client. Python's boto3 is used because it follows the standard AWS
# credential chain (IRSA web identity in the cluster, static keys in the drill), takes an
# explicit endpoint for S3-compatible stores, and sends the SHA-256 checksum header that
# Object Lock buckets require; the AWS CLI is not in the image.
S3PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/s3.py"
s3() {
    python3 "$S3PY" "$@"
}

# Object-store settings shared by every job.
require_store_env() {
    require_env BACKUP_BUCKET "the tier's S3 bucket name (from the stack's storage outputs)"
    require_env BACKUP_PREFIX "the key prefix inside the bucket, e.g. tier1/redis"
    require_env AWS_REGION "the bucket's AWS region, e.g. eu-west-1"
    local prefix
    for prefix in $BACKUP_PREFIX; do
        [[ "$prefix" != /* && "$prefix" != */ ]] ||
            die "BACKUP_PREFIX=$BACKUP_PREFIX: a prefix must not start or end with '/'; use e.g. tier1/redis"
    done
    export AWS_REGION
}

# A backup is written under exactly one prefix (several are for restores only).
require_single_prefix() {
    [[ "$BACKUP_PREFIX" != *" "* ]] || die "BACKUP_PREFIX=$BACKUP_PREFIX: a backup is written under one prefix; several are for restores only"
}

require_key_env() {
    require_file BACKUP_KEY_FILE "path of the file holding the backup encryption passphrase (the mounted Kubernetes secret)"
}

# Encryption parameters; written into every manifest so a restore never has to guess them.
CIPHER="aes-256-cbc"
KDF_DIGEST="sha256"
KDF_ITERATIONS="100000"

encrypt_file() {
    openssl enc -e -"$CIPHER" -salt -pbkdf2 -md "$KDF_DIGEST" -iter "$KDF_ITERATIONS" \
        -pass "file:$BACKUP_KEY_FILE" -in "$1" -out "$2"
}

decrypt_file() {
    local cipher="$1" digest="$2" iterations="$3" in="$4" out="$5"
    openssl enc -d -"$cipher" -pbkdf2 -md "$digest" -iter "$iterations" \
        -pass "file:$BACKUP_KEY_FILE" -in "$in" -out "$out"
}
