import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { ASSEMBLY_ROOT, cachedConfiguredEnvironments, pruneAssemblyCache, synthCommand, writeSynthLogs } from './assembly-cache';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs one synth-assembly.ts process; rejects with what it printed when it fails. */
function run(args: string[], logName: string[]): Promise<void> {
  const { command, args: commandArgs, env } = synthCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: ROOT, env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      writeSynthLogs(logName, Buffer.concat(out), Buffer.concat(err));
      if (code === 0) resolve();
      else reject(new Error(`synth of ${logName.join(' ')} failed (exit ${code}):\n${Buffer.concat(err).toString()}`));
    });
  });
}

/**
 * Makes sure this tree's assemblies of the configured environments are cached, for the
 * assembly tests (jest.config.js): on an unchanged tree (bin, lib, cdk.json, the lockfile and
 * the test support that synthesizes; see SYNTH_INPUTS) it finds them and returns at once;
 * otherwise it synthesizes them, split over one process per core, as the app loads them
 * offline, with every rule pack (findings written to validation-report.json rather than
 * thrown) and the built-in CloudFormation validation off: CI's own synth keeps it on.
 * Test-only environments are synthesized when a test first reads them (`synthesized(name)`).
 * The workers find the assemblies in `CDK_TEST_ASSEMBLY_DIR`.
 */
export default async function globalSetup(): Promise<void> {
  process.env.CDK_TEST_ASSEMBLY_DIR = ASSEMBLY_ROOT;
  pruneAssemblyCache();
  if (cachedConfiguredEnvironments()) return;
  const processes = availableParallelism();
  await Promise.all(
    Array.from({ length: processes }, (_, i) => run(['--configured', String(i), String(processes)], [`configured-${i + 1}-of-${processes}`])),
  );
}
