#!/usr/bin/env bash
# slo-run.sh COMMAND [ARG...]: runs one backup, verify or backup-age job and, when it ends —
# success, failure, or stopped by the Job's deadline (SIGTERM) — publishes the run to
# CloudWatch for the backup SLOs: Runs=1, Succeeded=1|0, WithinWindow=1|0 and
# DurationSeconds, with the DataClass, Tier and Purpose dimensions (in that order; the daily
# rollup adds the series up per purpose for the SLO alarms). `fortress backup` and `fortress
# dr-test` publish the same from the CLI (cli/slo-metrics.ts). The job's own exit code is kept;
# a failed publish is logged and never changes it.
#
# Every CronJob of components/platform/backup-job.ts, the PostgreSQL verification and
# backup-age jobs run their command through this wrapper (a test reads each rendered
# CronJob's command and env to check it).
#
# Environment:
#   SLO_DATA_CLASS        database | redis | configuration | secrets (the tier config's names)
#   SLO_TIER              tier1 | tier2 | tier3, or several joined by "+" (a verify of two repos)
#   SLO_PURPOSE           backup | verify | backup-age
#   SLO_WINDOW_SECONDS    a successful run that took longer is outside its backup window
#   SLO_NAMESPACE=Fortress/BackupSLO  rendered by the CronJobs from components/detection/slo.ts
#   AWS_REGION / CLOUDWATCH_REGION, CLOUDWATCH_ENDPOINT_URL   where the metrics go
set -uo pipefail

SLO_NAMESPACE="${SLO_NAMESPACE:-Fortress/BackupSLO}"
JOB_NAME="${JOB_NAME:-$(basename "${1:-slo-run}" .sh)}"
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$JOB_NAME" "$*" >&2; }

(($# > 0)) || { log "ERROR: slo-run.sh needs the job's command, e.g. slo-run.sh /opt/fortress/jobs/redis-snapshot.sh"; exit 2; }
for v in SLO_DATA_CLASS SLO_TIER SLO_PURPOSE SLO_WINDOW_SECONDS; do
    [[ -n "${!v:-}" ]] || { log "ERROR: environment variable $v is not set: the CronJob spec (components/platform/backup-job.ts) sets it"; exit 2; }
done
[[ "$SLO_WINDOW_SECONDS" =~ ^[1-9][0-9]*$ ]] || { log "ERROR: SLO_WINDOW_SECONDS=$SLO_WINDOW_SECONDS: use a whole number of seconds"; exit 2; }
export AWS_REGION="${AWS_REGION:-${CLOUDWATCH_REGION:-}}"

start_ms="$(date +%s%3N)"
child=""
# The Job's activeDeadlineSeconds ends the pod with SIGTERM: pass it on, then still publish.
forward() { [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null; }
trap forward TERM INT

"$@" &
child=$!
while :; do
    wait "$child"
    rc=$?
    # A trapped signal interrupts wait with 128+n while the job still runs: wait again.
    if ((rc > 128)) && kill -0 "$child" 2>/dev/null; then continue; fi
    break
done

elapsed_ms=$(($(date +%s%3N) - start_ms))
duration="$(printf '%d.%03d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000)))"
if python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/s3.py" publish-run "$SLO_NAMESPACE" "$rc" "$duration" "$SLO_WINDOW_SECONDS" \
    "DataClass=$SLO_DATA_CLASS" "Tier=$SLO_TIER" "Purpose=$SLO_PURPOSE"; then
    log "metric $SLO_NAMESPACE Runs/Succeeded/WithinWindow/DurationSeconds{DataClass=$SLO_DATA_CLASS,Tier=$SLO_TIER,Purpose=$SLO_PURPOSE}: exit $rc, ${duration} s (window ${SLO_WINDOW_SECONDS} s)"
else
    log "WARNING: could not publish the SLO metrics of this run (exit $rc, ${duration} s)"
fi
exit "$rc"
