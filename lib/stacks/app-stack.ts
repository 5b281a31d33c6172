import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { regionalDomainName } from '../config';
import { CpuStepScaling } from '../constructs/cpu-scaling';
import { WebAcl } from '../constructs/web-acl';
import { WebTier } from '../constructs/web-tier';
import { PROTECTED_STATE_REMOVAL } from '../stateful';
import type { DatabaseEndpoint } from './data-stack';
import type { NetworkStack } from './network-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface AppStackProps extends Omit<ServiceStackProps, 'service' | 'stateful'> {
  /** The same region's network. */
  readonly network: NetworkStack;
  /** The same region's database: the writer, or the replica that becomes it. */
  readonly database: DatabaseEndpoint;
}

/**
 * The output that holds the load balancer's DNS name: the pipeline's post-deploy check
 * connects there, because the regional DNS record is created later, by the DNS stack.
 */
export const LOAD_BALANCER_DNS_OUTPUT = 'LoadBalancerDnsName';

/** `<env>-app-<region>`: certificate, WAF-protected HTTPS load balancer and the CPU-scaled instances. */
export class AppStack extends ServiceStack {
  /** The load balancer, target group, instances and their security groups. */
  public readonly webTier: WebTier;
  /** The CPU step scaling and its two alarms, which page nobody. */
  public readonly scaling: CpuStepScaling;
  /** The name this region answers to, e.g. `us-east-1.app.example.com`. */
  public readonly regionalDomainName: string;

  constructor(scope: Construct, props: AppStackProps) {
    super(scope, { ...props, service: 'app', crossRegionReferences: true });
    const { config } = this;
    this.regionalDomainName = regionalDomainName(config, props.region);

    this.webTier = new WebTier(this, 'WebTier', {
      vpc: props.network.vpc,
      publicSubnets: props.network.publicSubnets,
      appSubnets: props.network.appSubnets,
      certificate: this.certificate(props.region),
      database: props.database,
      instanceTypes: config.app.instanceTypes,
      amiId: config.app.amiIds[props.region],
      appPort: config.app.port,
      minCapacity: config.app.minCapacity,
      desiredCapacity: config.app.desiredCapacity,
      maxCapacity: config.app.maxCapacity,
      healthCheckGracePeriod: Duration.seconds(config.app.healthCheckGraceSeconds),
      deletionProtection: config.protectStatefulResources,
      accessLogRetention: Duration.days(config.logRetentionDays),
      // The access logs are audit evidence: kept in every environment, not only where state is protected.
      removalPolicy: PROTECTED_STATE_REMOVAL,
      loadBalancerName: this.names.name('loadBalancer'),
      namePrefix: this.names.name('nameTag'),
    });

    new CfnOutput(this, LOAD_BALANCER_DNS_OUTPUT, {
      description: `Where ${this.regionalDomainName} points; the pipeline checks /health here before the DNS stack exists`,
      value: this.webTier.loadBalancer.loadBalancerDnsName,
    });

    new WebAcl(this, 'WebAcl', {
      loadBalancer: this.webTier.loadBalancer,
      webAclName: this.names.name('webAcl'),
      rateLimitPer5Minutes: config.app.wafRateLimitPer5Minutes,
      logRetention: config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });

    this.scaling = new CpuStepScaling(this, 'CpuScaling', {
      autoScalingGroup: this.webTier.autoScalingGroup,
      scaleOutAbovePercent: config.alarms.cpuHighPercent,
      scaleInBelowPercent: config.alarms.cpuLowPercent,
      period: Duration.seconds(config.alarms.periodSeconds),
      evaluationPeriods: config.alarms.evaluationPeriods,
    });
  }

  /** The configured certificate, or a new one DNS-validated in the configured zone (imported, not looked up). */
  private certificate(region: keyof typeof this.config.app.certificateArns): acm.ICertificate {
    const existing = this.config.app.certificateArns[region];
    if (existing) return acm.Certificate.fromCertificateArn(this, 'Certificate', existing);
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: this.config.dns.hostedZoneId,
      zoneName: this.config.dns.hostedZoneName,
    });
    return new acm.Certificate(this, 'Certificate', {
      domainName: this.config.dns.domainName,
      subjectAlternativeNames: [this.regionalDomainName],
      validation: acm.CertificateValidation.fromDns(zone),
    });
  }
}
