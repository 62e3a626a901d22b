#!/usr/bin/env python3
"""Reads back what the SLO jobs left in the local endpoint (moto), for test/jobs/backup-slo.test.ts.

    slo-read.py sum NAMESPACE METRIC DIM=VALUE...   the Sum of a metric over the last hour
    slo-read.py max NAMESPACE METRIC DIM=VALUE...   the Maximum
    slo-read.py objects BUCKET PREFIX               JSON list of keys
    slo-read.py get BUCKET KEY                      the object's body
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

import boto3


def client(service):
    return boto3.client(service, region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["S3_ENDPOINT_URL"])


cmd, args = sys.argv[1], sys.argv[2:]
if cmd in ("sum", "max"):
    ns, metric, dims = args[0], args[1], [dict(zip(("Name", "Value"), d.split("=", 1))) for d in args[2:]]
    now = datetime.now(timezone.utc)
    stat = "Sum" if cmd == "sum" else "Maximum"
    r = client("cloudwatch").get_metric_statistics(Namespace=ns, MetricName=metric, Dimensions=dims, StartTime=now - timedelta(hours=1),
                                                   EndTime=now + timedelta(minutes=5), Period=3600 * 2, Statistics=[stat])
    points = r["Datapoints"]
    print(json.dumps(sum(p[stat] for p in points) if cmd == "sum" and points else (max(p[stat] for p in points) if points else None)))
elif cmd == "objects":
    r = client("s3").list_objects_v2(Bucket=args[0], Prefix=args[1])
    print(json.dumps([o["Key"] for o in r.get("Contents", [])]))
elif cmd == "get":
    sys.stdout.write(client("s3").get_object(Bucket=args[0], Key=args[1])["Body"].read().decode())
else:
    sys.exit(f"unknown command {cmd}")
