import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES } from '../lib/config';
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

describe('synth of every environment', () => {
  it('prints nothing: no deprecation warning from CDK or from this app', () => {
    // The global setup kept what each of its synth processes printed.
    const logs = readdirSync(ASSEMBLY_ROOT).filter((file) => /^synth-\d+\.(stdout|stderr)\.log$/.test(file));
    expect(logs.length).toBeGreaterThan(1);
    for (const log of logs) expect({ log, printed: readFileSync(path.join(ASSEMBLY_ROOT, log), 'utf8') }).toEqual({ log, printed: '' });
  });
});
