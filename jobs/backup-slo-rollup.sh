#!/usr/bin/env bash
# Daily: adds up the backup SLO metrics of the last SLO_WINDOW_DAYS (what slo-run.sh publishes
# per run) and publishes the sums, RollupRuns/RollupSucceeded/RollupWithinWindow{Purpose,
# WindowDays}, which the SLO alarms divide (completion rate, window adherence, recovery and
# verify success). A CloudWatch alarm can look back at most seven days; the 30-day window of
# the SLOs is summed here.
#
# Environment (required unless a default is shown):
#   SLO_WINDOW_DAYS=30
#   SLO_PURPOSES="backup verify recovery"
#   SLO_NAMESPACE=Fortress/BackupSLO
#   AWS_REGION / CLOUDWATCH_REGION, CLOUDWATCH_ENDPOINT_URL   the monitoring region
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SLO_WINDOW_DAYS="${SLO_WINDOW_DAYS:-30}"
SLO_PURPOSES="${SLO_PURPOSES:-backup verify recovery}"
[[ "$SLO_WINDOW_DAYS" =~ ^[1-9][0-9]*$ ]] || die "SLO_WINDOW_DAYS=$SLO_WINDOW_DAYS: use a whole number of days, e.g. 30"
require_env AWS_REGION "the monitoring region, where the SLO metrics and alarms are"
export AWS_REGION
require_commands python3

# shellcheck disable=SC2086 # one argument per purpose
out="$(s3 slo-rollup "${SLO_NAMESPACE:-Fortress/BackupSLO}" "$SLO_WINDOW_DAYS" $SLO_PURPOSES)" || die "the rollup failed; the SLO alarms see no datapoint today and treat that as breaching"
log "rollup $out"
