import { Arn, ArnFormat, Duration } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { autoActivationTarget, FOUNDING_REGION, peerOf, type RegionName } from '../config';
import { FailoverDns, failoverSetIdentifier } from '../constructs/failover-dns';
import { PlanHealthChecks } from '../constructs/plan-health-checks';
import { RegionSwitch, type PlanAlarm, type RegionSwitchAutoActivation, type RegionSwitchRegion } from '../constructs/region-switch';
import { SWITCH_ACTIONS, type SwitchAction } from '../constructs/switch-actions';
import { instanceArn, instanceIdentifierOf, regionSwitchPlanName, switchActionPrefix } from './data-stack';
import type { AppStack } from './app-stack';
import { planAlarmNames } from './monitoring-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface DnsStackProps extends Omit<ServiceStackProps, 'service' | 'stateful' | 'region' | 'location'> {
  /** The app stacks of both regions. */
  readonly apps: Readonly<Record<RegionName, AppStack>>;
  /** The us-east-1 alarm topic, for the health-check alarms. */
  readonly topic: sns.ITopic;
}

/**
 * `<env>-dns-global`, deployed in us-east-1 (where Route 53 publishes health-check
 * metrics): the Region switch plan, health checks, failover records and their alarms.
 * It reads the other region's load balancer and both Auto Scaling groups' ARNs through
 * CDK cross-region references; the switch actions' functions and the database instances
 * it names by the naming convention of the data stacks that hold them.
 *
 * Nothing here follows `primaryRegion`: which region takes traffic is the plan's to decide,
 * through its health checks, so the records keep their founding roles (PRIMARY in the founding
 * region) and the config change after a switch leaves this stack's records and the plan's
 * create-only properties alone.
 */
export class DnsStack extends ServiceStack {
  /** Health checks, records and alarms. */
  public readonly failover: FailoverDns;
  /** The Region switch plan: the only way a region becomes active. */
  public readonly regionSwitch: RegionSwitch;

  constructor(scope: Construct, props: DnsStackProps) {
    super(scope, { ...props, service: 'dns', region: 'us-east-1', location: 'global', crossRegionReferences: true });
    const { dns } = this.config;
    const endpoint = (region: RegionName) => ({
      region,
      domainName: props.apps[region].regionalDomainName,
      loadBalancer: props.apps[region].webTier.loadBalancer,
    });

    const [first, second] = [FOUNDING_REGION, peerOf(FOUNDING_REGION)];
    const switchRegion = (region: RegionName): RegionSwitchRegion => ({
      region,
      dbInstanceArn: instanceArn(this, region, instanceIdentifierOf(this.config, region)),
      // The plan needs the group's ARN with its UUID, which only the group's attribute gives.
      autoScalingGroupArn: (props.apps[region].webTier.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).attrAutoScalingGroupArn,
      actionFunctionArns: Object.fromEntries(
        SWITCH_ACTIONS.map((action) => [
          action,
          Arn.format({ service: 'lambda', region, resource: 'function', resourceName: `${switchActionPrefix(this.config, region)}-${action}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, this),
        ]),
      ) as Record<SwitchAction, string>,
      recordSetIdentifier: failoverSetIdentifier(region === first ? 'Primary' : 'Secondary', region),
    });
    this.regionSwitch = new RegionSwitch(this, 'RegionSwitch', {
      planName: regionSwitchPlanName(this.config),
      // The plan's Regions and PrimaryRegion are create-only (AWS::ARCRegionSwitch::Plan registry
      // schema, createOnlyProperties): following `primaryRegion` would make the config change after
      // a switch replace the named plan (which CloudFormation refuses) and its health checks with it.
      // Either workflow activates either region.
      primary: switchRegion(first),
      standby: switchRegion(second),
      hostedZoneId: dns.hostedZoneId,
      recordName: dns.domainName,
      recoveryTimeObjectiveMinutes: dns.regionSwitch.recoveryTimeObjectiveMinutes,
      approval: dns.regionSwitch.approval,
      autoActivation: this.autoActivation(),
      applicationHealthAlarms: [first, second].map((region) => this.planAlarm(region, planAlarmNames(this.config, region).applicationHealth)),
    });

    // Which of the plan's checks serves which region: ARC says, not the order of PlanHealthChecks.
    const planHealthChecks = new PlanHealthChecks(this, 'PlanHealthChecks', {
      plan: this.regionSwitch.plan,
      regions: this.regionSwitch.regions,
      hostedZoneId: dns.hostedZoneId,
      recordName: dns.domainName,
      functionName: this.names.name('lambdaFunction', 'switch-health-checks'),
      logRetention: this.config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });

    this.failover = new FailoverDns(this, 'Failover', {
      zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: dns.hostedZoneId, zoneName: dns.hostedZoneName }),
      domainName: dns.domainName,
      primary: endpoint(first),
      secondary: endpoint(second),
      requestInterval: Duration.seconds(dns.healthCheckIntervalSeconds),
      failureThreshold: dns.healthCheckFailureThreshold,
      topic: props.topic,
      naming: this.names,
      activeRegionHealthCheckIds: Object.fromEntries([first, second].map((region) => [region, planHealthChecks.healthCheckIdOf(region)])),
    });
  }

  /** A monitoring stack's alarm by name, in the region that holds it (named, not referenced: see planAlarmNames). */
  private planAlarm(region: RegionName, name: string): PlanAlarm {
    return { name, arn: Arn.format({ service: 'cloudwatch', region, resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, this) };
  }

  /**
   * The trigger, while config turns it on and the founding region holds the writer: it activates the
   * standby when the standby's two views of the founding region agree it is lost (its probe over the
   * internet, its replica over RDS replication). Both alarms live in the standby, which ARC reads while the
   * founding region is down; none in us-east-1, where Route 53's own metrics are and the outage is.
   */
  private autoActivation(): RegionSwitchAutoActivation | undefined {
    const target = autoActivationTarget(this.config);
    const auto = this.config.dns.regionSwitch.autoActivation;
    if (target === undefined || auto === false) return undefined;
    const names = planAlarmNames(this.config, target);
    return {
      targetRegion: target,
      conditions: [this.planAlarm(target, names.peerLost), this.planAlarm(target, names.replicationStopped)],
      description: `${peerOf(target)} lost for ${auto.afterMinutes} min, seen from ${target}: every probe failed and its replica received nothing`,
    };
  }
}
