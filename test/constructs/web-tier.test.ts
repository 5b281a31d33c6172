import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { WebTier, type WebTierProps } from '../../lib/constructs/web-tier';
import { NamingError } from '../../lib/naming';
import { cdkJsonContext } from '../support/synth';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function webTierIn(overrides: Partial<WebTierProps> = {}): Template {
  const app = new App({ context: { ...cdkJsonContext(), [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: ['eu-west-1a', 'eu-west-1b'] } });
  const stack = new Stack(app, 'App', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new WebTier(stack, 'WebTier', {
    vpc,
    publicSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    appSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', `arn:aws:acm:${ENV.region}:${ENV.account}:certificate/0000`),
    database: {
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'DatabaseGroup', 'sg-0123456789abcdef0'),
      port: 5432,
      secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', `arn:aws:secretsmanager:${ENV.region}:${ENV.account}:secret:db-AbCdEf`),
      hostname: 'db.example.internal',
      writerParameterName: 'qa-writer',
    },
    instanceTypes: ['t4g.small', 't4g.medium'],
    amiId: 'ami-0123456789abcdef0',
    appPort: 8080,
    minCapacity: 1,
    desiredCapacity: 1,
    maxCapacity: 2,
    healthCheckGracePeriod: Duration.minutes(5),
    deletionProtection: false,
    accessLogRetention: Duration.days(90),
    removalPolicy: RemovalPolicy.DESTROY,
    loadBalancerName: 'qa-web',
    namePrefix: 'qa-app',
    ...overrides,
  });
  return Template.fromStack(stack);
}

const nameTags = (template: Template, type: string): string[] =>
  Object.values(template.findResources(type))
    .flatMap((r) => (r.Properties.Tags as Array<{ Key: string; Value: string }> | undefined) ?? [])
    .filter((tag) => tag.Key === 'Name')
    .map((tag) => tag.Value)
    .sort();

describe('WebTier', () => {
  const template = webTierIn();

  it('names the load balancer by its own prop', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Name: 'qa-web' });
  });

  it('names the security groups and instances <namePrefix>-<purpose>', () => {
    expect(nameTags(template, 'AWS::EC2::SecurityGroup')).toEqual(['qa-app-alb', 'qa-app-instances']);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      Tags: [{ Key: 'Name', Value: 'qa-app-instance', PropagateAtLaunch: true }],
    });
  });

  it('refuses a name prefix that makes a Name tag longer than AWS allows', () => {
    expect(() => webTierIn({ namePrefix: 'x'.repeat(250) })).toThrow(NamingError);
  });

  it('expires access logs after accessLogRetention and applies the removal policy to their bucket', () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(1);
    expect(buckets[0]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(buckets[0].Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ Id: 'expire-access-logs', ExpirationInDays: 90 })]);
    const kept = Object.values(webTierIn({ removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }).findResources('AWS::S3::Bucket'));
    expect(kept[0]).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  it('turns on the load balancer deletion protection only where asked', () => {
    const attribute = (t: Template) =>
      Object.values(t.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0].Properties.LoadBalancerAttributes.find(
        (a: { Key: string }) => a.Key === 'deletion_protection.enabled',
      )?.Value;
    expect(attribute(template)).toBe('false');
    expect(attribute(webTierIn({ deletionProtection: true }))).toBe('true');
  });
});
