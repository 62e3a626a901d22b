#!/usr/bin/env python3
"""The backup jobs' S3 and CloudWatch client (called by the shell scripts beside it).

    s3.py put BUCKET KEY FILE            upload FILE with a SHA-256 checksum header
    s3.py get BUCKET KEY FILE            download KEY to FILE
    s3.py list BUCKET PREFIX SUFFIX      keys under PREFIX ending in SUFFIX, oldest first
    s3.py newest BUCKET PREFIX SUFFIX    the last of those (exit 3 when there is none)
    s3.py publish-age BUCKET PREFIX NAMESPACE METRIC [DIM=VALUE ...]
                                         age in seconds of the newest manifest under PREFIX,
                                         sent to CloudWatch and printed
    s3.py publish-object-age BUCKET PREFIX SUFFIX NAMESPACE METRIC [DIM=VALUE ...]
                                         the same from the newest LastModified of the keys
                                         ending in SUFFIX (backups other tools write: Velero)
    s3.py put-metric NAMESPACE METRIC VALUE UNIT [DIM=VALUE ...]
                                         one CloudWatch datapoint
    s3.py publish-run NAMESPACE EXIT_CODE DURATION WINDOW DataClass=.. Tier=.. Purpose=..
                                         one job run for the backup SLOs (lib/slo-run.sh):
                                         Runs, Succeeded, WithinWindow, DurationSeconds
    s3.py slo-rollup NAMESPACE WINDOW_DAYS PURPOSE...
                                         per purpose, the sums of Runs, Succeeded and
                                         WithinWindow over the last WINDOW_DAYS, published as
                                         RollupRuns, RollupSucceeded, RollupWithinWindow
                                         {Purpose, WindowDays} (what the SLO alarms divide)
    s3.py backup-audit NAMESPACE DAYS OUT_BUCKET OUT_PREFIX [AUDIT_BUCKET AUDIT_PREFIX]
                                         the backup-audit report: every run of the last DAYS
                                         from the metrics, with the fortress audit records of
                                         those days, written as JSON to OUT_BUCKET
    s3.py publish-alert TOPIC_ARN SUBJECT MESSAGE
                                         one message to an SNS topic (the alert topic), sent
                                         to the topic's own region, read from the ARN

Environment: AWS_REGION (required); CLOUDWATCH_REGION for metrics (default AWS_REGION);
S3_ENDPOINT_URL, CLOUDWATCH_ENDPOINT_URL and SNS_ENDPOINT_URL for an
S3-compatible store or a local endpoint (unset on AWS). Credentials come from the standard
chain: IRSA web identity in the cluster, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY elsewhere.

Backup keys embed a UTC timestamp (PREFIX/20250101T000500Z...), so name order is time order.
Name order, not LastModified, decides "newest": a replicated or re-uploaded copy gets a new
LastModified but keeps the time the snapshot was taken.
"""
import hashlib
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

try:
    import boto3
    import botocore.exceptions
    from boto3.s3.transfer import TransferConfig
except ImportError:
    sys.exit("s3.py: ERROR: python3 module boto3 is missing; install python3-boto3 or run in the fortress job image (jobs/Dockerfile)")

NO_BACKUP = 3


def fail(message):
    sys.exit(f"s3.py: ERROR: {message}")


def region():
    r = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not r:
        fail("environment variable AWS_REGION is not set: the bucket's AWS region, e.g. eu-west-1")
    return r


def client(service, endpoint_var, region_var=None):
    endpoint = os.environ.get(endpoint_var) or None
    return boto3.client(service, region_name=(region_var and os.environ.get(region_var)) or region(), endpoint_url=endpoint)


def where(bucket, key=""):
    endpoint = os.environ.get("S3_ENDPOINT_URL")
    return f"s3://{bucket}/{key}" + (f" at {endpoint}" if endpoint else "")


