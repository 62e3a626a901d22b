# shellcheck shell=bash
# Storing and fetching one backup object: the part every backup job shares (Redis RDB
# snapshots, the Sealed Secrets sealing keys, Vault raft snapshots). Sourced after common.sh.
#
# Stored layout, per snapshot, under BACKUP_PREFIX:
#   <stamp>.<ext>.lz4.enc    the payload, lz4-compressed then AES-256-CBC encrypted
#   <stamp>.manifest.json    written last; checksums of the stored object and of the payload,
#                            and the parameters needed to open it (format fortress-backup/1)
# A manifest exists only for an object whose upload completed, so readers start from manifests.

# backup_begin DATA_CLASS: starts a backup job once its settings are checked: the scratch
# directory (with_work_dir), the exit trap, and the snapshot's name and time.
# On every exit, failures included, the trap publishes the newest-backup age of DATA_CLASS
# (publish_backup_age): a failing job then shows as a growing age, which is what the
# backup-age alarm watches. Then it removes the scratch directory and logs the outcome.
backup_begin() {
    BACKUP_AGE_DATA_CLASS="$1"
    with_work_dir
    trap _backup_finish EXIT
    BACKUP_STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
    BACKUP_CREATED_EPOCH="$(date -u +%s)"
}

_backup_finish() {
    local rc=$?
    publish_backup_age "$BACKUP_AGE_DATA_CLASS"
    cleanup_work_dir
    if ((rc == 0)); then log "done"; else log "FAILED (exit $rc)"; fi
    exit "$rc"
}

# backup_store FILE DATA_CLASS EXT [PLAINTEXT_JSON]
# Compresses, encrypts and uploads FILE, then its manifest. PLAINTEXT_JSON (an object) is
# merged into the manifest's "plaintext" section (e.g. the key count of an RDB).
# Consumes FILE. Sets BACKUP_MANIFEST_KEY and BACKUP_STORED_BYTES.
backup_store() {
    local plain="$1" data_class="$2" ext="$3" extra="${4:-}"
    [[ -n "$extra" ]] || extra='{}'
    local base="$BACKUP_PREFIX/$BACKUP_STAMP"
    local object_key="$base.$ext.lz4.enc"
    local manifest_file="$WORK_DIR/$BACKUP_STAMP.manifest.json"
    local plain_sha plain_size t
    plain_sha="$(sha256_of "$plain")"
    plain_size="$(size_of "$plain")"

    # lz4 frames carry a content checksum: a second integrity check on the way back.
    t="$(now_ms)"
    lz4 -q -z "$plain" "$plain.lz4"
    rm -f "$plain"
    step_done compress "$t" "bytes=$(size_of "$plain.lz4")"

    t="$(now_ms)"
    encrypt_file "$plain.lz4" "$plain.lz4.enc"
    rm -f "$plain.lz4"
    step_done encrypt "$t"

    t="$(now_ms)"
    local enc="$plain.lz4.enc"
    jq -n \
        --arg dataClass "$data_class" \
        --arg tier "${BACKUP_TIER:-}" \
        --arg source "${BACKUP_SOURCE:-}" \
        --arg createdAt "$BACKUP_STAMP" \
        --argjson createdAtEpoch "$BACKUP_CREATED_EPOCH" \
        --arg object "$object_key" \
        --arg sha256 "$(sha256_of "$enc")" \
        --argjson size "$(size_of "$enc")" \
        --arg cipher "$CIPHER" --arg kdfDigest "$KDF_DIGEST" --argjson kdfIterations "$KDF_ITERATIONS" \
        --arg plainSha256 "$plain_sha" --argjson plainSize "$plain_size" --arg format "$ext" \
        --argjson extra "$extra" \
        '{format: "fortress-backup/1", dataClass: $dataClass, tier: $tier, source: $source,
          createdAt: $createdAt, createdAtEpoch: $createdAtEpoch,
          object: $object, sha256: $sha256, size: $size, compression: "lz4",
          encryption: {cipher: $cipher, kdf: "pbkdf2", kdfDigest: $kdfDigest, kdfIterations: $kdfIterations},
          plaintext: ({format: $format, sha256: $plainSha256, size: $plainSize} + $extra)}' \
        >"$manifest_file"
    step_done manifest "$t"

    # Object first, manifest last: the manifest marks the snapshot complete.
    t="$(now_ms)"
    BACKUP_STORED_BYTES="$(size_of "$enc")"
    s3 put "$BACKUP_BUCKET" "$object_key" "$enc"
    s3 put "$BACKUP_BUCKET" "$base.manifest.json" "$manifest_file"
    step_done upload "$t" "bytes=$BACKUP_STORED_BYTES"
    rm -f "$enc"
    # shellcheck disable=SC2034 # read by the calling script
    BACKUP_MANIFEST_KEY="$base.manifest.json"
}

