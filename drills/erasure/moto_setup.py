"""
The erasure drill's S3 and IAM on moto, set up before IAM is enforced: the ledger bucket and its
DR copy (Object Lock, COMPLIANCE default retention), the uploads bucket, and three IAM users
whose policies are the ledger's own documents as moto can evaluate them (see below). Prints
their access keys as JSON, then switches moto to enforce IAM for every later request.

moto evaluates a policy's actions and resources but not request condition keys: a statement
with a Condition is evaluated as if the condition failed. So the appender's conditional Allow
(PutObject only with If-None-Match) is attached without its condition and the conditional Deny
(PutObject without If-None-Match) is left out; the no-overwrite guarantee is then carried by
the If-None-Match header itself (moto answers 412) and Object Lock, and the conditional
statements are proven by the policy evaluator (components/compliance/iam-evaluate.ts).
"""
import json
import sys
import urllib.request

import boto3

endpoint, region, spec_file = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.load(open(spec_file))
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="setup", aws_secret_access_key="setup")
s3 = boto3.client("s3", **kw)
iam = boto3.client("iam", **kw)


def moto_evaluable(doc):
    out = []
    for st in doc["Statement"]:
        if "Condition" not in st:
            out.append(st)
        elif st["Effect"] == "Allow":
            out.append({k: v for k, v in st.items() if k != "Condition"})
    return {"Version": doc["Version"], "Statement": out}


for b in spec["lockedBuckets"]:
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": region}, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=b,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": spec["lockDays"]}}},
    )
for b in spec["versionedBuckets"]:
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})

keys = {}
for name, doc in spec["users"].items():
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(moto_evaluable(doc)))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    keys[name] = {"accessKeyId": k["AccessKeyId"], "secretAccessKey": k["SecretAccessKey"]}

# From here on moto checks every request's signature and the caller's IAM policies.
req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})
urllib.request.urlopen(req, timeout=30).read()
print(json.dumps(keys))