def explain(err, what):
    """Turns a botocore error into one line that says what failed and what to check."""
    if isinstance(err, botocore.exceptions.NoCredentialsError):
        return (f"{what}: no AWS credentials; in the cluster the job's service account must carry the tier's "
                "writer role (IRSA), elsewhere set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(err, botocore.exceptions.EndpointConnectionError):
        return f"{what}: cannot reach the endpoint ({err}); check S3_ENDPOINT_URL / AWS_REGION and the network path"
    if isinstance(err, botocore.exceptions.ClientError):
        code = err.response.get("Error", {}).get("Code", "?")
        msg = err.response.get("Error", {}).get("Message", "")
        hint = {
            "NoSuchBucket": "check BACKUP_BUCKET",
            "NoSuchKey": "the object does not exist; list the prefix to see what does",
            "404": "the object does not exist; list the prefix to see what does",
            "AccessDenied": "the role lacks permission for this bucket/prefix; check the tier's writer/reader role",
            "403": "the role lacks permission for this bucket/prefix; check the tier's writer/reader role",
            "InvalidAccessKeyId": "the credentials are not valid for this endpoint",
            "SignatureDoesNotMatch": "the secret key does not match the access key",
        }.get(code, "")
        return f"{what}: {code} {msg}".rstrip() + (f"; {hint}" if hint else "")
    return f"{what}: {err}"


def put(bucket, key, path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    s3 = client("s3", "S3_ENDPOINT_URL")
    try:
        # The SHA-256 checksum header lets S3 reject a body damaged in transit, and satisfies
        # the integrity header that PutObject into an Object Lock bucket requires.
        s3.upload_file(
            path, bucket, key,
            ExtraArgs={"ChecksumAlgorithm": "SHA256", "Metadata": {"sha256": digest.hexdigest()}},
            Config=TransferConfig(multipart_threshold=256 * 1024 * 1024, multipart_chunksize=64 * 1024 * 1024),
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"upload of {path} to {where(bucket, key)} failed"))
    except boto3.exceptions.S3UploadFailedError as e:
        # The transfer manager flattens the ClientError into text; recover its code for the hint.
        text = str(e)
        code = next((c for c in ("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch") if c in text), None)
        if code:
            e = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": text.split(": ", 1)[-1]}}, "PutObject")
        fail(explain(e, f"upload of {path} to {where(bucket, key)} failed"))


def get(bucket, key, path):
    s3 = client("s3", "S3_ENDPOINT_URL")
    try:
        s3.download_file(bucket, key, path)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"download of {where(bucket, key)} failed"))


def keys(bucket, prefix, suffix):
    s3 = client("s3", "S3_ENDPOINT_URL")
    found = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/"):
            found.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(suffix))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"listing {where(bucket, prefix + '/')} failed"))
    return sorted(found)


def publish_age(bucket, prefix, namespace, metric, dims):
    manifests = keys(bucket, prefix, ".manifest.json")
    if not manifests:
        # No datum: the backup-age alarm treats missing data as breaching.
        print(f"no backup under {where(bucket, prefix + '/')}; no age published", file=sys.stderr)
        return NO_BACKUP
    s3 = client("s3", "S3_ENDPOINT_URL")
    try:
        body = s3.get_object(Bucket=bucket, Key=manifests[-1])["Body"].read()
        created = json.loads(body)["createdAtEpoch"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"reading {where(bucket, manifests[-1])} failed"))
    except (ValueError, KeyError) as e:
        fail(f"{where(bucket, manifests[-1])} is not a backup manifest ({e}); it must be JSON with createdAtEpoch")
    age = max(0, int(time.time()) - int(created))
    # Every tier's age goes to one region (CLOUDWATCH_REGION, the monitoring region) where the alarms are.
    put_metric(namespace, metric, age, "Seconds", dims)
    print(age)
    return 0


def dimensions_of(dims):
    out = []
    for d in dims:
        name, sep, value = d.partition("=")
        if not sep or not name or not value:
            fail(f"dimension {d!r}: use NAME=VALUE, e.g. Tier=tier1")
        out.append({"Name": name, "Value": value})
    return out


def put_metric(namespace, metric, value, unit, dims):
    try:
        number = float(value)
    except ValueError:
        fail(f"metric value {value!r} is not a number")
    cw = client("cloudwatch", "CLOUDWATCH_ENDPOINT_URL", "CLOUDWATCH_REGION")
    try:
        cw.put_metric_data(Namespace=namespace, MetricData=[{
            "MetricName": metric, "Dimensions": dimensions_of(dims), "Value": number, "Unit": unit,
            "Timestamp": datetime.now(timezone.utc),
        }])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"publishing {namespace}/{metric} to CloudWatch failed"))


