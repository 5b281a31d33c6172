import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DefaultStackSynthesizer } from 'aws-cdk-lib';
import { UNPROTECT_FAILED_CREATES_SCRIPT } from '../lib/constructs/deploy-pipeline';
import { ASSEMBLY_ROOT, offlineConfig } from './support/synth';
import { synthesized } from './support/assembly';

const SCRIPT = path.join(__dirname, '..', UNPROTECT_FAILED_CREATES_SCRIPT);

/**
 * The AWS CLI as the script meets it in CodeBuild, answering from STUB_STACKS
 * ("name=STATUS:protection" words; a stack not listed does not exist) and logging every call
 * with the access key it was made with.
 */
const AWS_STUB = `#!/bin/bash
echo "key=\${AWS_ACCESS_KEY_ID:-build-role} aws $*" >> "$STUB_LOG"
arg() { local want=$1; shift; while [ "$#" -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  'sts get-caller-identity') echo 'arn:aws:sts::111111111111:assumed-role/prod-pipeline-deploy-role/AWSCodeBuild-1' ;;
  'sts assume-role')
    [ -n "$STUB_ASSUME_DENIED" ] && { echo 'An error occurred (AccessDenied) when calling the AssumeRole operation' >&2; exit 254; }
    role=$(arg --role-arn "$@"); printf 'KEY-%s\\tSECRET\\tTOKEN\\n' "\${role##*-role-111111111111-}" ;;
  'cloudformation describe-stacks')
    [ -n "$STUB_DESCRIBE_DENIED" ] && { echo 'An error occurred (AccessDenied) when calling the DescribeStacks operation' >&2; exit 254; }
    stack=$(arg --stack-name "$@")
    for entry in $STUB_STACKS; do
      if [ "\${entry%%=*}" = "$stack" ]; then state=\${entry#*=}; printf '%s\\t%s\\n' "\${state%%:*}" "\${state#*:}"; exit 0; fi
    done
    echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $stack does not exist" >&2; exit 254 ;;
  'cloudformation update-termination-protection') echo '{"StackId": "arn:aws:cloudformation:..."}' ;;
  *) echo "unexpected call: $*" >&2; exit 1 ;;
esac
`;

