import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { EnvironmentConfig } from '../lib/config';
import { parseAcknowledgements, review } from '../lib/review/acknowledgements';
import { findUnsafeChanges, statefulDependencies, type CloudFormationTemplate, type StackTemplates, type UnsafeChange } from '../lib/review/change-safety';
import { stackPolicy } from '../lib/review/stack-policy';
import { DataStack } from '../lib/stacks/data-stack';
import { NetworkStack } from '../lib/stacks/network-stack';
import { applyMandatoryTags } from '../lib/tagging';
import { offlineConfig, testApp } from './support/synth';

/**
 * The change-safety gate follows what a stateful resource depends on (issue #24): a new VPC
 * CIDR replaces the VPC and the subnets under the database, which live in the network stack
 * and reach the data stack through outputs (`Fn::GetStackOutput`).
 */

const ROOT = path.resolve(__dirname, '..');
const NETWORK = 'prod-network-us-east-1';
const DATA = 'prod-data-us-east-1';
const DATABASE = 'DatabaseInstanceAA8A5FDE';
const VPC = 'NetworkVpc7FB7348F';
const DATA_SUBNETS = ['NetworkVpcdataSubnet1SubnetE7C988E9', 'NetworkVpcdataSubnet2Subnet7A99E9BE', 'NetworkVpcdataSubnet3Subnet6505920D'];
const REASON = 'Issue #24 test: the new range is wanted and the database moves by snapshot restore first.';

/** The region's network and data stacks, built as buildApp builds them (tags included), without the rule packs. */
function networkAndData(config: EnvironmentConfig): Record<string, CloudFormationTemplate> {
  const app = testApp();
  applyMandatoryTags(app, config);
  const network = new NetworkStack(app, { config, region: 'us-east-1' });
  new DataStack(app, { config, region: 'us-east-1', network });
  return Object.fromEntries(app.synth().stacks.map((stack) => [stack.stackName, stack.template]));
}

const summaries = (changes: UnsafeChange[]) => changes.map((c) => `${c.stack} ${c.logicalId} ${c.kind}`);

describe('change-safety gate, on a new VPC CIDR in prod', () => {
  const prod = offlineConfig('prod');
  const base = networkAndData(prod);
  const head = networkAndData({ ...prod, regions: { ...prod.regions, 'us-east-1': { ...prod.regions['us-east-1'], vpcCidr: '10.40.0.0/16' } } });

  it('changes only the network stack: the data stack reads the VPC and subnets through outputs whose names stay', () => {
    expect(head[DATA]).toEqual(base[DATA]);
    expect(JSON.stringify(head[NETWORK])).toContain('10.40.0.0/16');
  });

  it('blocks replacing the VPC and the subnets under the database, naming the database', () => {
    const changes = findUnsafeChanges(base, head);
    expect(summaries(changes).sort()).toEqual([VPC, ...DATA_SUBNETS].map((id) => `${NETWORK} ${id} replace`).sort());
    for (const change of changes) {
      expect(change.detail).toMatch(new RegExp(`^(VPC|subnet) ${change.logicalId}, under database ${DATABASE} of ${DATA} \\(through [^)]+\\): will be replaced \\(CidrBlock changes\\); `));
    }
    expect(changes.find((c) => c.logicalId === DATA_SUBNETS[0])?.detail).toContain('through DatabaseInstanceSubnetGroupDE121BB6');
  });

  it('lets a dependency through with an acknowledgement of its stack, logical ID and kind', () => {
    const changes = findUnsafeChanges(base, head);
    const acks = parseAcknowledgements([VPC, ...DATA_SUBNETS].map((logicalId) => ({ stack: NETWORK, logicalId, change: 'replace', reason: REASON })), 'acks.json');
    expect(review(changes, acks, Object.keys(base))).toEqual({ blocked: [], acknowledged: changes, stale: [] });
  });

  it('prints the diff of the stack that explains the block, with its replacement count, and only stacks with changes', () => {
    const dir = (templates: StackTemplates) => {
      const out = mkdtempSync(path.join(tmpdir(), 'review-dependencies-'));
      for (const [stack, template] of Object.entries(templates)) writeFileSync(path.join(out, `${stack}.template.json`), JSON.stringify(template));
      return out;
    };
    const policies = path.join(mkdtempSync(path.join(tmpdir(), 'review-policies-')), 'policies');
    const run = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'scripts', 'review.ts'), '--base', dir(base), '--head', dir(head), '-c', 'env=prod', '--stack-policies', policies],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const stdout = stripVTControlCharacters(run.stdout);
    expect(run.status).toBe(1);
    const blocked = stdout.split('\n').filter((line) => line.startsWith('BLOCKED: '));
    expect(blocked).toHaveLength(4);
    expect(blocked).toContainEqual(expect.stringMatching(new RegExp(`^BLOCKED: ${NETWORK} ${DATA_SUBNETS[0]} \\(AWS::EC2::Subnet\\) replace: subnet ${DATA_SUBNETS[0]}, under database ${DATABASE}`)));
    // The count line, then formatDifferences' own rendering, as `cdk diff` prints it.
    const count = stdout.match(new RegExp(`^${NETWORK}: (\\d+) replaced, 0 may be replaced, 0 updated, 0 added, 0 removed$`, 'm'));
    expect(count).not.toBeNull();
    const section = stdout.slice(stdout.indexOf(`=== ${NETWORK}: `), stdout.indexOf('BLOCKED: '));
    expect(section).toMatch(/^Resources$/m);
    expect(section).toMatch(new RegExp(`^\\[~\\] AWS::EC2::VPC ${VPC} replace$`, 'm'));
    expect(section.split('\n').filter((line) => /^\[~\] .* replace$/.test(line))).toHaveLength(Number(count![1]));
    expect(section).toContain('CidrBlock (requires replacement)');
    expect(stdout).not.toMatch(new RegExp(`^(=== )?${DATA}:`, 'm'));
    // The stack policy guards what the database depends on as well.
    const network = JSON.parse(readFileSync(path.join(policies, `${NETWORK}.json`), 'utf8'));
    expect(network.Statement[1].Resource).toEqual(expect.arrayContaining([VPC, ...DATA_SUBNETS].map((id) => `LogicalResourceId/${id}`)));
  });
});

