#!/usr/bin/env python3
"""What the Redis drill does to the local S3 endpoint (moto) besides running the job scripts:
set up buckets, corrupt a stored object, and read back what the jobs left there.

    store.py bucket NAME [LOCK_DAYS]        create a bucket; with LOCK_DAYS, Object Lock in
                                            COMPLIANCE mode with that default retention
    store.py corrupt BUCKET KEY             flip one byte in the middle of the object
    store.py head BUCKET KEY                JSON: stored SHA-256 checksum, lock mode, size
    store.py put-without-checksum BUCKET KEY  try a PutObject with neither Content-MD5 nor a
                                            checksum header; prints the store's answer
    store.py metric NAMESPACE NAME DIM=VALUE...  JSON: the newest datapoint of a metric

Environment: S3_ENDPOINT_URL, AWS_REGION and credentials, as for the job scripts.
"""
import hashlib
import json
import os
import sys
from datetime import datetime, timedelta, timezone

import boto3
from botocore.config import Config


def client(service, **kw):
    return boto3.client(service, region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["S3_ENDPOINT_URL"], **kw)


def main(cmd, *args):
    s3 = client("s3")
    if cmd == "bucket":
        name = args[0]
        kw = {"ObjectLockEnabledForBucket": True} if len(args) > 1 else {}
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}, **kw)
        if len(args) > 1:
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": int(args[1])}},
            })
    elif cmd == "corrupt":
        bucket, key = args
        body = bytearray(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        before = hashlib.sha256(body).hexdigest()
        body[len(body) // 2] ^= 0x01
        s3.put_object(Bucket=bucket, Key=key, Body=bytes(body))
        print(json.dumps({"offset": len(body) // 2, "before": before, "after": hashlib.sha256(body).hexdigest()}))
    elif cmd == "head":
        bucket, key = args
        h = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        print(json.dumps({
            "checksumSha256": h.get("ChecksumSHA256"),
            "lockMode": h.get("ObjectLockMode"),
            "retainUntil": str(h.get("ObjectLockRetainUntilDate")) if h.get("ObjectLockRetainUntilDate") else None,
            "size": h["ContentLength"],
        }))
    elif cmd == "put-without-checksum":
        bucket, key = args
        bare = client("s3", config=Config(request_checksum_calculation="when_required"))
        try:
            bare.put_object(Bucket=bucket, Key=key, Body=b"no integrity header")
            print(json.dumps({"accepted": True}))
        except bare.exceptions.ClientError as e:
            print(json.dumps({"accepted": False, "error": e.response["Error"]["Code"]}))
    elif cmd == "metric":
        namespace, name, *dims = args
        cw = client("cloudwatch")
        now = datetime.now(timezone.utc)
        r = cw.get_metric_statistics(
            Namespace=namespace, MetricName=name,
            Dimensions=[{"Name": d.split("=", 1)[0], "Value": d.split("=", 1)[1]} for d in dims],
            StartTime=now - timedelta(hours=1), EndTime=now + timedelta(minutes=1), Period=60, Statistics=["Maximum"],
        )
        points = sorted(r["Datapoints"], key=lambda p: p["Timestamp"])
        print(json.dumps({"count": len(points), "latest": points[-1]["Maximum"] if points else None}))
    else:
        sys.exit(f"store.py: unknown command {cmd!r}\n{__doc__}")


if __name__ == "__main__":
    main(*sys.argv[1:])