describe(`${UNPROTECT_FAILED_CREATES_SCRIPT}, run against the prod assembly with the AWS CLI stubbed`, () => {
  const config = offlineConfig('prod');
  let assembly: string;
  const deployRole = (region: string) =>
    `arn:aws:iam::${config.account}:role/cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-deploy-role-${config.account}-${region}`;
  const stateful = ['prod-network-us-east-1', 'prod-data-us-east-1', 'prod-network-eu-west-1', 'prod-data-eu-west-1'];
  let dir: string;
  let runs = 0;

  beforeAll(() => {
    // The premise: prod's stateful stacks ask for termination protection, so the CLI turns it on before their first create.
    for (const stack of stateful) expect({ stack, protected: synthesized('prod').terminationProtection(stack) }).toEqual({ stack, protected: true });
    dir = mkdtempSync(path.join(tmpdir(), 'unprotect-'));
    // The script reads only the manifest; a copy keeps the runs independent of the shared assembly directory.
    assembly = path.join(dir, 'cdk.out');
    mkdirSync(assembly);
    copyFileSync(path.join(ASSEMBLY_ROOT, 'prod', 'manifest.json'), path.join(assembly, 'manifest.json'));
    writeFileSync(path.join(dir, 'aws'), AWS_STUB);
    chmodSync(path.join(dir, 'aws'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (stacks: string[], states: Record<string, string>, env: Record<string, string> = {}) => {
    const log = path.join(dir, `calls-${++runs}`);
    writeFileSync(log, '');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    const result = spawnSync('bash', [SCRIPT, assembly, ...stacks], {
      env: {
        ...clean,
        PATH: `${dir}:${process.env.PATH}`,
        STUB_LOG: log,
        STUB_STACKS: Object.entries(states)
          .map(([stack, state]) => `${stack}=${state}`)
          .join(' '),
        ...env,
      },
      encoding: 'utf8',
    });
    const calls = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  };
  const unprotected = (calls: string[]) =>
    calls.filter((c) => c.includes('update-termination-protection')).map((c) => /--stack-name (\S+)/.exec(c)![1]);

  it('turns protection off on a protected stack in ROLLBACK_COMPLETE, as its region\'s deploy role, and leaves UPDATE_COMPLETE and CREATE_COMPLETE stacks alone', () => {
    const { status, stdout, calls } = run(stateful, {
      'prod-network-us-east-1': 'UPDATE_COMPLETE:True',
      'prod-data-us-east-1': 'ROLLBACK_COMPLETE:True',
      'prod-network-eu-west-1': 'CREATE_COMPLETE:True',
      'prod-data-eu-west-1': 'ROLLBACK_COMPLETE:True',
    });
    expect(status).toBe(0);
    expect(unprotected(calls)).toEqual(['prod-data-us-east-1', 'prod-data-eu-west-1']);
    expect(calls).toContain('key=KEY-us-east-1 aws cloudformation update-termination-protection --region us-east-1 --stack-name prod-data-us-east-1 --no-enable-termination-protection');
    expect(calls).toContain('key=KEY-eu-west-1 aws cloudformation update-termination-protection --region eu-west-1 --stack-name prod-data-eu-west-1 --no-enable-termination-protection');
    expect(stdout).toContain('prod-data-us-east-1 (us-east-1): ROLLBACK_COMPLETE after a failed first create; termination protection turned off');
    expect(stdout).toContain('prod-network-us-east-1 (us-east-1): UPDATE_COMPLETE, termination protection True: nothing to do');
  });

  it('assumes each region\'s CDK deploy role, as the assembly names it, once, and reads every stack with it', () => {
    const { status, calls } = run(stateful, Object.fromEntries(stateful.map((stack) => [stack, 'CREATE_COMPLETE:True'])));
    expect(status).toBe(0);
    const assumed = calls.filter((c) => c.includes('sts assume-role')).map((c) => /--role-arn (\S+)/.exec(c)![1]);
    expect(assumed).toEqual([deployRole('us-east-1'), deployRole('eu-west-1')]);
    expect(calls.filter((c) => c.includes('assume-role')).every((c) => c.startsWith('key=build-role '))).toBe(true);
    for (const stack of stateful) {
      const region = stack.endsWith('eu-west-1') ? 'eu-west-1' : 'us-east-1';
      expect(calls).toContain(
        `key=KEY-${region} aws cloudformation describe-stacks --region ${region} --stack-name ${stack} --query Stacks[0].[StackStatus,EnableTerminationProtection] --output text`,
      );
    }
    expect(unprotected(calls)).toEqual([]);
  });

  it('leaves a stack that does not exist yet, and an unprotected one in ROLLBACK_COMPLETE (the CLI deletes it itself), alone', () => {
    const { status, stdout, calls } = run(['prod-app-eu-west-1', 'prod-monitoring-eu-west-1'], { 'prod-app-eu-west-1': 'ROLLBACK_COMPLETE:False' });
    expect(status).toBe(0);
    expect(unprotected(calls)).toEqual([]);
    expect(stdout).toContain('prod-monitoring-eu-west-1 (eu-west-1): not created yet');
  });

  it('leaves a stack in ROLLBACK_FAILED protected and points to the clean-up', () => {
    const { status, stderr, calls } = run(['prod-data-us-east-1'], { 'prod-data-us-east-1': 'ROLLBACK_FAILED:True' });
    expect(status).toBe(0);
    expect(unprotected(calls)).toEqual([]);
    expect(stderr).toContain('prod-data-us-east-1 (us-east-1): ROLLBACK_FAILED, left protected');
  });

  it.each([
    ['the deploy role cannot be assumed', { STUB_ASSUME_DENIED: '1' }],
    ['the stack cannot be read', { STUB_DESCRIBE_DENIED: '1' }],
  ])('fails, touching nothing, when %s', (_, env) => {
    const { status, stderr, calls } = run(['prod-data-us-east-1'], { 'prod-data-us-east-1': 'ROLLBACK_COMPLETE:True' }, env);
    expect(status).not.toBe(0);
    expect(stderr).toContain('AccessDenied');
    expect(unprotected(calls)).toEqual([]);
  });

  it('fails on a stack name the assembly does not hold, before calling AWS', () => {
    const { status, stderr, calls } = run(['prod-nothing-us-east-1'], {});
    expect(status).not.toBe(0);
    expect(stderr).toContain('prod-nothing-us-east-1: no such stack');
    expect(calls).toEqual([]);
  });
});
