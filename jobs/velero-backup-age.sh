#!/usr/bin/env bash
# Publishes the age of the newest Velero backup in one tier as the newest-backup age of the
# `configuration` data class (Velero itself reports only to Prometheus, and the backup-age
# alarms are CloudWatch alarms). Velero writes <prefix>/backups/<name>/velero-backup.json
# when a backup completes, so that file's LastModified is the backup's completion time.
#
# Environment (required unless a default is shown):
#   BACKUP_TIER, BACKUP_BUCKET, BACKUP_PREFIX (the BackupStorageLocation's prefix), AWS_REGION
#   CLOUDWATCH_REGION, S3_ENDPOINT_URL, CLOUDWATCH_ENDPOINT_URL   as for redis-snapshot.sh
#   METRIC_NAMESPACE=Fortress/Backups
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_tier BACKUP_TIER
require_store_env
require_single_prefix
require_commands python3

age="$(s3 publish-object-age "$BACKUP_BUCKET" "$BACKUP_PREFIX/backups" velero-backup.json \
    "${METRIC_NAMESPACE:-Fortress/Backups}" NewestBackupAgeSeconds DataClass=configuration "Tier=$BACKUP_TIER")" ||
    die "no completed Velero backup under s3://$BACKUP_BUCKET/$BACKUP_PREFIX/backups/ (or the store could not be read); nothing published, so the backup-age alarm treats it as missing"
log "metric ${METRIC_NAMESPACE:-Fortress/Backups}/NewestBackupAgeSeconds{DataClass=configuration,Tier=$BACKUP_TIER}=$age"