# publish_backup_age DATA_CLASS: the newest manifest's age to CloudWatch. Never fails the job.
# DATA_CLASS is the tier config's name (redis, secrets, ...): the alarms are keyed on it, and
# several jobs of one class (Sealed Secrets keys, Vault snapshots) share its alarm.
publish_backup_age() {
    local data_class="$1" age
    if age="$(s3 publish-age "$BACKUP_BUCKET" "$BACKUP_PREFIX" "${METRIC_NAMESPACE:-Fortress/Backups}" NewestBackupAgeSeconds \
        "DataClass=$data_class" "Tier=${BACKUP_TIER:-unknown}")"; then
        log "metric ${METRIC_NAMESPACE:-Fortress/Backups}/NewestBackupAgeSeconds{DataClass=$data_class,Tier=${BACKUP_TIER:-unknown}}=$age"
    else
        log "WARNING: could not publish the newest-backup age"
    fi
}

# backup_newest_manifest: the key of the newest manifest under BACKUP_PREFIX, or die.
# BACKUP_PREFIX may list several prefixes (space-separated) for a restore: in the DR region
# the tier-2 bucket holds both tier 2's own snapshots and the RTC copies of tier 1's, and
# the newest of either is the smallest loss. Snapshot names are UTC stamps, so the newest
# is the greatest file name whatever its prefix.
backup_newest_manifest() {
    local best="" key prefix rc
    for prefix in $BACKUP_PREFIX; do
        rc=0
        key="$(s3 newest "$BACKUP_BUCKET" "$prefix" .manifest.json)" || rc=$?
        ((rc == 3)) && continue
        ((rc == 0)) || exit "$rc"
        if [[ -z "$best" || "${key##*/}" > "${best##*/}" ]]; then best="$key"; fi
    done
    [[ -n "$best" ]] || die "no snapshot manifest under s3://$BACKUP_BUCKET/ in $BACKUP_PREFIX; check BACKUP_BUCKET and BACKUP_PREFIX"
    printf '%s' "$best"
}

# refuse MESSAGE: stop before anything is changed, and say so.
refuse() {
    die "REFUSED: $*; nothing was restored${REFUSE_UNTOUCHED:+ and $REFUSE_UNTOUCHED was not touched}"
}

_older_hint() {
    local others
    local prefix
    others="$(for prefix in $BACKUP_PREFIX; do s3 list "$BACKUP_BUCKET" "$prefix" .manifest.json; done |
        grep -vxF "$1" | awk -F/ '{print $NF " " $0}' | sort | cut -d' ' -f2 | tail -3 | tr '\n' ' ')" || true
    [[ -n "$others" ]] && printf '; to restore an earlier snapshot set MANIFEST_KEY to one of: %s' "${others% }"
}

