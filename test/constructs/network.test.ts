import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Network, type NetworkProps } from '../../lib/constructs/network';
import { NamingError } from '../../lib/naming';
import { cdkJsonContext } from '../support/synth';
import { vpcView } from '../support/vpc';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

function networkIn(overrides: Partial<NetworkProps> = {}): Template {
  // The AZs a context lookup would return, so the bare stack never asks AWS.
  const app = new App({ context: { ...cdkJsonContext(), [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: ZONES } });
  const stack = new Stack(app, 'Network', { env: ENV });
  new Network(stack, 'Network', {
    cidr: '10.40.0.0/16',
    availabilityZones: ZONES,
    natGateways: 3,
    flowLogRetention: logs.RetentionDays.ONE_YEAR,
    flowLogGroupName: 'qa-network-flow-logs',
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    namePrefix: 'qa-network',
    ...overrides,
  });
  return Template.fromStack(stack);
}

const nameTag = (resource: Record<string, any>): string | undefined =>
  (resource.Properties.Tags as Array<{ Key: string; Value: string }> | undefined)?.find((tag) => tag.Key === 'Name')?.Value;

describe('Network', () => {
  const template = networkIn();
  const namesOf = (type: string) => Object.values(template.findResources(type)).map(nameTag).sort();

  it('names the VPC, gateway, flow log and each subnet, route table, NAT gateway and Elastic IP <namePrefix>-<purpose>', () => {
    expect(namesOf('AWS::EC2::VPC')).toEqual(['qa-network-vpc']);
    expect(namesOf('AWS::EC2::InternetGateway')).toEqual(['qa-network-igw']);
    expect(namesOf('AWS::EC2::FlowLog')).toEqual(['qa-network-flow-log']);
    const perZone = (suffix: string, groups: string[]) => groups.flatMap((group) => ['a', 'b', 'c'].map((zone) => `qa-network-${group}-${zone}${suffix}`)).sort();
    expect(namesOf('AWS::EC2::Subnet')).toEqual(perZone('', ['app', 'data', 'public']));
    expect(namesOf('AWS::EC2::RouteTable')).toEqual(perZone('-rt', ['app', 'data', 'public']));
    expect(namesOf('AWS::EC2::NatGateway')).toEqual(perZone('-nat', ['public']));
    expect(namesOf('AWS::EC2::EIP')).toEqual(perZone('-nat-eip', ['public']));
  });

  it('refuses a name prefix that makes a Name tag longer than AWS allows', () => {
    expect(() => networkIn({ namePrefix: 'x'.repeat(250) })).toThrow(NamingError);
  });

  it('sends the flow logs to the named group and applies the removal policy to it and its key', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: 'qa-network-flow-logs', RetentionInDays: 365 });
    for (const type of ['AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
      expect(Object.values(template.findResources(type)).map((r) => [r.DeletionPolicy, r.UpdateReplacePolicy])).toEqual([
        ['RetainExceptOnCreate', 'Retain'],
      ]);
    }
    const disposable = networkIn({ removalPolicy: RemovalPolicy.DESTROY });
    for (const type of ['AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
      expect(Object.values(disposable.findResources(type)).map((r) => r.DeletionPolicy)).toEqual(['Delete']);
    }
  });

  it('encrypts the flow logs with a key that rotates every year', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key')).map((k) => ({ rotates: k.Properties.EnableKeyRotation, days: k.Properties.RotationPeriodInDays ?? 365 }));
    expect(keys).toEqual(Array(1).fill({ rotates: true, days: 365 }));
  });

  it('with fewer NAT gateways than AZs, routes the app subnets of the other AZs through the first one', () => {
    const { subnets, natGateways } = vpcView(networkIn({ natGateways: 1 }));
    expect(natGateways).toHaveLength(1);
    const app = subnets.filter((subnet) => subnet.type === 'Private');
    expect(app).toHaveLength(3);
    for (const subnet of app) expect(subnet.routes).toEqual([{ destination: '0.0.0.0/0', natGatewayId: natGateways[0].id }]);
  });
});
