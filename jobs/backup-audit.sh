#!/usr/bin/env bash
# Weekly backup audit (the DR plan's "weekly backup auditing"): every backup, verify and
# backup-age run of the last AUDIT_DAYS as the jobs published it (slo-run.sh: one datapoint
# per run, kept at one-minute resolution for 15 days), the per-class and tier completion and
# window adherence, and the `fortress` CLI's audit records of those days (tier-3 bucket,
# fortress-audit/<stack>/<yyyy>/<mm>/<dd>/), written as one JSON report to the log archive:
# s3://$LOG_ARCHIVE_BUCKET/$AUDIT_OUTPUT_PREFIX/<year>-W<week>-<time>.json.
#
# Environment (required unless a default is shown):
#   LOG_ARCHIVE_BUCKET          the log archive bucket (the stack's log-archive output)
#   AUDIT_OUTPUT_PREFIX=backup-audit
#   AUDIT_RECORDS_BUCKET        optional; the bucket of the CLI's audit records (tier 3)
#   AUDIT_RECORDS_PREFIX        optional; e.g. fortress-audit/prod
#   AUDIT_DAYS=7
#   SLO_NAMESPACE=Fortress/BackupSLO
#   AWS_REGION                  the log archive's region; CLOUDWATCH_REGION the metrics'
#   S3_ENDPOINT_URL, CLOUDWATCH_ENDPOINT_URL   optional local endpoints
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

AUDIT_DAYS="${AUDIT_DAYS:-7}"
require_env LOG_ARCHIVE_BUCKET "the log archive bucket the report is written to"
require_env AWS_REGION "the log archive bucket's region"
export AWS_REGION
[[ "$AUDIT_DAYS" =~ ^[1-9][0-9]*$ ]] || die "AUDIT_DAYS=$AUDIT_DAYS: use a whole number of days, e.g. 7"
if [[ -n "${AUDIT_RECORDS_BUCKET:-}" || -n "${AUDIT_RECORDS_PREFIX:-}" ]]; then
    require_env AUDIT_RECORDS_BUCKET "the bucket holding the fortress CLI's audit records (tier 3), set with AUDIT_RECORDS_PREFIX"
    require_env AUDIT_RECORDS_PREFIX "the audit records' prefix, e.g. fortress-audit/prod, set with AUDIT_RECORDS_BUCKET"
fi
require_commands python3

out="$(s3 backup-audit "${SLO_NAMESPACE:-Fortress/BackupSLO}" "$AUDIT_DAYS" "$LOG_ARCHIVE_BUCKET" "${AUDIT_OUTPUT_PREFIX:-backup-audit}" \
    ${AUDIT_RECORDS_BUCKET:+"$AUDIT_RECORDS_BUCKET" "$AUDIT_RECORDS_PREFIX"})" || die "the backup-audit report was not written"
log "backup-audit report $out"
