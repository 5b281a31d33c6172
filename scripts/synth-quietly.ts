import { spawnSync } from 'node:child_process';

/**
 * What `cdk synth` prints on success that only helps someone reading templates at a
 * terminal: where the assembly went and "Supply a stack id … to display its template".
 * Everything else it prints (warnings, deprecations, errors) passes through.
 */
const SUCCESS_CHATTER = [/^Successfully synthesized to /, /^Supply a stack id \(/];

/**
 * Runs `cdk synth -q` for an environment into `outdir`, saying so in one line first, and
 * exits with synth's status when it fails (its one-line config errors included).
 */
export function synthQuietly(envName: string, outdir: string, purpose: string): void {
  console.error(`Synthesizing ${envName} into ${outdir} for ${purpose} (cdk synth with every rule pack: 15-30 s)...`);
  const result = spawnSync('npx', ['cdk', 'synth', '-q', '-c', `env=${envName}`, '--output', outdir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const lines = (result.stderr ?? '').split('\n').filter((line) => line.trim() !== '' && !SUCCESS_CHATTER.some((chatter) => chatter.test(line)));
  if (lines.length > 0) console.error(lines.join('\n'));
  if (result.status !== 0) process.exit(result.status ?? 1);
}
