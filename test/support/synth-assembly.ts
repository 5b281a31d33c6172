/**
 * Synthesizes environments into folders of ASSEMBLY_ROOT named after them: configured
 * environments as the app loads them offline, test-only ones from test/support/variants.ts.
 * The global setup runs one such process per core, so modules load once per process.
 * Usage: tsx test/support/synth-assembly.ts <name>…
 */
import * as path from 'node:path';
import { ASSEMBLY_ROOT, offlineConfig, synthEnvironment } from './synth';
import { VARIANTS } from './variants';

for (const name of process.argv.slice(2)) {
  const variant = VARIANTS[name];
  synthEnvironment(variant?.config() ?? offlineConfig(name), path.join(ASSEMBLY_ROOT, name), { rulePacks: variant?.rulePacks ?? true });
}
