import { ENVIRONMENT_NAMES } from '../lib/config';
import { evaluateTemplate } from '../lib/compliance/org-rules';
import { synthesized } from './support/assembly';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

const tags = (keys = ['environment', 'project', 'owner', 'cost_center']) => keys.map((Key) => ({ Key, Value: 'x' }));
const stack = (resources: Template['Resources']): Template => ({ Resources: resources });

describe.each(ENVIRONMENT_NAMES)('the organisation rules on %s', (envName) => {
  const assembly = synthesized(envName);

  it.each(assembly.stackNames)('find nothing in %s', (stackName) => {
    expect(evaluateTemplate(stackName, assembly.template(stackName).toJSON() as Template)).toEqual([]);
  });
});

describe('mandatory tags', () => {
  it('catch a taggable resource without cost_center, using the CloudFormation spec', () => {
    const findings = evaluateTemplate('prod-network-us-east-1', stack({ Vpc: { Type: 'AWS::EC2::VPC', Properties: { Tags: tags(['environment', 'project', 'owner']) } } }));
    expect(findings).toEqual([{ rule: 'MandatoryTags', logicalId: 'Vpc', message: 'AWS::EC2::VPC lacks tag(s) cost_center' }]);
  });

  it('read map-shaped tags and ignore types that take none', () => {
    const template = stack({
      Param: { Type: 'AWS::SSM::Parameter', Properties: { Tags: { environment: 'x', project: 'x', owner: 'x', cost_center: 'x' } } },
      Association: { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: {} },
    });
    expect(evaluateTemplate('prod-network-us-east-1', template)).toEqual([]);
  });
});

describe('the naming convention', () => {
  it('catches a stack name outside <environment>-<service>-<region>', () => {
    expect(evaluateTemplate('prod-web-us-east-1', stack({}))).toEqual([
      { rule: 'NamingConvention', message: 'stack name "prod-web-us-east-1" is not <environment>-<service>-<region|global>' },
    ]);
    expect(evaluateTemplate('Prod-app-us-east-1', stack({}))).toHaveLength(1);
    expect(evaluateTemplate('staging-app-us-east-1', stack({}))).toEqual([]);
  });

  it('catches a physical name that does not start with the stack name', () => {
    const template = stack({ Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Name: 'my-alb', Type: 'application', Tags: tags() } } });
    expect(evaluateTemplate('prod-app-us-east-1', template)).toEqual([
      { rule: 'NamingConvention', logicalId: 'Alb', message: 'Name "my-alb" does not start with "prod-app-us-east-1"' },
    ]);
  });

  it('accepts the prefixes AWS mandates in front of the convention', () => {
    const template = stack({
      RdsLogs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/rds/instance/prod-data-us-east-1/postgresql', Tags: tags() } },
      WafLogs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: 'aws-waf-logs-prod-data-us-east-1', Tags: tags() } },
    });
    expect(evaluateTemplate('prod-data-us-east-1', template)).toEqual([]);
  });
});

describe('wildcard actions', () => {
  const policy = (Statement: unknown[]) => stack({ Policy: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: { Statement } } } });

  it('catch "*" and "service:*" in an allow statement', () => {
    const findings = evaluateTemplate('prod-app-us-east-1', policy([{ Effect: 'Allow', Action: ['s3:*', 'ec2:DescribeInstances'], Resource: '*' }, { Effect: 'Allow', Action: '*', Resource: '*' }]));
    expect(findings.map((f) => f.message)).toEqual(['allows action "s3:*"', 'allows action "*"']);
  });

  it('catch them in a role\'s inline policies too', () => {
    const template = stack({ Role: { Type: 'AWS::IAM::Role', Properties: { Tags: tags(), Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kms:*' }] } }] } } });
    expect(evaluateTemplate('prod-app-us-east-1', template)).toEqual([{ rule: 'NoWildcardActions', logicalId: 'Role', message: 'allows action "kms:*"' }]);
  });

  it('allow prefixes such as s3:Get* and wildcards in deny statements', () => {
    expect(evaluateTemplate('prod-app-us-east-1', policy([{ Effect: 'Allow', Action: 's3:Get*' }, { Effect: 'Deny', Action: 's3:*' }]))).toEqual([]);
  });
});

describe('open ingress', () => {
  const albStack = (ingress: unknown[], extra: Template['Resources'] = {}) =>
    stack({
      AlbSg: { Type: 'AWS::EC2::SecurityGroup', Properties: { Tags: tags(), SecurityGroupIngress: ingress } },
      Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application', Tags: tags(), SecurityGroups: [{ 'Fn::GetAtt': ['AlbSg', 'GroupId'] }] } },
      ...extra,
    });

  it("accepts the load balancer's 80 and 443 from the internet", () => {
    const template = albStack([
      { CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' },
      { CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp' },
    ]);
    expect(evaluateTemplate('prod-app-us-east-1', template)).toEqual([]);
  });

  it('catches another port on the load balancer, and IPv6', () => {
    const template = albStack([
      { CidrIp: '0.0.0.0/0', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' },
      { CidrIpv6: '::/0', FromPort: 0, ToPort: 65535, IpProtocol: 'tcp' },
    ]);
    expect(evaluateTemplate('prod-app-us-east-1', template).map((f) => f.message)).toEqual([
      'takes ports 22-22 from the internet',
      'takes ports 0-65535 from the internet',
    ]);
  });

  it('catches 443 from the internet on a group that is not the load balancer\'s, as a separate ingress resource too', () => {
    const template = albStack([], {
      InstanceSg: { Type: 'AWS::EC2::SecurityGroup', Properties: { Tags: tags() } },
      Open: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { 'Fn::GetAtt': ['InstanceSg', 'GroupId'] }, CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 } },
    });
    expect(evaluateTemplate('prod-app-us-east-1', template)).toEqual([{ rule: 'NoOpenIngress', logicalId: 'Open', message: 'takes ports 443-443 from the internet' }]);
  });
});
