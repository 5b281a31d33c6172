/**
 * Synthesizes environments into the assembly cache (test/support/assembly-cache.ts), each into
 * a temporary folder renamed into place when complete: configured environments as the app
 * loads them offline, test-only ones from test/support/variants.ts.
 * Usage: tsx test/support/synth-assembly.ts <name>…
 *        tsx test/support/synth-assembly.ts --configured <i> <n>   (the configured environments whose index is i modulo n)
 * The second form also writes `environments.json`, the configured names, so that a later run
 * finds them cached without loading the configuration.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES } from '../../lib/config';
import { ASSEMBLY_ROOT, CONFIGURED_ENVIRONMENTS_FILE, isSynthesized, publishAssembly } from './assembly-cache';
import { offlineConfig, synthEnvironment } from './synth';
import { VARIANTS } from './variants';

function namesToSynthesize(args: string[]): string[] {
  if (args[0] !== '--configured') return args;
  const [shard, shards] = args.slice(1).map(Number);
  const names = path.join(ASSEMBLY_ROOT, CONFIGURED_ENVIRONMENTS_FILE);
  writeFileSync(`${names}.${process.pid}.tmp`, JSON.stringify(ENVIRONMENT_NAMES));
  renameSync(`${names}.${process.pid}.tmp`, names);
  return ENVIRONMENT_NAMES.filter((_, index) => index % shards === shard);
}

for (const name of namesToSynthesize(process.argv.slice(2))) {
  if (isSynthesized(name)) continue;
  const variant = VARIANTS[name];
  const temporary = mkdtempSync(path.join(ASSEMBLY_ROOT, `.${name}-`));
  try {
    synthEnvironment(variant?.config() ?? offlineConfig(name), temporary, { rulePacks: variant?.rulePacks ?? true });
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  publishAssembly(temporary, name);
}