def publish_alert(topic_arn, subject, message):
    # arn:aws:sns:REGION:ACCOUNT:NAME. The topic lives in the monitoring region, which need not
    # be the job's; SNS rejects a publish sent to another region's endpoint.
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[3]:
        fail(f"topic {topic_arn!r} is not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME (the detection step's alert topic)")
    sns = boto3.client("sns", region_name=parts[3], endpoint_url=os.environ.get("SNS_ENDPOINT_URL") or None)
    try:
        # SNS caps a subject at 100 characters.
        sns.publish(TopicArn=topic_arn, Subject=subject[:100], Message=message)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"publishing to {topic_arn} failed (the job's role needs sns:Publish on it)"))


def publish_object_age(bucket, prefix, suffix, namespace, metric, dims):
    """Age of the newest object ending in SUFFIX, by LastModified (for stores other tools write)."""
    s3 = client("s3", "S3_ENDPOINT_URL")
    newest = None
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/"):
            for o in page.get("Contents", []):
                if o["Key"].endswith(suffix) and (newest is None or o["LastModified"] > newest):
                    newest = o["LastModified"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"listing {where(bucket, prefix + '/')} failed"))
    if newest is None:
        print(f"no object ending in {suffix} under {where(bucket, prefix + '/')}; no age published", file=sys.stderr)
        return NO_BACKUP
    age = max(0, int((datetime.now(timezone.utc) - newest).total_seconds()))
    put_metric(namespace, metric, age, "Seconds", dims)
    print(age)
    return 0


# ---------------------------------------------------------------------------------------------
# Backup SLOs (components/detection/slo.ts holds the same names for the alarms and dashboard)

SLO_COUNTS = ("Runs", "Succeeded", "WithinWindow")


def publish_run(namespace, exit_code, duration, window, dims):
    try:
        rc, seconds, window_seconds = int(exit_code), float(duration), float(window)
    except ValueError:
        fail(f"publish-run: EXIT_CODE {exit_code!r}, DURATION {duration!r} and WINDOW {window!r} must be numbers")
    full = dimensions_of(dims)
    names = {d["Name"] for d in full}
    if not {"DataClass", "Tier", "Purpose"} <= names:
        fail(f"publish-run: dimensions {dims} must include DataClass=, Tier= and Purpose=")
    ok = rc == 0
    values = {"Runs": 1, "Succeeded": 1 if ok else 0, "WithinWindow": 1 if ok and seconds <= window_seconds else 0}
    now = datetime.now(timezone.utc)
    # One series per data class, tier and purpose; the rollup and the dashboard's SEARCH add them up.
    data = [{"MetricName": m, "Dimensions": full, "Value": v, "Unit": "Count", "Timestamp": now} for m, v in values.items()]
    data.append({"MetricName": "DurationSeconds", "Dimensions": full, "Value": seconds, "Unit": "Seconds", "Timestamp": now})
    cw = client("cloudwatch", "CLOUDWATCH_ENDPOINT_URL", "CLOUDWATCH_REGION")
    try:
        cw.put_metric_data(Namespace=namespace, MetricData=data)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"publishing the run to {namespace} failed"))


def metric_data(cw, queries, start, end):
    """GetMetricData over any number of queries (500 per call), every page; id -> [(time, value)]."""
    out = {}
    for i in range(0, len(queries), 500):
        token = None
        while True:
            kw = {"MetricDataQueries": queries[i:i + 500], "StartTime": start, "EndTime": end, "ScanBy": "TimestampAscending"}
            if token:
                kw["NextToken"] = token
            try:
                page = cw.get_metric_data(**kw)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                fail(explain(e, "reading the SLO metrics (GetMetricData) failed; the role needs cloudwatch:GetMetricData"))
            for r in page.get("MetricDataResults", []):
                out.setdefault(r["Id"], []).extend(zip(r.get("Timestamps", []), r.get("Values", [])))
            token = page.get("NextToken")
            if not token:
                break
    return out


def stat_query(qid, namespace, metric, dims, period, stat):
    return {"Id": qid, "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims}, "Period": period, "Stat": stat}, "ReturnData": True}


def window_end():
    """The end of a look-back window: the next whole minute, so the current minute's runs count."""
    return datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)


def run_series(cw, namespace):
    """Every (DataClass, Tier, Purpose) series of Runs the jobs published (ListMetrics: the last two weeks)."""
    series = []
    try:
        for page in cw.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName="Runs"):
            for m in page.get("Metrics", []):
                # As listed: CloudWatch matches a dimension set in any order (moto only in the order it was put).
                dims = m.get("Dimensions", [])
                if {d["Name"] for d in dims} == {"DataClass", "Tier", "Purpose"}:
                    series.append(dims)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, "listing the SLO metrics failed; the role needs cloudwatch:ListMetrics"))
    return series


