import { Duration } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { RegionName } from '../config';
import { FailoverDns } from '../constructs/failover-dns';
import type { AppStack } from './app-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface DnsStackProps extends Omit<ServiceStackProps, 'service' | 'stateful' | 'region' | 'location'> {
  /** The app stacks of both regions; the first is the primary. */
  readonly apps: Readonly<Record<RegionName, AppStack>>;
  /** The primary region, where the records fail over from. */
  readonly primaryRegion: RegionName;
  /** The standby region, where they fail over to. */
  readonly standbyRegion: RegionName;
  /** The us-east-1 alarm topic, for the health-check alarms. */
  readonly topic: sns.ITopic;
}

/**
 * `<env>-dns-global`, deployed in us-east-1 (where Route 53 publishes health-check
 * metrics): health checks, failover records and their alarms. It reads the other
 * region's load balancer through a CDK cross-region reference.
 */
export class DnsStack extends ServiceStack {
  /** Health checks, records and alarms. */
  public readonly failover: FailoverDns;

  constructor(scope: Construct, props: DnsStackProps) {
    super(scope, { ...props, service: 'dns', region: 'us-east-1', location: 'global', crossRegionReferences: true });
    const { dns } = this.config;
    const endpoint = (region: RegionName) => ({
      region,
      domainName: props.apps[region].regionalDomainName,
      loadBalancer: props.apps[region].webTier.loadBalancer,
    });

    this.failover = new FailoverDns(this, 'Failover', {
      zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: dns.hostedZoneId, zoneName: dns.hostedZoneName }),
      domainName: dns.domainName,
      primary: endpoint(props.primaryRegion),
      secondary: endpoint(props.standbyRegion),
      requestInterval: Duration.seconds(dns.healthCheckIntervalSeconds),
      failureThreshold: dns.healthCheckFailureThreshold,
      topic: props.topic,
      naming: this.names,
    });
  }
}
