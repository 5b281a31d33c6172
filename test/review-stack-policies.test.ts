import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAcknowledgements, review } from '../lib/review/acknowledgements';
import { findUnsafeChanges, type CloudFormationTemplate, type StackTemplates } from '../lib/review/change-safety';
import { deployStackPolicies, stackPolicy, STACK_POLICY_BODY_LIMIT, type StackPolicy } from '../lib/review/stack-policy';
import { environmentStacks, readTemplates } from '../lib/review/templates';
import { ASSEMBLY_ROOT, offlineConfig } from './support/synth';

/**
 * Issue #24: the stack policies are applied. Each deploy step sets, before `cdk deploy`, the
 * policy of each deployed stack from the review of its deployed template against the new one
 * (acknowledged replacements and removals exempt), and after it the strict policy of every
 * stack of the wave (scripts/apply-stack-policies.sh, scripts/stack-policies.ts).
 */

const ROOT = path.resolve(__dirname, '..');
const ASSEMBLY = path.join(ASSEMBLY_ROOT, 'dev');
const STATEFUL_WAVE = ['dev-network-us-east-1', 'dev-data-us-east-1', 'dev-network-eu-west-1', 'dev-data-eu-west-1'];
/** The dev replica, whose replacement review/acknowledged-changes.json acknowledges. */
const REPLICA = 'ReplicaInstance639BE1BF';
const REPLICA_STACK = 'dev-data-eu-west-1';
const DATABASE = 'DatabaseInstanceAA8A5FDE';

const head = (): StackTemplates => environmentStacks(readTemplates(ASSEMBLY), 'dev');
const committedAcknowledgements = () => {
  const file = path.join(ROOT, 'review', 'acknowledged-changes.json');
  return parseAcknowledgements(JSON.parse(readFileSync(file, 'utf8')), file);
};
/** What the deploy step's review acknowledges, as scripts/stack-policies.ts asks it. */
const acknowledged = (deployed: StackTemplates, synthesized: StackTemplates) =>
  review(findUnsafeChanges(deployed, synthesized), committedAcknowledgements(), Object.keys(deployed)).acknowledged;
const denied = (policy: StackPolicy | undefined): string[] =>
  (policy?.Statement ?? []).filter((s) => s.Effect === 'Deny').flatMap((s) => [s.Resource].flat()).map((r) => r.replace('LogicalResourceId/', ''));

/** The deployed dev templates of a version whose replica was unencrypted: the head replaces it (acknowledged). */
function deployedBeforeEncryption(): Record<string, CloudFormationTemplate> {
  const deployed = structuredClone(head()) as Record<string, { Resources: Record<string, any> }>;
  deployed[REPLICA_STACK].Resources[REPLICA].Properties.StorageEncrypted = false;
  return deployed;
}