describe('the dependency walk', () => {
  /** A database whose subnet group reads a subnet exported by another stack, with a `Fn::Sub` and a `DependsOn`. */
  const templates = (changes: { cidr?: string; description?: string; queue?: string; dropQueue?: boolean; dropDatabase?: boolean } = {}): StackTemplates => ({
    network: {
      Resources: {
        Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: 'vpc-1', CidrBlock: changes.cidr ?? '10.0.0.0/24' } },
        Unrelated: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: 'vpc-1', CidrBlock: changes.cidr ?? '10.0.1.0/24' } },
      },
      Outputs: { SubnetId: { Value: { Ref: 'Subnet' }, Export: { Name: 'network-subnet' } } },
    },
    data: {
      Resources: {
        ...(changes.dropDatabase
          ? {}
          : {
              Database: {
                Type: 'AWS::RDS::DBInstance',
                Properties: { DBSubnetGroupName: { Ref: 'SubnetGroup' }, DBInstanceClass: 'db.t4g.micro', Engine: 'postgres' },
                ...(changes.dropQueue ? {} : { DependsOn: ['Queue'] }),
              },
              SubnetGroup: {
                Type: 'AWS::RDS::DBSubnetGroup',
                Properties: { DBSubnetGroupDescription: { 'Fn::Sub': ['for ${Group.GroupId} in ${Region}', { Region: 'us-east-1' }] }, SubnetIds: [{ 'Fn::ImportValue': 'network-subnet' }] },
              },
            }),
        // Reads the database's endpoint: the database is its dependency, but not what the database runs in.
        Endpoint: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: changes.dropDatabase ? 'none' : { 'Fn::GetAtt': ['Database', 'Endpoint.Address'] } } },
        Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: changes.description ?? 'database', VpcId: 'vpc-1' } },
        ...(changes.dropQueue ? {} : { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: changes.queue ?? 'one' } } }),
      },
    },
  });

  it('follows Ref, Fn::Sub (but its own variables), DependsOn and Fn::ImportValue across stacks', () => {
    const found = statefulDependencies(templates(), templates()).map((d) => `${d.stack} ${d.logicalId} through ${d.through.map((t) => t.logicalId).join(',')}`);
    expect(found.sort()).toEqual(['data Database through ', 'data Group through SubnetGroup', 'data Queue through ', 'data SubnetGroup through ', 'network Subnet through SubnetGroup']);
  });

  it('blocks replacing each dependency, and nothing else', () => {
    const changes = findUnsafeChanges(templates(), templates({ cidr: '10.0.2.0/24', description: 'moved', queue: 'two' }));
    expect(summaries(changes).sort()).toEqual(['data Group replace', 'data Queue replace', 'network Subnet replace']);
    expect(changes.find((c) => c.logicalId === 'Subnet')?.detail).toMatch(/^subnet Subnet, under database Database of data \(through SubnetGroup; 1 more stateful resource depends on it\): will be replaced \(CidrBlock changes\); the database must move/);
  });

  it('blocks removing a dependency the deployed database has', () => {
    const changes = findUnsafeChanges(templates(), templates({ dropQueue: true }));
    expect(summaries(changes)).toEqual(['data Queue remove']);
    expect(changes[0].detail).toMatch(/^AWS::SQS::Queue Queue, under database Database \(1 more stateful resource depends on it\): deleted; the database used it/);
  });

  it('lets what a stateful resource leaves behind go with it, even where a kept one read it: its own removal is the change to acknowledge', () => {
    const changes = findUnsafeChanges(templates(), templates({ dropDatabase: true, dropQueue: true, cidr: '10.0.2.0/24' }));
    expect(summaries(changes)).toEqual(['data Database remove']);
  });

  it('makes the stack policy deny replacing or deleting the dependencies it is given', () => {
    const policy = stackPolicy(templates().network, [], ['Subnet']);
    expect(policy.Statement[1]).toMatchObject({ Effect: 'Deny', Resource: ['LogicalResourceId/Subnet'] });
    expect(stackPolicy(templates().network, ['Subnet'], ['Subnet']).Statement).toHaveLength(1);
  });
});
