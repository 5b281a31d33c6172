import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { actionMatches, asList, type Statement } from './support/iam';
import { offlineConfig } from './support/synth';

/**
 * A resource policy (a key policy, a topic or bucket policy) is the only thing that
 * lets an AWS service act on the resource; for topics it even replaces SNS's default
 * policy. These tests say, for every kind of resource the app writes such a policy
 * for, which service must be allowed to do what, and check it in every template.
 */
type Resource = { Type: string; Properties: Record<string, any> };
type Resources = Record<string, Resource>;

const servicePrincipal = (statement: Statement & { Principal?: unknown }): string[] =>
  asList((statement.Principal as { Service?: string | string[] } | undefined)?.Service);

/** The Allow statements of `document` that let `service` do `action`. */
function allowing(document: { Statement: Statement[] } | undefined, service: string, action: string): Statement[] {
  return asList(document?.Statement).filter(
    (s) => s.Effect === 'Allow' && servicePrincipal(s).includes(service) && asList(s.Action).some((pattern) => actionMatches(pattern, action)),
  );
}

/** The logical ID a `Ref` or `Fn::GetAtt` names. */
const target = (value: any): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];

describe.each(ENVIRONMENT_NAMES)('resource policies in %s', (envName) => {
  const assembly = synthesized(envName);
  const { account } = offlineConfig(envName);
  const stacks = assembly.stackNames.map((name) => ({ name, region: assembly.stackEnvironment(name).split('/').pop()!, resources: assembly.template(name).toJSON().Resources as Resources }));
  const each = (type: string) => stacks.flatMap((stack) => Object.entries(stack.resources).filter(([, r]) => r.Type === type).map(([id, resource]) => ({ ...stack, id, resource })));

  it('let CloudWatch Logs use every key that encrypts a log group, in the group\'s region', () => {
    const groups = each('AWS::Logs::LogGroup').filter(({ resource }) => resource.Properties.KmsKeyId);
    expect(groups.length).toBeGreaterThan(5);
    for (const { name, id, region, resources, resource } of groups) {
      const key = resources[target(resource.Properties.KmsKeyId)!];
      for (const action of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']) {
        expect({ stack: name, group: id, action, allowed: allowing(key?.Properties.KeyPolicy, `logs.${region}.amazonaws.com`, action).length > 0 }).toEqual({
          stack: name,
          group: id,
          action,
          allowed: true,
        });
      }
    }
  });

  it('let only this account\'s alarms of this environment publish to each alarm topic, and use its key', () => {
    const topics = each('AWS::SNS::Topic');
    expect(topics.map(({ name }) => name)).toEqual([`${envName}-monitoring-us-east-1`, `${envName}-monitoring-eu-west-1`]);
    for (const { name, id, region, resources, resource } of topics) {
      const [, policy] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::TopicPolicy' && asList(r.Properties.Topics).some((t) => target(t) === id))!;
      const [publish, ...others] = allowing(policy.Properties.PolicyDocument, 'cloudwatch.amazonaws.com', 'sns:Publish');
      expect({ stack: name, others }).toEqual({ stack: name, others: [] });
      expect(publish.Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${region}:${account}:alarm:${envName}-*` },
      });
      const key = resources[target(resource.Properties.KmsMasterKeyId)!];
      for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) expect(allowing(key.Properties.KeyPolicy, 'cloudwatch.amazonaws.com', action)).toHaveLength(1);
    }
  });

  it('name every alarm that notifies (all but the scaling alarms) so that its topic lets it publish', () => {
    const scales = (resources: Resources, action: unknown) => resources[target(action) ?? '']?.Type === 'AWS::AutoScaling::ScalingPolicy';
    const alarms = each('AWS::CloudWatch::Alarm').filter(({ resources, resource }) => asList(resource.Properties.AlarmActions).some((a) => !scales(resources, a)));
    expect(alarms.length).toBeGreaterThan(15);
    expect(alarms.filter(({ resource }) => !String(resource.Properties.AlarmName).startsWith(`${envName}-`)).map(({ id }) => id)).toEqual([]);
  });

  it('let Elastic Load Balancing write access logs to the bucket each load balancer logs to', () => {
    for (const { name, id, resources, resource } of each('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      const bucketRef = asList(resource.Properties.LoadBalancerAttributes).find((a: any) => a.Key === 'access_logs.s3.bucket')?.Value;
      const bucketId = target(bucketRef)!;
      const [, policy] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::BucketPolicy' && target(r.Properties.Bucket) === bucketId)!;
      const writers = asList<Statement>(policy.Properties.PolicyDocument.Statement).filter((s) => s.Effect === 'Allow' && asList(s.Action).includes('s3:PutObject'));
      expect({ stack: name, loadBalancer: id, writes: writers.length > 0 }).toEqual({ stack: name, loadBalancer: id, writes: true });
    }
  });

  it('let S3 server access logging write to each bucket that others log to', () => {
    const targets = each('AWS::S3::Bucket').filter(({ resource }) => resource.Properties.LoggingConfiguration);
    expect(targets.length).toBeGreaterThan(0);
    for (const { name, resources, resource } of targets) {
      const logBucket = target(resource.Properties.LoggingConfiguration.DestinationBucketName);
      const [, policy] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::BucketPolicy' && target(r.Properties.Bucket) === logBucket)!;
      expect({ stack: name, allowed: allowing(policy.Properties.PolicyDocument, 'logging.s3.amazonaws.com', 's3:PutObject').length }).toEqual({ stack: name, allowed: 1 });
    }
  });
});
