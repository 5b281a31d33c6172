import { CfnOutput, Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { autoActivationTarget, peerOf as peerOfRegion, regionalDomainName, type EnvironmentConfig, type RegionName } from '../config';
import { Naming } from '../naming';
import { AlertTopic } from '../constructs/alert-topic';
import { PeerRegionProbe } from '../constructs/peer-region-probe';
import { RegionalAlarms, REPLICATION_STOPPED_ALARM, type AlarmThresholds } from '../constructs/regional-alarms';
import type { AppStack } from './app-stack';
import { credentialsRotationFunctionName, type DatabaseEndpoint } from './data-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/**
 * The output that names, space-separated, the alarms describing this region's own app and
 * database: what the pipeline's check after this region's wave requires to be OK.
 */
export const HEALTH_ALARM_NAMES_OUTPUT = 'HealthAlarmNames';

/** The names of the alarms a region's monitoring stack keeps for the Region switch plan. */
export interface PlanAlarmNames {
  /** The region's own application health: its load balancer sees unhealthy instances. */
  readonly applicationHealth: string;
  /** The region's probe of the other region failed every minute for `autoActivation.afterMinutes`. */
  readonly peerLost: string;
  /** The region's replica replayed nothing for `autoActivation.afterMinutes`. */
  readonly replicationStopped: string;
}

/**
 * The names `region`'s monitoring stack gives the alarms the plan reads, by the naming convention,
 * so the DNS stack names them without a reference into that region (whose outage they describe).
 */
export function planAlarmNames(config: EnvironmentConfig, region: RegionName): PlanAlarmNames {
  const name = (purpose: string) => new Naming(config.name).name('alarm', 'monitoring', region, purpose);
  return { applicationHealth: name('unhealthy-hosts'), peerLost: name(`probe-${peerOfRegion(region)}-lost`), replicationStopped: name(REPLICATION_STOPPED_ALARM) };
}

export interface MonitoringStackProps extends Omit<ServiceStackProps, 'service' | 'stateful'> {
  /** The same region's app stack. */
  readonly app: AppStack;
  /** The same region's database. */
  readonly database: DatabaseEndpoint;
  /** Whether that database is the read replica (adds the replica-lag alarm). */
  readonly isReplica: boolean;
  /** The other region, which this region probes so that its outage pages from here. */
  readonly peerRegion: RegionName;
  /** The path Route 53 checks in the other region, which the probe checks too. */
  readonly peerHealthCheckPath: string;
}

/** `<env>-monitoring-<region>`: the alarm topic, the region's alarms and dashboard, and the probe of the other region. */
export class MonitoringStack extends ServiceStack {
  /** Every alarm of the region notifies this topic. */
  public readonly topic: sns.ITopic;
  /** The alarms and the dashboard. */
  public readonly alarms: RegionalAlarms;
  /** Probes the other region from here and pages this region's topic when it fails. */
  public readonly peerProbe: PeerRegionProbe;
  /** Fires when a step of this region's credentials rotation fails. */
  public readonly rotationFailedAlarm: cloudwatch.Alarm;
  /** The names of the alarms that describe this region itself (not the probe of the other region), as in `HEALTH_ALARM_NAMES_OUTPUT`. */
  public readonly healthAlarmNames: string[];

  constructor(scope: Construct, props: MonitoringStackProps) {
    super(scope, { ...props, service: 'monitoring' });
    this.topic = new AlertTopic(this, 'Alerts', {
      topicName: this.names.name('snsTopic', 'alerts'),
      emails: this.config.alertEmails,
      removalPolicy: this.statefulRemovalPolicy,
      alarmNamePrefix: `${this.config.name}-`,
    }).topic;

    // The standby keeps the evidence that starts an automatic activation of itself: both alarms
    // live here, in the region that survives the outage they describe, and are read from here.
    const auto = this.config.dns.regionSwitch.autoActivation;
    const autoMinutes = auto !== false && autoActivationTarget(this.config) === this.region ? auto.afterMinutes : undefined;
    const planAlarms = planAlarmNames(this.config, props.region);

    this.alarms = new RegionalAlarms(this, 'Alarms', {
      loadBalancer: props.app.webTier.loadBalancer,
      targetGroup: props.app.webTier.targetGroup,
      autoScalingGroup: props.app.webTier.autoScalingGroup,
      databaseInstanceIdentifier: props.database.instanceIdentifier,
      isReplica: props.isReplica,
      thresholds: alarmThresholds(this.config.alarms),
      topic: this.topic,
      namePrefix: this.names.name('alarm'),
      dashboardName: this.names.name('dashboard'),
      replicationStoppedAfterMinutes: autoMinutes,
    });

    // Reads nothing from the other region but its public name, so it still deploys and pages during that region's outage.
    this.peerProbe = new PeerRegionProbe(this, 'PeerProbe', {
      peerRegion: props.peerRegion,
      url: `https://${regionalDomainName(this.config, props.peerRegion)}${props.peerHealthCheckPath}`,
      topic: this.topic,
      alarmName: this.names.name('alarm', `probe-${props.peerRegion}`),
      failureThreshold: this.config.dns.healthCheckFailureThreshold,
      artifactRetention: PROBE_ARTIFACT_RETENTION,
      removalPolicy: this.statefulRemovalPolicy,
      lostAfter: autoMinutes === undefined ? undefined : { alarmName: planAlarms.peerLost, minutes: autoMinutes },
    });

    // A rotation of this region's credentials that fails: the other region not answering the writer's
    // request to copy, two writers, RDS not applying the password (docs/credentials.md). Named, not
    // referenced: the function lives in the data stack. Not a health alarm: a deploy does not wait on it.
    const rotationFunction = credentialsRotationFunctionName(this.config, props.region);
    this.rotationFailedAlarm = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensionsMap: { FunctionName: rotationFunction },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    }).createAlarm(this, 'CredentialsRotationFailed', {
      alarmName: this.names.name('alarm', 'credentials-rotation-failed'),
      alarmDescription: `A step of ${rotationFunction} failed: this region's credentials may not hold the writer's password (docs/credentials.md, "When things go wrong")`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // The function runs only while a rotation runs: no invocation is no failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const notify = new actions.SnsAction(this.topic);
    this.rotationFailedAlarm.addAlarmAction(notify);
    this.rotationFailedAlarm.addOkAction(notify);

    // The region's own alarms, read by the pipeline's check from the stack it just deployed.
    // Not the probe: it watches the other region, which on a first deploy does not exist yet.
    this.healthAlarmNames = this.alarms.alarmNames;
    new CfnOutput(this, HEALTH_ALARM_NAMES_OUTPUT, {
      value: this.healthAlarmNames.join(' '),
      description: `The alarms of ${this.region}'s own app and database, which the pipeline's check after this region's deploy requires to be OK`,
    });
  }
}

/** The configured paging thresholds, in the units the alarms take. */
function alarmThresholds(alarms: EnvironmentConfig['alarms']): AlarmThresholds {
  return {
    period: Duration.seconds(alarms.periodSeconds),
    evaluationPeriods: alarms.pagingEvaluationPeriods,
    datapointsToAlarm: alarms.pagingDatapointsToAlarm,
    cpuHighPercent: alarms.cpuHighPercent,
    elb5xxPercent: alarms.elb5xxPercent,
    target5xxPercent: alarms.target5xxPercent,
    errorRateMinRequests: alarms.errorRateMinRequests,
    targetResponseTimeP99: Duration.seconds(alarms.targetResponseTimeP99Seconds),
    unhealthyHostCount: alarms.unhealthyHostCount,
    dbCpuHighPercent: alarms.dbCpuHighPercent,
    dbFreeStorageLow: Size.gibibytes(alarms.dbFreeStorageLowGiB),
    dbFreeableMemoryLow: Size.mebibytes(alarms.dbFreeableMemoryLowMiB),
    dbConnectionsHigh: alarms.dbConnectionsHigh,
    replicaLag: Duration.seconds(alarms.replicaLagSeconds),
  };
}

/** A probe's screenshots and logs only explain a recent failure; the alarm history outlives them. */
const PROBE_ARTIFACT_RETENTION = Duration.days(14);
