import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENT_NAMES, REGIONS, validateConfig, ENVIRONMENTS } from '../lib/config';
import { NetworkStack } from '../lib/stacks/network-stack';
import { synthesized } from './support/assembly';
import { offlineConfig, testApp } from './support/synth';
import { vpcView } from './support/vpc';

describe.each(ENVIRONMENT_NAMES)('%s network', (envName) => {
  const config = offlineConfig(envName);

  describe.each(REGIONS)('in %s', (region) => {
    const template = synthesized(envName).template(`${envName}-network-${region}`);
    const { subnets, natGateways } = vpcView(template);
    const zones = config.regions[region].availabilityZones;
    const subnetsOf = (type: string) => subnets.filter((s) => s.type === type);

    it('creates one VPC with the configured CIDR', () => {
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: config.regions[region].vpcCidr });
    });

    it.each(['Public', 'Private', 'Isolated'])('puts one %s subnet in each of the 3 configured AZs', (type) => {
      expect(subnetsOf(type).map((s) => s.availabilityZone).sort()).toEqual([...zones].sort());
    });

    it('runs one NAT gateway per AZ, each in that AZ\'s public subnet', () => {
      const natZones = natGateways.map((nat) => subnets.find((s) => s.id === nat.subnetId)!);
      expect(natZones.every((s) => s.type === 'Public')).toBe(true);
      expect(natZones.map((s) => s.availabilityZone).sort()).toEqual([...zones].sort());
    });

    it('routes each private subnet to the NAT in its own AZ', () => {
      for (const subnet of subnetsOf('Private')) {
        const defaultRoute = subnet.routes.find((r) => r.destination === '0.0.0.0/0');
        const nat = natGateways.find((n) => n.id === defaultRoute?.natGatewayId);
        const natZone = subnets.find((s) => s.id === nat?.subnetId)?.availabilityZone;
        expect({ subnet: subnet.id, natZone }).toEqual({ subnet: subnet.id, natZone: subnet.availabilityZone });
      }
    });

    it('gives isolated subnets no route off the VPC', () => {
      for (const subnet of subnetsOf('Isolated')) expect(subnet.routes).toEqual([]);
    });

    it('does not assign public IPs on launch, even in public subnets', () => {
      for (const subnet of subnets) expect(template.toJSON().Resources[subnet.id].Properties.MapPublicIpOnLaunch).toBe(false);
    });

    it('logs all VPC traffic to a KMS-encrypted log group with the configured retention', () => {
      template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
        LogGroupName: { Ref: Match.stringLikeRegexp('FlowLogGroup') },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `${envName}-network-${region}-flow-logs`,
        RetentionInDays: config.logRetentionDays,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('FlowLogKey'), 'Arn'] },
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it(`${config.protectStatefulResources ? 'retains' : 'removes'} the flow-log group and key with the stack`, () => {
      const [deletion, replace] = config.protectStatefulResources ? ['RetainExceptOnCreate', 'Retain'] : ['Delete', 'Delete'];
      template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: deletion, UpdateReplacePolicy: replace });
      template.hasResource('AWS::KMS::Key', { DeletionPolicy: deletion, UpdateReplacePolicy: replace });
    });

    it(`${config.protectStatefulResources ? 'has' : 'has no'} termination protection, since every stack of the region sits in its VPC`, () => {
      expect(synthesized(envName).terminationProtection(`${envName}-network-${region}`)).toBe(config.protectStatefulResources);
    });

    it('strips every rule from the default security group', () => {
      template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
        DefaultSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Vpc'), 'DefaultSecurityGroup'] },
      });
    });

    it('names the VPC, subnets, route tables and NAT gateways with the naming helper', () => {
      const nameOf = (id: string) =>
        (template.toJSON().Resources[id].Properties.Tags as Array<{ Key: string; Value: string }>).find((t) => t.Key === 'Name')?.Value;
      template.hasResourceProperties('AWS::EC2::VPC', { Tags: Match.arrayWith([{ Key: 'Name', Value: `${envName}-network-${region}-vpc` }]) });
      for (const subnet of subnets) {
        const group = { Public: 'public', Private: 'app', Isolated: 'data' }[subnet.type];
        const zone = `${envName}-network-${region}-${group}-${subnet.availabilityZone.slice(-1)}`;
        expect(nameOf(subnet.id)).toBe(zone);
        expect(nameOf(subnet.routeTableId)).toBe(`${zone}-rt`);
      }
      for (const nat of natGateways) expect(nameOf(nat.id)).toMatch(new RegExp(`^${envName}-network-${region}-public-[abc]-nat$`));
    });
  });
});

describe('a network with fewer NAT gateways than AZs', () => {
  const config = validateConfig('dev', {
    ...ENVIRONMENTS.dev,
    regions: { ...ENVIRONMENTS.dev.regions, 'us-east-1': { ...ENVIRONMENTS.dev.regions['us-east-1'], natGateways: 1 } },
  });
  const stack = new NetworkStack(testApp(), { config, region: 'us-east-1' });
  const { subnets, natGateways } = vpcView(Template.fromStack(stack));

  it('still gives every private subnet a default route through the NAT it has', () => {
    expect(natGateways).toHaveLength(1);
    for (const subnet of subnets.filter((s) => s.type === 'Private')) {
      expect(subnet.routes).toEqual([{ destination: '0.0.0.0/0', natGatewayId: natGateways[0].id, gatewayId: undefined }]);
    }
  });
});