# backup_fetch MANIFEST_KEY DATA_CLASS OUT_FILE
# Downloads, verifies (sha256 and size of the stored object), decrypts, decompresses and
# verifies again (sha256 of the payload). Refuses on any mismatch; OUT_FILE is written only
# when every check passed. Leaves the manifest in $WORK_DIR/manifest.json.
backup_fetch() {
    local manifest_key="$1" data_class="$2" out="$3" t
    [[ "$manifest_key" == *.manifest.json ]] || die "MANIFEST_KEY=$manifest_key: not a manifest key (…/<stamp>.manifest.json)"
    log "restoring from s3://$BACKUP_BUCKET/$manifest_key"

    t="$(now_ms)"
    local manifest="$WORK_DIR/manifest.json"
    s3 get "$BACKUP_BUCKET" "$manifest_key" "$manifest"
    jq -e --arg dc "$data_class" '.format == "fortress-backup/1" and .dataClass == $dc and (.object|type) == "string"
        and (.sha256|test("^[0-9a-f]{64}$")) and (.plaintext.sha256|test("^[0-9a-f]{64}$"))
        and .compression == "lz4" and (.encryption.cipher|type) == "string"
        and (.encryption.kdfIterations|type) == "number" and (.size|type) == "number"' "$manifest" >/dev/null 2>&1 ||
        refuse "s3://$BACKUP_BUCKET/$manifest_key is not a valid fortress-backup/1 manifest for $data_class"
    local object_key want_sha want_size
    object_key="$(jq -r .object "$manifest")"
    want_sha="$(jq -r .sha256 "$manifest")"
    want_size="$(jq -r .size "$manifest")"
    local enc="$WORK_DIR/fetched.lz4.enc"
    s3 get "$BACKUP_BUCKET" "$object_key" "$enc"
    step_done download "$t" "bytes=$(size_of "$enc")"

    t="$(now_ms)"
    local got
    got="$(sha256_of "$enc")"
    [[ "$got" == "$want_sha" ]] ||
        refuse "sha256 mismatch for s3://$BACKUP_BUCKET/$object_key: the object hashes to $got but its manifest records $want_sha (size $(size_of "$enc") vs $want_size bytes); the snapshot is corrupt or was altered$(_older_hint "$manifest_key")"
    step_done verify "$t" "sha256=$got"

    t="$(now_ms)"
    decrypt_file "$(jq -r .encryption.cipher "$manifest")" "$(jq -r .encryption.kdfDigest "$manifest")" \
        "$(jq -r .encryption.kdfIterations "$manifest")" "$enc" "$WORK_DIR/fetched.lz4" 2>"$WORK_DIR/decrypt.err" ||
        refuse "decryption of s3://$BACKUP_BUCKET/$object_key failed ($(head -1 "$WORK_DIR/decrypt.err")); BACKUP_KEY_FILE does not hold the key this snapshot was written with"
    rm -f "$enc"
    step_done decrypt "$t"

    t="$(now_ms)"
    lz4 -q -d "$WORK_DIR/fetched.lz4" "$WORK_DIR/fetched.plain" 2>"$WORK_DIR/lz4.err" ||
        refuse "lz4 decompression of s3://$BACKUP_BUCKET/$object_key failed: $(head -1 "$WORK_DIR/lz4.err")"
    rm -f "$WORK_DIR/fetched.lz4"
    got="$(sha256_of "$WORK_DIR/fetched.plain")"
    [[ "$got" == "$(jq -r .plaintext.sha256 "$manifest")" ]] ||
        refuse "the decrypted payload of s3://$BACKUP_BUCKET/$object_key hashes to $got but the manifest records $(jq -r .plaintext.sha256 "$manifest")"
    mv "$WORK_DIR/fetched.plain" "$out"
    step_done decompress "$t" "bytes=$(size_of "$out")"
}

# with_work_dir: WORK_DIR from the environment, or a temporary one removed on exit
# (callers' EXIT traps call cleanup_work_dir).
with_work_dir() {
    OWN_WORK_DIR=""
    if [[ -z "${WORK_DIR:-}" ]]; then
        WORK_DIR="$(mktemp -d)"
        OWN_WORK_DIR="$WORK_DIR"
    fi
    mkdir -p "$WORK_DIR"
}

cleanup_work_dir() {
    if [[ -n "${OWN_WORK_DIR:-}" ]]; then rm -rf "$OWN_WORK_DIR"; fi
}