def purpose_of(dims):
    return next(d["Value"] for d in dims if d["Name"] == "Purpose")


def day_window(setting, days_text, most, why):
    """The last `days_text` days up to window_end(), as (days, start, end); fails naming `setting`
    (e.g. "slo-rollup: WINDOW_DAYS") unless it is a whole number from 1 to `most` (`why` says why)."""
    try:
        days = int(days_text)
    except ValueError:
        fail(f"{setting} {days_text!r} is not a whole number of days")
    if not 1 <= days <= most:
        fail(f"{setting} {days}: {why}; use 1 to {most}")
    end = window_end()
    return days, end - timedelta(days=days), end


def slo_rollup(namespace, window_days, purposes):
    days, start, end = day_window("slo-rollup: WINDOW_DAYS", window_days, 455, "CloudWatch keeps hourly data 455 days")
    cw = client("cloudwatch", "CLOUDWATCH_ENDPOINT_URL", "CLOUDWATCH_REGION")
    series = [dims for dims in run_series(cw, namespace) if purpose_of(dims) in purposes]
    queries = [stat_query(f"q{i}_{j}", namespace, m, dims, 3600, "Sum") for i, dims in enumerate(series) for j, m in enumerate(SLO_COUNTS)]
    got = metric_data(cw, queries, start, end)
    data, result = [], {}
    for p in purposes:
        sums = {m: sum(v for i, dims in enumerate(series) if purpose_of(dims) == p for _, v in got.get(f"q{i}_{j}", [])) for j, m in enumerate(SLO_COUNTS)}
        result[p] = sums
        dims = [{"Name": "Purpose", "Value": p}, {"Name": "WindowDays", "Value": str(days)}]
        data += [{"MetricName": f"Rollup{m}", "Dimensions": dims, "Value": sums[m], "Unit": "Count", "Timestamp": end} for m in SLO_COUNTS]
    try:
        for k in range(0, len(data), 1000):
            cw.put_metric_data(Namespace=namespace, MetricData=data[k:k + 1000])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail(explain(e, f"publishing the rollup to {namespace} failed"))
    print(json.dumps({"windowDays": days, "from": start.isoformat(), "to": end.isoformat(), "purposes": result}))
    return 0


def audit_records(bucket, prefix, start, end):
    """The fortress CLI's audit records (…/<yyyy>/<mm>/<dd>/<run>.<attempt>.json) of the days in [start, end]."""
    s3 = client("s3", "S3_ENDPOINT_URL")
    records, day = [], start.date()
    while day <= end.date():
        for key in keys(bucket, f"{prefix.rstrip('/')}/{day:%Y/%m/%d}", ".json"):
            try:
                records.append({"key": key, "record": json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())})
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                fail(explain(e, f"reading the audit record {where(bucket, key)} failed"))
            except ValueError as e:
                records.append({"key": key, "error": f"not JSON: {e}"})
        day += timedelta(days=1)
    return records


