import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { ASSEMBLY_ROOT } from './support/synth';

const ROOT = path.resolve(__dirname, '..');

/** Runs bin/app.ts as `cdk synth` does, with the given context. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_DEFAULT_ACCOUNT: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '' },
    encoding: 'utf8',
  });
  return { ...result, outdir };
}

describe('bin/app.ts with bad input', () => {
  const run = runApp({ env: 'no-such-env' });

  it('exits non-zero with one line and no stack trace', () => {
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`Unknown environment "no-such-env" (from -c env=…): expected one of ${ENVIRONMENT_NAMES.join(', ')}\n`);
  });

  it('writes no template', () => {
    expect(existsSync(path.join(run.outdir, 'manifest.json'))).toBe(false);
    expect(readdirSync(run.outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  it('refuses a -c pipeline that is neither true nor false, in one line', () => {
    const bad = runApp({ env: 'dev', pipeline: 'no' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('Invalid -c pipeline=no: expected true or false\n');
  });
});

/** Runs the CDK CLI as a user would, with `app` as the app command, offline. */
function cli(args: string[], app = node(cdkJson().app)) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-cli-'));
  return spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), [...args, '--app', app, '--output', outdir], {
    cwd: ROOT,
    env: { ...process.env, CDK_DEFAULT_ACCOUNT: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', CDK_VALIDATION: '' },
    encoding: 'utf8',
  });
}
const cdkJson = (): { app: string } => JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
/** cdk.json's app command with its runner and flags, for another entry point. */
const node = (command: string, entry = 'bin/app.ts') => command.replace('bin/app.ts', entry);

describe('commands that read no template skip the rule packs', () => {
  const noncompliant = node(cdkJson().app, 'test/support/noncompliant-app.ts');
  const synth = cli(['synth', '-q'], noncompliant);
  const list = cli(['ls'], noncompliant);
  const listApp = cli(['ls', '-c', 'env=prod']);

  it('cdk synth still fails on a finding', () => {
    expect(synth.status).not.toBe(0);
    expect(synth.stdout + synth.stderr).toMatch(/AwsSolutions-S1/);
  });

  it('cdk ls lists the stacks of the same app, without checking them', () => {
    expect({ status: list.status, stderr: list.stderr }).toEqual({ status: 0, stderr: '' });
    expect(list.stdout.trim().split('\n')).toContain('dev-app-us-east-1');
  });

  it("cdk ls of the app lists every stack and says nothing of the checks it skipped", () => {
    expect(listApp.status).toBe(0);
    expect(listApp.stdout.trim().split('\n').sort()).toEqual([...synthesized('prod').stackNames].sort());
    expect(listApp.stderr).not.toMatch(/checking them/);
  });
});

describe('synth of every environment', () => {
  it('prints nothing: no deprecation warning from CDK or from this app', () => {
    // Every synth of the assembly cache keeps what it printed beside this tree's assemblies.
    for (const envName of ENVIRONMENT_NAMES) synthesized(envName);
    const logs = readdirSync(ASSEMBLY_ROOT).filter((file) => /^synth-.+\.(stdout|stderr)\.log$/.test(file));
    expect(logs.length).toBeGreaterThan(1);
    for (const log of logs) expect({ log, printed: readFileSync(path.join(ASSEMBLY_ROOT, log), 'utf8') }).toEqual({ log, printed: '' });
  });
});
