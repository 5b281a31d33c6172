import type { RemovalPolicy } from 'aws-cdk-lib';
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
}

/**
 * The SNS topic every alarm of a region notifies: encrypted with its own key,
 * whose policy lets CloudWatch (and nothing else outside IAM) publish, SSL-only,
 * with e-mail subscriptions.
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
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
}
