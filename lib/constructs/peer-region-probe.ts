import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import { EncryptionKey } from './encryption-key';
import { acknowledgeOutputBucket, privateBucketSettings } from './private-bucket';

export interface PeerRegionProbeProps {
  /** The region probed, for descriptions. */
  readonly peerRegion: string;
  /** The URL probed: the other region's own name and the path Route 53 checks there. */
  readonly url: string;
  /** This region's alert topic, which the alarm notifies when it fires and when it recovers. */
  readonly topic: sns.ITopic;
  /** The alarm's name, from the naming helper. */
  readonly alarmName: string;
  /** Consecutive failed one-minute probes before the alarm fires. */
  readonly failureThreshold: number;
  /** How long the probe's screenshots and logs are kept; whole days. */
  readonly artifactRetention: Duration;
  /** What happens to the artifact key and bucket when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Adds {@link PeerRegionProbe.lostAlarm}: the other region failed every probe for this long, the
   * probe's half of the evidence that starts an automatic activation of this region. @default no such alarm
   */
  readonly lostAfter?: { readonly alarmName: string; readonly minutes: number };
}

/** Probes once a minute; a failed run is one breaching data point. */
export const PROBE_INTERVAL = Duration.minutes(1);

/**
 * A CloudWatch Synthetics canary in this region that probes the other region's health
 * endpoint once a minute, and an alarm on its success rate that pages this region's topic.
 * Route 53 publishes health-check metrics only in us-east-1, so without this an outage of
 * us-east-1 would page no one: the probe, its metric, its alarm and the topic all live here.
 */
export class PeerRegionProbe extends Construct {
  /** The canary. */
  public readonly canary: synthetics.Canary;
  /** Fires when the other region fails `failureThreshold` probes in a row. */
  public readonly alarm: cloudwatch.Alarm;
  /** Fires when the other region failed every probe for `lostAfter.minutes`; undefined without `lostAfter`. */
  public readonly lostAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PeerRegionProbeProps) {
    super(scope, id);
    const key = new EncryptionKey(this, 'ArtifactKey', {
      description: `Encrypts the screenshots and logs of the probe of ${props.url}`,
      removalPolicy: props.removalPolicy,
    });
    const bucket = new s3.Bucket(this, 'Artifacts', {
      ...privateBucketSettings('expire-probe-artifacts', props.artifactRetention),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      removalPolicy: props.removalPolicy,
    });
    acknowledgeOutputBucket(
      bucket,
      "This bucket only receives the probe's own run artifacts, kept for days; the alarm on the probe's metric is the record that matters, and logging, replicating, locking or notifying on the artifacts would only produce more artifacts.",
    );

    const role = this.createRole(bucket, key);

    this.canary = new synthetics.Canary(this, 'Canary', {
      runtime: synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_9_1,
      test: synthetics.Test.custom({ code: synthetics.Code.fromInline(probeScript(props.url)), handler: 'index.handler' }),
      schedule: synthetics.Schedule.rate(PROBE_INTERVAL),
      role,
      artifactsBucketLocation: { bucket },
      timeout: Duration.seconds(30),
      provisionedResourceCleanup: true,
    });
    // Set on the L1: given the key, the L2 grants it through an inline policy with wildcard
    // actions; the role's managed policy already holds exactly the key actions the probe needs.
    (this.canary.node.defaultChild as synthetics.CfnCanary).artifactConfig = {
      s3Encryption: { encryptionMode: synthetics.ArtifactsEncryptionMode.KMS, kmsKeyArn: key.keyArn },
    };

    this.alarm = this.canary
      .metricSuccessPercent({ statistic: cloudwatch.Stats.AVERAGE, period: PROBE_INTERVAL })
      .createAlarm(this, 'Alarm', {
        alarmName: props.alarmName,
        alarmDescription: `${props.url} failed ${props.failureThreshold} probes in a row from ${Stack.of(this).region}: ${props.peerRegion} is down or has no writer (see docs/disaster-recovery.md)`,
        threshold: 100,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.failureThreshold,
        // A probe that does not run cannot vouch for the other region.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    const notify = new actions.SnsAction(props.topic);
    this.alarm.addAlarmAction(notify);
    this.alarm.addOkAction(notify);

    if (props.lostAfter) {
      this.lostAlarm = this.canary
        .metricSuccessPercent({ statistic: cloudwatch.Stats.AVERAGE, period: PROBE_INTERVAL })
        .createAlarm(this, 'LostAlarm', {
          alarmName: props.lostAfter.alarmName,
          alarmDescription: `${props.url} failed every probe from ${Stack.of(this).region} for ${props.lostAfter.minutes} min: with the replica's silence, the Region switch plan activates ${Stack.of(this).region} by itself (docs/disaster-recovery.md)`,
          threshold: 100,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: props.lostAfter.minutes,
          datapointsToAlarm: props.lostAfter.minutes,
          // Unlike the paging alarm: a switch starts only on evidence, and a probe that does not run gives none.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      this.lostAlarm.addAlarmAction(notify);
      this.lostAlarm.addOkAction(notify);
    }
  }

  /** What a canary needs (CloudWatch Synthetics' documented role): its artifacts, its logs, its metrics. */
  private createRole(bucket: s3.IBucket, key: EncryptionKey): iam.Role {
    const { partition, region, account } = Stack.of(this);
    const role = new iam.Role(this, 'Role', {
      description: 'Runs the peer-region probe: writes its artifacts, logs and metrics only',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const canaryLogGroups = `arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/cwsyn-*`;
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'The peer-region probe: artifacts, logs and metrics',
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [bucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }),
        // In this managed policy rather than through key.grant*, which writes an inline policy with wildcard actions.
        new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
        new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [canaryLogGroups] }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': 'CloudWatchSynthetics' } },
        }),
      ],
    });
    acknowledge(
      policy,
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 's3:ListAllMyBuckets and cloudwatch:PutMetricData have no resource-level permissions; PutMetricData is limited to the CloudWatchSynthetics namespace by condition.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: "The probe writes one object per run under a key it chooses; the statement names this probe's own bucket.",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${canaryLogGroups}]`,
        reason: 'Synthetics names the log group of the function it creates for the canary cwsyn-<name>-<random id>, which is unknown until the canary exists.',
      },
    );
    return role;
  }
}

/** Fails the run unless `url` answers 200 within 10 seconds. */
function probeScript(url: string): string {
  return [
    "const https = require('node:https');",
    'exports.handler = async () => {',
    '  const status = await new Promise((resolve, reject) => {',
    `    https.get(${JSON.stringify(url)}, { timeout: 10000 }, (response) => {`,
    '      response.resume();',
    '      resolve(response.statusCode);',
    "    }).on('timeout', function () { this.destroy(new Error('timed out')); }).on('error', reject);",
    '  });',
    `  if (status !== 200) throw new Error(${JSON.stringify(url)} + ' answered ' + status);`,
    '};',
  ].join('\n');
}