describe('the stack policies of a deploy step', () => {
  it('have the shape the CloudFormation guide gives: allow every update, then deny replace and delete on the guarded logical IDs', () => {
    // docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html
    const { after } = deployStackPolicies(head(), head(), STATEFUL_WAVE, []);
    for (const stack of STATEFUL_WAVE) {
      expect(after[stack].Statement).toEqual([
        { Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' },
        { Effect: 'Deny', Principal: '*', Action: ['Update:Replace', 'Update:Delete'], Resource: expect.arrayContaining([expect.stringMatching(/^LogicalResourceId\/\w+$/)]) },
      ]);
      expect(JSON.stringify(after[stack]).length).toBeLessThanOrEqual(STACK_POLICY_BODY_LIMIT);
    }
  });

  it('let the acknowledged replacement of the replica through during the deploy, and deny it again after', () => {
    const deployed = deployedBeforeEncryption();
    const changes = acknowledged(deployed, head());
    expect(changes.map((c) => `${c.stack} ${c.logicalId} ${c.kind}`)).toEqual([`${REPLICA_STACK} ${REPLICA} replace`]);
    const { before, after } = deployStackPolicies(deployed, head(), STATEFUL_WAVE, changes);
    expect(denied(before[REPLICA_STACK])).not.toContain(REPLICA);
    expect(denied(after[REPLICA_STACK])).toContain(REPLICA);
    // Only that resource: everything else the strict policy guards stays guarded during the deploy.
    expect(denied(after[REPLICA_STACK]).filter((id) => !denied(before[REPLICA_STACK]).includes(id))).toEqual([REPLICA]);
    expect(before['dev-data-us-east-1']).toEqual(after['dev-data-us-east-1']);
  });

  it('exempt nothing that is not acknowledged: the same replacement of the primary database stays denied', () => {
    const deployed = structuredClone(head()) as Record<string, { Resources: Record<string, any> }>;
    deployed['dev-data-us-east-1'].Resources[DATABASE].Properties.StorageEncrypted = false;
    const changes = acknowledged(deployed, head());
    expect(changes).toEqual([]);
    expect(denied(deployStackPolicies(deployed, head(), STATEFUL_WAVE, changes).before['dev-data-us-east-1'])).toContain(DATABASE);
  });

  it('give a stack that is not deployed yet no policy before the deploy, and the strict one after', () => {
    const deployed: Record<string, CloudFormationTemplate> = { ...head() };
    delete deployed['dev-network-eu-west-1'];
    const { before, after } = deployStackPolicies(deployed, head(), STATEFUL_WAVE, []);
    expect(Object.keys(before).sort()).toEqual(STATEFUL_WAVE.filter((s) => s !== 'dev-network-eu-west-1').sort());
    expect(Object.keys(after).sort()).toEqual([...STATEFUL_WAVE].sort());
  });

  it('keep guarding, after the deploy, a stateful resource the new template drops: the deploy may have rolled back', () => {
    const deployed = structuredClone(head()) as Record<string, { Resources: Record<string, any> }>;
    deployed['dev-data-us-east-1'].Resources.OldBucket = { Type: 'AWS::S3::Bucket' };
    const { after } = deployStackPolicies(deployed, head(), STATEFUL_WAVE, acknowledged(deployed, head()));
    expect(denied(after['dev-data-us-east-1'])).toContain('OldBucket');
  });

  it('guard, in the network stack, the VPC and the subnets under the database of the data stack', () => {
    const { after } = deployStackPolicies(head(), head(), STATEFUL_WAVE, []);
    const network = head()['dev-network-us-east-1'].Resources!;
    const vpc = Object.keys(network).find((id) => network[id].Type === 'AWS::EC2::VPC')!;
    expect(denied(after['dev-network-us-east-1'])).toEqual(expect.arrayContaining([vpc, expect.stringMatching(/^NetworkVpcdataSubnet\dSubnet/)]));
  });

  it('refuse a policy longer than SetStackPolicy accepts, rather than fail in the deploy step', () => {
    const resources = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`Bucket${String(i).padStart(40, '0')}`, { Type: 'AWS::S3::Bucket' }]));
    expect(() => stackPolicy({ Resources: resources })).toThrow(/SetStackPolicy accepts at most 16384/);
  });
});

/** Each wave stack's policy as GetStackPolicy returns it after a phase of the script (null: none). */
interface Phase {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly policies: Record<string, StackPolicy | null>;
}

