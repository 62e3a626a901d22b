#!/usr/bin/env python3
"""The local SNS (moto) side of test/cli/notify.test.ts: a topic with an SQS queue subscribed.

    sns.py setup REGION NAME      create topic NAME and a queue subscribed to it; prints the topic ARN
    sns.py drain REGION NAME      JSON list of {subject, message} the queue received
"""
import json
import os
import sys

import boto3

region, name = sys.argv[2], sys.argv[3]
kw = dict(region_name=region, endpoint_url=os.environ["SNS_ENDPOINT_URL"])
sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
if sys.argv[1] == "setup":
    topic = sns.create_topic(Name=name)["TopicArn"]
    q = sqs.create_queue(QueueName=f"{name}-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    print(topic)
else:
    q = sqs.get_queue_url(QueueName=f"{name}-q")["QueueUrl"]
    out = []
    while True:
        r = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not r.get("Messages"):
            break
        for m in r["Messages"]:
            body = json.loads(m["Body"])
            out.append({"subject": body.get("Subject"), "message": body.get("Message")})
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    print(json.dumps(out))
