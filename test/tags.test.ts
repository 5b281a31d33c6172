import { readFileSync } from 'node:fs';
import { isTaggableType, TAG_INFORMATION_FILE, tagInformationFromSpec, tagInformationOf } from '../lib/compliance/taggability';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { mandatoryTags } from '../lib/tagging';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The tags of a resource as a plain map, whatever format its type uses. */
function tagsOf(type: string, properties: Record<string, unknown> = {}): Record<string, string> {
  const raw = properties[tagInformationOf(type)!.tagPropertyName];
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
  return (raw ?? {}) as Record<string, string>;
}

describe('taggability', () => {
  it('comes from the CloudFormation resource spec', () => {
    expect(isTaggableType('AWS::EC2::VPC')).toBe(true);
    expect(isTaggableType('AWS::Lambda::Function')).toBe(true);
    expect(isTaggableType('AWS::EC2::SubnetRouteTableAssociation')).toBe(false);
    expect(isTaggableType('AWS::IAM::ManagedPolicy')).toBe(false);
    expect(isTaggableType('Custom::VpcRestrictDefaultSG')).toBe(false);
    expect(tagInformationOf('AWS::AutoScaling::AutoScalingGroup')).toEqual({ tagPropertyName: 'Tags', variant: 'asg' });
    expect(tagInformationOf('AWS::SSM::Parameter')).toEqual({ tagPropertyName: 'Tags', variant: 'map' });
  });

  it('reads a table equal to the installed spec (else run npm run generate:tag-information)', () => {
    expect(JSON.parse(readFileSync(TAG_INFORMATION_FILE, 'utf8'))).toEqual(tagInformationFromSpec());
  });
});

describe.each(ENVIRONMENT_NAMES)('%s tags', (envName) => {
  const assembly = synthesized(envName);
  // Literals, as lib/config/environments.ts sets them: not mandatoryTags(), whose own mistake (owner
  // given the cost center, say) would then be what the templates are checked against.
  const expected = { environment: envName, project: 'webtier', owner: 'platform-team@example.com', cost_center: 'cc-1234' };

  it('uses environment, project, owner and cost_center from config', () => {
    expect(mandatoryTags(offlineConfig(envName))).toEqual(expected);
  });

  it.each(assembly.stackNames)('puts the four mandatory tags on every taggable resource of %s', (stackName) => {
    const resources = assembly.template(stackName).toJSON().Resources as Resources;
    const taggable = Object.entries(resources).filter(([, r]) => isTaggableType(r.Type));
    expect(taggable.length).toBeGreaterThan(0);
    for (const [id, resource] of taggable) {
      expect({ id, tags: tagsOf(resource.Type, resource.Properties) }).toEqual({ id, tags: expect.objectContaining(expected) });
    }
  });

  it.each(assembly.stackNames)('names the VPCs, subnets, route tables, NAT gateways, security groups and instances of %s after the stack', (stackName) => {
    const resources = assembly.template(stackName).toJSON().Resources as Resources;
    const named = ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::NatGateway', 'AWS::EC2::SecurityGroup', 'AWS::AutoScaling::AutoScalingGroup'];
    for (const [id, resource] of Object.entries(resources).filter(([, r]) => named.includes(r.Type))) {
      const name = tagsOf(resource.Type, resource.Properties).Name;
      expect({ id, name }).toEqual({ id, name: expect.stringMatching(new RegExp(`^${stackName}-`)) });
    }
  });
});

