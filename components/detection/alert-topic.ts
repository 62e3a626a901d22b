import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { allowService } from "../storage/policy-documents";

export interface AlertSubscriber {
    readonly protocol: "email" | "https" | "sms" | "lambda" | "sqs";
    readonly endpoint: string;
}

export interface AlertTopicArgs {
    /** SNS topic name, unique in its region. */
    readonly topicName: string;
    /** Who is told; the same list in every region's topic. @default [] */
    readonly subscribers?: readonly AlertSubscriber[];
    /** The account whose CloudWatch alarms and EventBridge rules may publish. */
    readonly accountId: pulumi.Input<string>;
}

/**
 * The SNS topic of one region's alarms and security events (an alarm or an EventBridge rule
 * can only notify a topic in its own region).
 *
 * No server-side encryption: CloudWatch cannot publish to a topic encrypted with the AWS
 * managed SNS key, and a customer key whose policy breaks would silence every alarm. The
 * notifications carry alarm names and metric values, nothing secret.
 */
export class AlertTopic extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: AlertTopicArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:AlertTopic", name, {}, opts);
        const subscribers = args.subscribers ?? [];
        const seen = new Set<string>();
        for (const s of subscribers) {
            const key = `${s.protocol}:${s.endpoint}`;
            if (seen.has(key)) throw new Error(`AlertTopic ${name}: subscribers lists ${key} twice; remove the duplicate`);
            seen.add(key);
        }

        const topic = new aws.sns.Topic(`${name}-topic`, { name: args.topicName }, { parent: this });
        new aws.sns.TopicPolicy(
            `${name}-policy`,
            {
                arn: topic.arn,
                policy: pulumi.all([topic.arn, args.accountId]).apply(([arn, account]) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            allowService("CloudWatchAlarmsOfThisAccount", "cloudwatch.amazonaws.com", "sns:Publish", arn, { StringEquals: { "aws:SourceAccount": account } }),
                            // The S5 rules (SecurityDetection) deliver GuardDuty findings and tampering calls here.
                            allowService("EventBridgeRulesOfThisAccount", "events.amazonaws.com", "sns:Publish", arn, { StringEquals: { "aws:SourceAccount": account } }),
                            {
                                Sid: "DenyInsecureTransport",
                                Effect: "Deny",
                                Principal: "*",
                                Action: "sns:Publish",
                                Resource: arn,
                                Condition: { Bool: { "aws:SecureTransport": "false" } },
                            },
                        ],
                    }),
                ),
            },
            { parent: this },
        );
        subscribers.forEach(
            (s, i) =>
                new aws.sns.TopicSubscription(
                    `${name}-subscriber-${i}`,
                    { topic: topic.arn, protocol: s.protocol, endpoint: s.endpoint },
                    { parent: this },
                ),
        );

        this.arn = topic.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
