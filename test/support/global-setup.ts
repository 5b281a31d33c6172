import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES } from '../../lib/config';
import { ASSEMBLY_ROOT } from './synth';
import { VARIANTS } from './variants';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** One synth in a process of its own: what it runs and with which environment variables. */
interface SynthJob {
  readonly name: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

/** Runs a job; its output goes to `<name>.stdout.log` / `<name>.stderr.log` beside the assemblies. */
function run(job: SynthJob): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, job.args, { cwd: ROOT, env: job.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(path.join(ASSEMBLY_ROOT, `${job.name}.stdout.log`), Buffer.concat(out));
      writeFileSync(path.join(ASSEMBLY_ROOT, `${job.name}.stderr.log`), Buffer.concat(err));
      if (code === 0) resolve();
      else reject(new Error(`synth of ${job.name} failed (exit ${code}):\n${Buffer.concat(err).toString()}`));
    });
  });
}

/**
 * Synthesizes every assembly the tests read, once per run, split over one process per
 * core: the configured environments as the app loads them offline (findings written to
 * validation-report.json rather than thrown, the built-in CloudFormation validation off:
 * CI's own synth keeps it on) and the test-only environments. What each process prints is
 * kept in `synth-<n>.stderr.log`, for the test that synth prints no warning.
 */
export default async function globalSetup(): Promise<void> {
  rmSync(ASSEMBLY_ROOT, { recursive: true, force: true });
  mkdirSync(ASSEMBLY_ROOT, { recursive: true });
  const names = [...ENVIRONMENT_NAMES, ...Object.keys(VARIANTS)];
  const processes = Math.min(availableParallelism(), names.length);
  const env = { ...process.env, CDK_DEFAULT_ACCOUNT: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '' };
  await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      run({ name: `synth-${i + 1}`, args: [path.join(__dirname, 'synth-assembly.ts'), ...names.filter((_, n) => n % processes === i)], env }),
    ),
  );
}
