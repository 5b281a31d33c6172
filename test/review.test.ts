import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CfnResource } from 'aws-cdk-lib';
import { CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import type { EnvironmentConfig } from '../lib/config';
import { AcknowledgementError, parseAcknowledgements, review } from '../lib/review/acknowledgements';
import { findUnsafeChanges, type CloudFormationTemplate, type StackTemplates, type UnsafeChange } from '../lib/review/change-safety';
import { stackPolicy } from '../lib/review/stack-policy';
import { DataStack } from '../lib/stacks/data-stack';
import { NetworkStack } from '../lib/stacks/network-stack';
import { applyMandatoryTags } from '../lib/tagging';
import { synthesized } from './support/assembly';
import { ASSEMBLY_ROOT, offlineConfig, testApp } from './support/synth';

const ROOT = path.resolve(__dirname, '..');
const DATA = 'dev-data-us-east-1';
const APP = 'dev-app-us-east-1';
const DATABASE = 'DatabaseInstanceAA8A5FDE';
const REASON = 'Dev runs single-AZ for a week to halve its cost; its data is disposable.';

/**
 * The network and primary data stacks of an environment, built from its config as
 * buildApp builds them (tags included), without the rule packs that make a whole-app
 * synth take seconds. `refactor` changes the constructs before synth.
 */
function dataStacks(config: EnvironmentConfig, refactor?: (data: DataStack) => void): Record<string, CloudFormationTemplate> {
  const app = testApp();
  applyMandatoryTags(app, config);
  const network = new NetworkStack(app, { config, region: 'us-east-1' });
  const data = new DataStack(app, { config, region: 'us-east-1', network });
  refactor?.(data);
  return Object.fromEntries(app.synth().stacks.map((stack) => [stack.stackName, stack.template]));
}

/** A copy of the synthesized dev stack's template, to change as a commit would. */
function devTemplate(stack: string): { Resources: Record<string, any> } {
  return structuredClone(synthesized('dev').template(stack).toJSON()) as { Resources: Record<string, any> };
}

/** The blocked changes as `stack logicalId kind`, the way a reviewer scans them. */
const summaries = (changes: UnsafeChange[]) => changes.map((c) => `${c.stack} ${c.logicalId} ${c.kind}`);

const idOfType = (template: { Resources: Record<string, any> }, type: string, where: (r: any) => boolean = () => true) =>
  Object.keys(template.Resources).find((id) => template.Resources[id].Type === type && where(template.Resources[id]))!;

describe('change-safety gate, on a config change through the stacks', () => {
  const config = offlineConfig('dev');
  const base = dataStacks(config);

  const singleAz = dataStacks({ ...config, database: { ...config.database, multiAz: false } });

  it('blocks a setting that the resource spec says may replace the database', () => {
    const changes = findUnsafeChanges(base, singleAz);
    expect(summaries(changes)).toEqual([`${DATA} ${DATABASE} replace`]);
    expect(changes[0].detail).toMatch(/^may be replaced \(MultiAZ changes\); it holds the database/);
  });

  it('lets that change through once acknowledged, and reports an acknowledgement that matches nothing', () => {
    const changes = findUnsafeChanges(base, singleAz);
    const acks = parseAcknowledgements(
      [
        { stack: DATA, logicalId: DATABASE, change: 'replace', reason: REASON },
        { stack: DATA, logicalId: 'DatabaseKey5E5D9547', change: 'replace', reason: REASON },
      ],
      'acks.json',
    );
    expect(review(changes, acks, Object.keys(base))).toEqual({ blocked: [], acknowledged: changes, stale: [acks[1]] });
  });

  it('lets a change of tags through', () => {
    const head = dataStacks({ ...config, tags: { ...config.tags, costCenter: 'cc-9999' } });
    expect(JSON.stringify(head)).toContain('cc-9999');
    expect(findUnsafeChanges(base, head)).toEqual([]);
  });

  it('blocks a refactor that gives the database a new logical ID', () => {
    const head = dataStacks(config, (data) => {
      const instance = data.node.findAll().find((c) => c instanceof CfnDBInstance) as CfnResource;
      instance.overrideLogicalId('MovedDatabaseInstance');
    });
    expect(summaries(findUnsafeChanges(base, head))).toEqual([`${DATA} ${DATABASE} remove`]);
  });
});

describe('change-safety gate, on edited templates', () => {
  const compare = (stack: string, edit: (template: { Resources: Record<string, any> }) => void) => {
    const head = devTemplate(stack);
    edit(head);
    return findUnsafeChanges({ [stack]: devTemplate(stack) }, { [stack]: head });
  };

  it('blocks removing a bucket', () => {
    const changes = compare(APP, (t) => delete t.Resources.WebTierAccessLogsBucketC38B6857);
    expect(summaries(changes)).toEqual([`${APP} WebTierAccessLogsBucketC38B6857 remove`]);
    expect(changes[0].resourceType).toBe('AWS::S3::Bucket');
  });

  it('blocks renaming the database, which CloudFormation does by replacing it', () => {
    const changes = compare(DATA, (t) => {
      t.Resources[DATABASE].Properties.DBInstanceIdentifier = 'dev-data-us-east-1-renamed';
    });
    expect(summaries(changes)).toEqual([`${DATA} ${DATABASE} replace`]);
    expect(changes[0].detail).toMatch(/^will be replaced \(DBInstanceIdentifier changes\); it holds the database/);
  });

  it('blocks attaching a managed policy to a role', () => {
    const changes = compare(APP, (t) => {
      t.Resources.WebTierInstanceRoleE49AE359.Properties.ManagedPolicyArns.push('arn:aws:iam::aws:policy/AdministratorAccess');
    });
    expect(changes).toEqual([
      { stack: APP, logicalId: 'WebTierInstanceRoleE49AE359', resourceType: 'AWS::IAM::Role', kind: 'widen-iam', detail: 'attaches arn:aws:iam::aws:policy/AdministratorAccess' },
    ]);
  });

  it('blocks removing a deny statement from a bucket policy', () => {
    const changes = compare(APP, (t) => {
      const statements: { Effect: string }[] = t.Resources.WebTierAccessLogsBucketPolicy58176625.Properties.PolicyDocument.Statement;
      t.Resources.WebTierAccessLogsBucketPolicy58176625.Properties.PolicyDocument.Statement = statements.filter((s) => s.Effect !== 'Deny');
    });
    expect(summaries(changes)).toEqual([`${APP} WebTierAccessLogsBucketPolicy58176625 widen-iam`]);
    expect(changes[0].detail).toBe('drops a deny of s3:* on ${WebTierAccessLogsBucketC38B6857.Arn}, ${WebTierAccessLogsBucketC38B6857.Arn}/* to AWS:* with a condition (and 1 more)');
  });

  it('blocks every stateful resource of a stack that is no longer in the app', () => {
    const changes = findUnsafeChanges({ [DATA]: devTemplate(DATA) }, {});
    expect(summaries(changes)).toEqual(
      expect.arrayContaining([`${DATA} ${DATABASE} remove`, `${DATA} DatabaseKey5E5D9547 remove`, `${DATA} DatabaseCredentials24F58BE6 remove`]),
    );
    expect(changes.every((c) => c.kind === 'remove')).toBe(true);
  });

  it('has nothing to compare when the whole environment is new (a first deploy)', () => {
    expect(findUnsafeChanges({}, { [DATA]: devTemplate(DATA), [APP]: devTemplate(APP) })).toEqual([]);
  });

  it('checks a stack new to an existing environment like any other: each grant and ingress rule in it widens access', () => {
    const changes = findUnsafeChanges({ [DATA]: devTemplate(DATA) }, { [DATA]: devTemplate(DATA), [APP]: devTemplate(APP) });
    const app = devTemplate(APP);
    expect(changes.every((c) => c.stack === APP && (c.kind === 'widen-iam' || c.kind === 'widen-security-group'))).toBe(true);
    expect(summaries(changes)).toContain(`${APP} ${idOfType(app, 'AWS::IAM::Policy')} widen-iam`);
    const loadBalancerGroup = idOfType(app, 'AWS::EC2::SecurityGroup', (r) => r.Properties.GroupDescription.includes('oad'));
    expect(changes.find((c) => c.logicalId === loadBalancerGroup)).toMatchObject({ kind: 'widen-security-group', detail: expect.stringMatching(/^adds ingress TCP 443 from/) });
  });

  it('blocks a policy statement on every resource, and a new action', () => {
    let policy = '';
    const changes = compare(APP, (t) => {
      policy = idOfType(t, 'AWS::IAM::Policy');
      const statements = t.Resources[policy].Properties.PolicyDocument.Statement;
      statements.push({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
      statements[0].Action = [statements[0].Action, 'secretsmanager:PutSecretValue'].flat();
    });
    expect(summaries(changes)).toEqual([`${APP} ${policy} widen-iam`]);
    expect(changes[0].detail).toMatch(/allows .* \(and 1 more\)$/);
  });

  it('lets a narrower policy through, and a statement that moves to another policy of the same role', () => {
    const role = { Ref: 'Role' };
    const statement = { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:111111111111:queue' };
    const policy = (statements: unknown[]) => ({ Type: 'AWS::IAM::Policy', Properties: { Roles: [role], PolicyDocument: { Statement: statements } } });
    const before = { Resources: { One: policy([statement, { ...statement, Action: 'sqs:DeleteMessage' }]), Two: policy([]) } };
    const after = { Resources: { One: policy([]), Two: policy([statement]) } };
    expect(findUnsafeChanges({ S: before }, { S: after })).toEqual([]);
    const alsoWidened = { Resources: { ...after.Resources, Three: policy([{ ...statement, Action: 'sqs:PurgeQueue' }]) } };
    expect(summaries(findUnsafeChanges({ S: before }, { S: alsoWidened }))).toEqual(['S Three widen-iam']);
  });

  it('blocks a security group opened to a new port, inline or as its own resource, and new egress', () => {
    let group = '';
    const changes = compare(APP, (t) => {
      group = idOfType(t, 'AWS::EC2::SecurityGroup', (r) => r.Properties.GroupDescription.includes('oad'));
      (t.Resources[group].Properties.SecurityGroupIngress ??= []).push({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' });
      t.Resources.OpenDatabase = {
        Type: 'AWS::EC2::SecurityGroupEgress',
        Properties: { GroupId: { 'Fn::GetAtt': [group, 'GroupId'] }, IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.0.0.0/8' },
      };
    });
    expect(summaries(changes).sort()).toEqual([`${APP} OpenDatabase widen-security-group`, `${APP} ${group} widen-security-group`].sort());
    expect(changes.map((c) => c.detail).sort()).toEqual(['adds egress TCP 5432 to 10.0.0.0/8', 'adds ingress TCP 22 from Everyone (IPv4)']);
  });
});

describe('acknowledgements', () => {
  const replaceDatabase: UnsafeChange = { stack: DATA, logicalId: DATABASE, resourceType: 'AWS::RDS::DBInstance', kind: 'replace', detail: 'may be replaced' };
  const ack = (overrides: Record<string, string> = {}) => ({ stack: DATA, logicalId: DATABASE, change: 'replace', reason: REASON, ...overrides });

  it('cover only the kind of change they name', () => {
    const widen: UnsafeChange = { ...replaceDatabase, kind: 'widen-security-group' };
    const verdict = review([replaceDatabase, widen], parseAcknowledgements([ack()], 'acks.json'), [DATA]);
    expect(verdict).toEqual({ blocked: [widen], acknowledged: [replaceDatabase], stale: [] });
  });

  it('report one that matches no change of the compared stacks as stale, and ignore other environments', () => {
    const acks = parseAcknowledgements([ack({ logicalId: 'GoneAlready' }), ack({ stack: 'prod-data-us-east-1' })], 'acks.json');
    expect(review([], acks, [DATA, APP]).stale).toEqual([acks[0]]);
  });

  it.each([
    ['a short reason', { reason: 'fine' }, 'acks.json entry 0 reason: needs at least 40 characters'],
    ['a wildcard stack', { stack: 'dev-*' }, 'acks.json entry 0 stack: must name one target, without wildcards'],
    ['a wildcard logical ID', { logicalId: 'Database*' }, 'acks.json entry 0 logicalId: must name one target, without wildcards'],
    ['an unknown kind of change', { change: 'update' }, 'acks.json entry 0 change: Invalid option: expected one of "replace"|"remove"|"widen-iam"|"widen-security-group"'],
  ])('are refused with one line for %s', (_what, overrides, message) => {
    expect(() => parseAcknowledgements([ack(overrides)], 'acks.json')).toThrow(new AcknowledgementError(message));
  });

  it('in the committed file are well-formed', () => {
    const file = path.join(ROOT, 'review', 'acknowledged-changes.json');
    expect(() => parseAcknowledgements(JSON.parse(readFileSync(file, 'utf8')), file)).not.toThrow();
  });
});

describe('stack policy', () => {
  const template = devTemplate(DATA);

  it('denies replacing or deleting each stateful resource and allows every other update', () => {
    const policy = stackPolicy(template);
    expect(policy.Statement[0]).toEqual({ Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' });
    expect(policy.Statement[1]).toMatchObject({ Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'] });
    expect(policy.Statement[1].Resource).toEqual(
      expect.arrayContaining([`LogicalResourceId/${DATABASE}`, 'LogicalResourceId/DatabaseKey5E5D9547', 'LogicalResourceId/DatabaseCredentials24F58BE6']),
    );
    expect(policy.Statement[1].Resource).not.toContain(`LogicalResourceId/${idOfType(template, 'AWS::RDS::DBParameterGroup')}`);
  });

  it('lifts the deny for an acknowledged resource', () => {
    expect(stackPolicy(template, [DATABASE]).Statement[1].Resource).not.toContain(`LogicalResourceId/${DATABASE}`);
  });
});

describe('npm run review', () => {
  /** Writes templates as scripts/fetch-deployed-templates.sh does: one `<stack>.template.json` each. */
  const templateDir = (templates: StackTemplates, asText = false) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'review-templates-'));
    mkdirSync(dir, { recursive: true });
    for (const [stack, template] of Object.entries(templates)) {
      const body = JSON.stringify(template);
      writeFileSync(path.join(dir, `${stack}.template.json`), asText ? JSON.stringify(body) : body);
    }
    return dir;
  };
  const reviewScript = (...args: string[]) =>
    spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'scripts', 'review.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  /** The committed acknowledgements of these stacks: all stale when the compared templates are today's on both sides. */
  const committedAcknowledgements = (stacks: string[]) => {
    const file = path.join(ROOT, 'review', 'acknowledged-changes.json');
    return parseAcknowledgements(JSON.parse(readFileSync(file, 'utf8')), file).filter((ack) => stacks.includes(ack.stack));
  };

  it('fails with one line per blocked change against a directory of deployed templates', () => {
    const head = devTemplate(APP);
    delete head.Resources.WebTierAccessLogsBucketC38B6857;
    const deployed = templateDir({ [APP]: devTemplate(APP), [DATA]: devTemplate(DATA), 'prod-data-us-east-1': devTemplate(DATA) }, true);
    const policies = path.join(deployed, 'policies');
    const headDir = templateDir({ [APP]: head, [DATA]: devTemplate(DATA) });
    const run = reviewScript('--base', deployed, '--head', headDir, '-c', 'env=dev', '--stack-policies', policies);
    expect(run.stderr).toContain('Acknowledge a reviewed change in review/acknowledged-changes.json');
    expect(run.stdout.split('\n').filter((line) => line.startsWith('BLOCKED'))).toEqual([
      `BLOCKED: ${APP} WebTierAccessLogsBucketC38B6857 (AWS::S3::Bucket) remove: removed from the stack and orphaned; it holds objects (access logs, artifacts) that a new bucket does not have`,
    ]);
    expect(run.stdout).toContain('change review of dev: 2 stacks compared; 1 blocked, 0 acknowledged');
    expect(run.status).toBe(1);
    // The bucket the head drops stays protected until its removal is acknowledged.
    const appPolicy = JSON.parse(readFileSync(path.join(policies, `${APP}.json`), 'utf8'));
    expect(appPolicy.Statement[1].Resource).toContain('LogicalResourceId/WebTierAccessLogsBucketC38B6857');
    expect(readdirSync(policies).sort()).toEqual([`${APP}.json`, `${DATA}.json`]);
  });

  it('counts acknowledgements that match no change in one line, and lists them only with --show-stale', () => {
    const dir = templateDir({ [APP]: devTemplate(APP), [DATA]: devTemplate(DATA) });
    const stale = committedAcknowledgements([APP, DATA]);
    expect(stale.length).toBeGreaterThan(1);
    const quiet = reviewScript('--base', dir, '--head', dir, '-c', 'env=dev');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).not.toMatch(/acknowledgement matches no change|^stale:/m);
    expect(quiet.stdout).toContain(`${stale.length} acknowledgements match no change; --show-stale lists them`);
    const listed = reviewScript('--base', dir, '--head', dir, '-c', 'env=dev', '--show-stale');
    expect(listed.status).toBe(0);
    expect(listed.stdout.split('\n').filter((line) => line.startsWith('stale: ')).sort()).toEqual(
      stale.map((ack) => `stale: acknowledgement matches no change (delete it once deployed everywhere): ${ack.stack} ${ack.logicalId} ${ack.change}`).sort(),
    );
  });

  it('checks a stack that is new at the base, and skips an environment the base has none of with one line', () => {
    const base = templateDir({ [DATA]: devTemplate(DATA) });
    const head = templateDir({ [APP]: devTemplate(APP), [DATA]: devTemplate(DATA) });
    const newStack = reviewScript('--base', base, '--head', head, '-c', 'env=dev');
    expect(newStack.status).toBe(1);
    expect(newStack.stdout).toMatch(new RegExp(`^BLOCKED: ${APP} \\S+ \\(AWS::IAM::Role\\) widen-iam: allows sts:AssumeRole `, 'm'));
    expect(newStack.stdout).toMatch(new RegExp(`change review of dev: 2 stacks compared; new: ${APP}; \\d+ blocked`));
    const firstDeploy = reviewScript('--base', templateDir({}), '--head', head, '-c', 'env=dev');
    expect(firstDeploy.stdout.trim()).toBe('change review of dev: skipped, the base has none of its stacks (a first deploy, nothing to compare with)');
    expect(firstDeploy.status).toBe(0);
  });

  it('synthesizes the working tree, without the rule packs, into the templates cdk synth writes', () => {
    // The head is synthesized as the CLI runs the app for `cdk ls`; the assembly the tests read
    // has the CLI's templates (CI checks it against `npx cdk synth`). Nothing may differ but the
    // CDKMetadata analytics string, which the review leaves out.
    const run = reviewScript('--base', path.join(ASSEMBLY_ROOT, 'dev'), '-c', 'env=dev');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^head \(working tree\): synthesized in [\d.]+ s$/m);
    expect(run.stdout).toMatch(/^change review of dev: 10 stacks compared; 0 blocked, 0 acknowledged$/m);
    expect(run.stdout.split('\n').filter((line) => /^dev-[\w-]+: /.test(line))).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('prints its usage for --help', () => {
    const run = reviewScript('--help');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: npm run review -- --base <git ref \| directory>/);
    expect(run.stdout).toContain('--show-stale');
    expect(run.status).toBe(0);
  });
});

describe('scripts/fetch-deployed-templates.sh', () => {
  /** An `aws` command that answers as CloudFormation would, with dev-data-us-east-1 not deployed yet. */
  const FAKE_AWS = `#!/usr/bin/env bash
echo "\${AWS_ACCESS_KEY_ID:-current} $*" >> "$FAKE_AWS_LOG"
case "$*" in
  "sts assume-role"*) echo 'ASSUMED secret token' ;;
  *"--stack-name dev-data-us-east-1 "*) echo "Stack with id dev-data-us-east-1 does not exist" >&2; exit 254 ;;
  *"cloudformation get-template"*) echo '{"Resources": {}}' ;;
esac
`;

  it('writes each deployed stack of the assembly through the lookup role, and skips one not deployed yet', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fetch-'));
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'aws'), FAKE_AWS);
    chmodSync(path.join(dir, 'bin', 'aws'), 0o755);
    const log = path.join(dir, 'aws.log');
    const out = path.join(dir, 'deployed');
    const run = spawnSync('bash', [path.join(ROOT, 'scripts', 'fetch-deployed-templates.sh'), 'dev', out, path.join(ASSEMBLY_ROOT, 'dev')], {
      env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, FAKE_AWS_LOG: log },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('dev-data-us-east-1: not deployed yet, nothing to compare');
    const expected = synthesized('dev').stackNames.filter((stack) => stack !== DATA).map((stack) => `${stack}.template.json`);
    expect(readdirSync(out).sort()).toEqual(expected.sort());
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.filter((call) => call.includes('get-template')).map((call) => call.split(' ')[0])).toEqual(synthesized('dev').stackNames.map(() => 'ASSUMED'));
    expect(calls.filter((call) => call.includes('assume-role')).map((call) => call.split(' ')[4])).toEqual([
      'arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-us-east-1',
      'arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1',
    ]);
  });
});
