import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ServiceNaming } from '../naming';
import { HEALTH_CHECK_PATH, WRITER_HEALTH_CHECK_PATH } from './web-server-user-data';

/** One region's entry point. */
export interface RegionEndpoint {
  /** The region, for identifiers and names. */
  readonly region: string;
  /** The region's own name, e.g. `us-east-1.app.example.com`, served by the ALB's certificate. */
  readonly domainName: string;
  /** The region's load balancer; a cross-region reference where it lives in another region. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
}

export interface FailoverDnsProps {
  /** The hosted zone the records go in. */
  readonly zone: route53.IHostedZone;
  /** The application's name, answered by the primary while healthy, else by the secondary. */
  readonly domainName: string;
  /** Serves while healthy. */
  readonly primary: RegionEndpoint;
  /** Serves while the primary is unhealthy. */
  readonly secondary: RegionEndpoint;
  /** Seconds between Route 53 health checks (10 or 30). */
  readonly requestInterval: Duration;
  /** Consecutive failed checks before a region counts as unhealthy. */
  readonly failureThreshold: number;
  /** Where the health-check alarms go (a topic in us-east-1, where Route 53 publishes its metrics). */
  readonly topic: sns.ITopic;
  /** Names for the alarms. */
  readonly naming: ServiceNaming;
  /**
   * Per region, the ID of a health check that is healthy only while the region has been made
   * active on purpose (the Region switch plan's). Each failover record answers only while this
   * check and the region's HTTPS check both pass, so no HTTPS recovery alone moves traffic back.
   */
  readonly activeRegionHealthCheckIds: Readonly<Record<string, string>>;
}

/** The failover record's set identifier for a region in a role; the Region switch plan maps them to regions. */
export function failoverSetIdentifier(role: 'Primary' | 'Secondary', region: string): string {
  return `${role.toLowerCase()}-${region}`;
}

/**
 * What Route 53 probes in each role: the primary is healthy only while the host its writer
 * parameter names logs the application in and may write (not a replica, not fenced), so a region
 * that lost its database, has no writer or was fenced is not; the secondary is healthy while it
 * serves at all, read-only included, so it still answers when it has no writer.
 */
export const FAILOVER_HEALTH_CHECK_PATHS = { Primary: WRITER_HEALTH_CHECK_PATH, Secondary: HEALTH_CHECK_PATH } as const;

/**
 * Route 53 failover: an HTTPS health check of each region through the region's own
 * name (the primary's `/health/writer`, the secondary's `/health`), an alarm on each,
 * a PRIMARY and a SECONDARY alias record for the application's name, and an alias
 * record per region. Each failover record's health check is a CALCULATED check that
 * is healthy only while both its children are: the region is active (the Region switch
 * plan's check) and its HTTPS check passes.
 */
export class FailoverDns extends Construct {
  /** The HTTPS health checks, by region. */
  public readonly healthChecks: Record<string, route53.HealthCheck> = {};
  /** The failover records' health checks, by region: active on purpose AND HTTPS healthy. */
  public readonly recordHealthChecks: Record<string, route53.HealthCheck> = {};
  /** The health-check alarms, by region. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: FailoverDnsProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.topic);

    for (const [role, endpoint] of [
      ['Primary', props.primary],
      ['Secondary', props.secondary],
    ] as const) {
      const target = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(endpoint.loadBalancer, { evaluateTargetHealth: true }));

      new route53.ARecord(this, `${role}RegionRecord`, {
        zone: props.zone,
        recordName: endpoint.domainName,
        target,
        comment: `${endpoint.region} load balancer, for its health check and direct access`,
      });

      const healthCheck = new route53.HealthCheck(this, `${role}HealthCheck`, {
        type: route53.HealthCheckType.HTTPS,
        fqdn: endpoint.domainName,
        port: 443,
        resourcePath: FAILOVER_HEALTH_CHECK_PATHS[role],
        enableSNI: true,
        requestInterval: props.requestInterval,
        failureThreshold: props.failureThreshold,
      });
      this.healthChecks[endpoint.region] = healthCheck;

      const activeCheckId = props.activeRegionHealthCheckIds[endpoint.region];
      if (activeCheckId === undefined) throw new Error(`No active-region health check for ${endpoint.region}`);
      // HealthThreshold = both children: "The number of child health checks ... that Amazon Route 53 must
      // consider healthy for the CALCULATED health check to be considered healthy"
      // (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_route53.HealthCheckProps.html).
      const recordHealthCheck = new route53.HealthCheck(this, `${role}RecordHealthCheck`, {
        type: route53.HealthCheckType.CALCULATED,
        childHealthChecks: [route53.HealthCheck.fromHealthCheckId(this, `${role}ActiveRegionCheck`, activeCheckId), healthCheck],
        healthThreshold: 2,
      });
      this.recordHealthChecks[endpoint.region] = recordHealthCheck;

      new route53.ARecord(this, `${role}FailoverRecord`, {
        zone: props.zone,
        recordName: props.domainName,
        target,
        failover: role === 'Primary' ? route53.Failover.PRIMARY : route53.Failover.SECONDARY,
        healthCheck: recordHealthCheck,
        setIdentifier: failoverSetIdentifier(role, endpoint.region),
        comment: `${role} for ${props.domainName}: ${endpoint.region}`,
      });

      const alarm = new cloudwatch.Metric({
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensionsMap: { HealthCheckId: healthCheck.healthCheckId },
        statistic: cloudwatch.Stats.MINIMUM,
        period: Duration.minutes(1),
        region: 'us-east-1',
      }).createAlarm(this, `${role}HealthCheckAlarm`, {
        alarmName: props.naming.name('alarm', `health-check-${endpoint.region}`),
        alarmDescription: `Route 53 sees ${endpoint.domainName}${FAILOVER_HEALTH_CHECK_PATHS[role]} failing: traffic ${role === 'Primary' ? 'fails over to the secondary' : 'has no standby'}`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // One period: Route 53 already waited for failureThreshold failed checks, and traffic has moved.
        evaluationPeriods: 1,
        // Route 53 reports status every minute while the check exists: silence is not health.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms[endpoint.region] = alarm;
    }
  }
}
