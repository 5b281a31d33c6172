import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AlertTopic } from '../constructs/alert-topic';
import { RegionalAlarms } from '../constructs/regional-alarms';
import type { AppStack } from './app-stack';
import type { DatabaseEndpoint } from './data-stacks';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface MonitoringStackProps extends Omit<ServiceStackProps, 'service' | 'stateful'> {
  /** The same region's app stack. */
  readonly app: AppStack;
  /** The same region's database. */
  readonly database: DatabaseEndpoint;
  /** Whether that database is the read replica (adds the replica-lag alarm). */
  readonly isReplica: boolean;
}

/** `<env>-monitoring-<region>`: the alarm topic, the region's alarms and its dashboard. */
export class MonitoringStack extends ServiceStack {
  /** Every alarm of the region notifies this topic. */
  public readonly topic: sns.ITopic;
  /** The alarms and the dashboard. */
  public readonly alarms: RegionalAlarms;

  constructor(scope: Construct, props: MonitoringStackProps) {
    super(scope, { ...props, service: 'monitoring' });
    this.topic = new AlertTopic(this, 'Alerts', {
      topicName: this.names.name('snsTopic', 'alerts'),
      emails: this.config.alertEmails,
      removalPolicy: this.statefulRemovalPolicy,
      alarmNamePrefix: `${this.config.name}-`,
    }).topic;

    this.alarms = new RegionalAlarms(this, 'Alarms', {
      loadBalancer: props.app.webTier.loadBalancer,
      targetGroup: props.app.webTier.targetGroup,
      autoScalingGroup: props.app.webTier.autoScalingGroup,
      databaseInstanceIdentifier: props.database.instanceIdentifier,
      isReplica: props.isReplica,
      thresholds: this.config.alarms,
      topic: this.topic,
      naming: this.names,
    });
  }
}