describe('scripts/apply-stack-policies.sh, with the AWS CLI, against CloudFormation as moto serves it', () => {
  const account = offlineConfig('dev').account;
  const placeholder = { Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } };
  // What CloudFormation holds: a failed first create of the us-east-1 network, a bucket the new
  // us-east-1 data stack drops (not acknowledged), no eu-west-1 network yet (the deploy creates
  // it), and the replica as it was before encryption (its replacement is acknowledged).
  // moto creates the instance, so it needs an engine and a class.
  const deployedReplica = { Resources: { [REPLICA]: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', StorageEncrypted: false } } } };
  const deployed = {
    'dev-network-us-east-1': { region: 'us-east-1', template: placeholder, status: 'ROLLBACK_COMPLETE' },
    'dev-data-us-east-1': { region: 'us-east-1', template: { Resources: { OldBucket: { Type: 'AWS::S3::Bucket' } } } },
    [REPLICA_STACK]: { region: 'eu-west-1', template: deployedReplica },
  };
  let result: { before: Phase; after: Phase; calls: string[] };
  let dir: string;
  let expected: ReturnType<typeof deployStackPolicies>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stack-policies-'));
    // The wave's stacks only, so the script fetches four templates rather than the whole environment.
    const assembly = path.join(dir, 'cdk.out');
    mkdirSync(assembly);
    const manifest = JSON.parse(readFileSync(path.join(ASSEMBLY, 'manifest.json'), 'utf8'));
    manifest.artifacts = Object.fromEntries(
      Object.entries(manifest.artifacts as Record<string, any>).filter(([id, a]) => a.type === 'aws:cloudformation:stack' && STATEFUL_WAVE.includes(a.properties?.stackName ?? id)),
    );
    for (const artifact of Object.values(manifest.artifacts as Record<string, any>)) {
      copyFileSync(path.join(ASSEMBLY, artifact.properties.templateFile), path.join(assembly, artifact.properties.templateFile));
    }
    writeFileSync(path.join(assembly, 'manifest.json'), JSON.stringify(manifest));
    const testCase = {
      account,
      env: 'dev',
      assembly,
      stacks: STATEFUL_WAVE,
      deployed,
      created: { 'dev-network-eu-west-1': { region: 'eu-west-1', template: placeholder } },
    };
    writeFileSync(path.join(dir, 'case.json'), JSON.stringify(testCase));
    result = JSON.parse(
      execFileSync('python3', [path.join(__dirname, 'support', 'moto_stack_policies.py'), path.join(dir, 'case.json')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' },
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      }),
    );
    const deployedTemplates = Object.fromEntries(Object.entries(deployed).map(([stack, { template }]) => [stack, template as CloudFormationTemplate]));
    const synthesized = environmentStacks(readTemplates(assembly), 'dev');
    expected = deployStackPolicies(deployedTemplates, synthesized, STATEFUL_WAVE, acknowledged(deployedTemplates, synthesized));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets, before the deploy, each deployed stack\'s policy from the review, the acknowledged replica exempt', () => {
    expect(result.before.stderr).toBe('');
    expect(result.before.status).toBe(0);
    expect(result.before.policies).toEqual({
      'dev-network-us-east-1': null,
      'dev-data-us-east-1': expected.before['dev-data-us-east-1'],
      'dev-network-eu-west-1': null,
      [REPLICA_STACK]: expected.before[REPLICA_STACK],
    });
    expect(denied(result.before.policies[REPLICA_STACK]!)).not.toContain(REPLICA);
    expect(denied(result.before.policies['dev-data-us-east-1']!)).toEqual(expect.arrayContaining([DATABASE, 'OldBucket']));
    expect(result.before.stdout).toContain(`${REPLICA_STACK}: guards `);
    expect(result.before.stdout).toContain(`during this deploy allows replacing or deleting ${REPLICA} (acknowledged)`);
    expect(result.before.stdout).toContain('not acknowledged, so the stack policy denies it: dev-data-us-east-1 OldBucket');
    expect(result.before.stdout).toContain('dev-network-eu-west-1 (eu-west-1): not created yet, no policy to set');
    expect(result.before.stdout).toContain('dev-network-us-east-1 (us-east-1): ROLLBACK_COMPLETE after a failed first create');
  });

  it('sets, after the deploy, the strict policy on every stack of the wave, the one it created included', () => {
    expect(result.after.stderr).toBe('');
    expect(result.after.status).toBe(0);
    // But the failed first create, which the CLI deletes and creates again: the next run's after step sets it.
    expect(result.after.policies).toEqual({ ...expected.after, 'dev-network-us-east-1': null });
    expect(denied(result.after.policies[REPLICA_STACK]!)).toContain(REPLICA);
  });

  it('calls only AssumeRole and GetTemplate (the templates, through the lookup role), DescribeStacks and SetStackPolicy', () => {
    expect([...new Set(result.calls)].sort()).toEqual(['cloudformation:describe-stacks', 'cloudformation:get-template', 'cloudformation:set-stack-policy', 'sts:assume-role']);
    expect(result.calls.filter((c) => c === 'cloudformation:set-stack-policy')).toHaveLength(2 + 3);
  });
});
