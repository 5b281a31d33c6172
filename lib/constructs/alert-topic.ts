import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EncryptionKey } from './encryption-key';

export interface AlertTopicProps {
  /** The topic's name, from the naming helper. */
  readonly topicName: string;
  /** Who gets every alarm and recovery by e-mail. */
  readonly emails: string[];
  /** Removal policy of the topic's key. */
  readonly removalPolicy: RemovalPolicy;
  /** Only CloudWatch alarms of this account and region whose names start with this may publish. */
  readonly alarmNamePrefix: string;
}

/**
 * The SNS topic every alarm of a region notifies: encrypted with its own key,
 * SSL-only, with e-mail subscriptions. A topic policy replaces SNS's default policy,
 * so the policy itself must let CloudWatch publish: only the account's own alarms of
 * this app may (aws:SourceAccount and aws:SourceArn guard against a confused deputy).
 */
export class AlertTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    const key = new EncryptionKey(this, 'Key', { description: `Encrypts the alarm topic ${props.topicName}`, removalPolicy: props.removalPolicy });
    // CloudWatch publishes to an encrypted topic only if the key lets it make data keys.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      masterKey: key,
      enforceSSL: true,
    });
    const { account, region, partition } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${props.alarmNamePrefix}*` },
        },
      }),
    );
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
}
