import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES } from '../../lib/config';
import { ASSEMBLY_ROOT, offlineConfig, synthEnvironment } from './synth';

/** Synthesizes each environment once per test run, for every test file to read. */
export default function globalSetup(): void {
  rmSync(ASSEMBLY_ROOT, { recursive: true, force: true });
  for (const envName of ENVIRONMENT_NAMES) {
    synthEnvironment(offlineConfig(envName), path.join(ASSEMBLY_ROOT, envName));
  }
}