def backup_audit(namespace, days_text, out_bucket, out_prefix, audit_bucket=None, audit_prefix=None):
    days, start, end = day_window("backup-audit: DAYS", days_text, 14, "one-minute datapoints (one per run) are kept 15 days")
    cw = client("cloudwatch", "CLOUDWATCH_ENDPOINT_URL", "CLOUDWATCH_REGION")
    series = run_series(cw, namespace)
    metrics = SLO_COUNTS + ("DurationSeconds",)
    queries = [stat_query(f"s{i}_{j}", namespace, m, dims, 60, "Maximum" if m == "DurationSeconds" else "Sum")
               for i, dims in enumerate(series) for j, m in enumerate(metrics)]
    got = metric_data(cw, queries, start, end)
    operations, summary = [], []
    for i, dims in enumerate(series):
        labels = {d["Name"]: d["Value"] for d in dims}
        by_time = {}
        for j, m in enumerate(metrics):
            for t, v in got.get(f"s{i}_{j}", []):
                by_time.setdefault(t, {})[m] = v
        runs = [dict(at=t.isoformat(), dataClass=labels["DataClass"], tier=labels["Tier"], purpose=labels["Purpose"],
                     runs=int(v.get("Runs", 0)), succeeded=int(v.get("Succeeded", 0)), withinWindow=int(v.get("WithinWindow", 0)),
                     durationSeconds=v.get("DurationSeconds")) for t, v in sorted(by_time.items()) if v.get("Runs", 0) > 0]
        operations += runs
        total = sum(r["runs"] for r in runs)
        ok = sum(r["succeeded"] for r in runs)
        within = sum(r["withinWindow"] for r in runs)
        summary.append({"dataClass": labels["DataClass"], "tier": labels["Tier"], "purpose": labels["Purpose"], "runs": total, "succeeded": ok,
                        "failed": total - ok, "withinWindow": within,
                        "completionPercent": round(100 * ok / total, 3) if total else None,
                        "windowAdherencePercent": round(100 * within / total, 3) if total else None})
    operations.sort(key=lambda r: (r["at"], r["dataClass"], r["tier"], r["purpose"]))
    records = audit_records(audit_bucket, audit_prefix, start, end) if audit_bucket and audit_prefix else []
    week = end.isocalendar()
    report = {
        "format": "fortress-backup-audit/1",
        "from": start.isoformat(), "to": end.isoformat(), "namespace": namespace,
        "summary": sorted(summary, key=lambda s: (s["purpose"], s["dataClass"], s["tier"])),
        "operations": operations,
        "auditRecords": records,
        "auditRecordsSource": where(audit_bucket, audit_prefix) if audit_bucket and audit_prefix else None,
    }
    key = f"{out_prefix.rstrip('/')}/{week[0]}-W{week[1]:02d}-{end:%Y%m%dT%H%MZ}.json"
    tmp = f"/tmp/backup-audit-{os.getpid()}.json"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1, default=str)
    try:
        put(out_bucket, key, tmp)
    finally:
        os.unlink(tmp)
    print(json.dumps({"key": key, "operations": len(operations), "series": len(series), "auditRecords": len(records)}))
    return 0


USAGE = __doc__.split("\n\n")[1]


def main(argv):
    if not argv:
        fail("no command\n" + USAGE)
    cmd, args = argv[0], argv[1:]
    arity = {"put": 3, "get": 3, "list": 3, "newest": 3}
    if cmd in arity:
        if len(args) != arity[cmd]:
            fail(f"{cmd} takes {arity[cmd]} arguments, got {len(args)}\n{USAGE}")
        if cmd == "put":
            put(*args)
        elif cmd == "get":
            get(*args)
        else:
            found = keys(*args)
            if cmd == "newest":
                if not found:
                    return NO_BACKUP
                found = found[-1:]
            print("\n".join(found))
        return 0
    if cmd == "put-metric":
        if len(args) < 4:
            fail(f"put-metric takes NAMESPACE METRIC VALUE UNIT [DIM=VALUE ...]\n{USAGE}")
        put_metric(args[0], args[1], args[2], args[3], args[4:])
        return 0
    if cmd == "publish-run":
        if len(args) < 7:
            fail(f"publish-run takes NAMESPACE EXIT_CODE DURATION WINDOW DataClass=.. Tier=.. Purpose=..\n{USAGE}")
        publish_run(args[0], args[1], args[2], args[3], args[4:])
        return 0
    if cmd == "slo-rollup":
        if len(args) < 3:
            fail(f"slo-rollup takes NAMESPACE WINDOW_DAYS PURPOSE...\n{USAGE}")
        return slo_rollup(args[0], args[1], args[2:])
    if cmd == "backup-audit":
        if len(args) not in (4, 6):
            fail(f"backup-audit takes NAMESPACE DAYS OUT_BUCKET OUT_PREFIX [AUDIT_BUCKET AUDIT_PREFIX]\n{USAGE}")
        return backup_audit(*args)
    if cmd == "publish-alert":
        if len(args) != 3:
            fail(f"publish-alert takes TOPIC_ARN SUBJECT MESSAGE\n{USAGE}")
        publish_alert(*args)
        return 0
    if cmd == "publish-object-age":
        if len(args) < 5:
            fail(f"publish-object-age takes BUCKET PREFIX SUFFIX NAMESPACE METRIC [DIM=VALUE ...]\n{USAGE}")
        return publish_object_age(args[0], args[1], args[2], args[3], args[4], args[5:])
    if cmd == "publish-age":
        if len(args) < 4:
            fail(f"publish-age takes BUCKET PREFIX NAMESPACE METRIC [DIM=VALUE ...]\n{USAGE}")
        return publish_age(args[0], args[1], args[2], args[3], args[4:])
    fail(f"unknown command {cmd!r}\n{USAGE}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
