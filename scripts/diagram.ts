/**
 * Draws docs/architecture.dot from the synthesized prod assembly and, where Graphviz's
 * `dot` is installed, renders docs/architecture.png from it. `test/docs.test.ts` fails
 * when the committed DOT no longer matches the app; CI needs no Graphviz.
 * Usage: npm run diagram   (for the PNG: apt-get install graphviz)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURE_DOT, ARCHITECTURE_ENVIRONMENT, ARCHITECTURE_PNG, architectureDot } from '../lib/docs/architecture-diagram';
import { synthQuietly } from './synth-quietly';

const outdir = path.join('cdk.out', `diagram-${ARCHITECTURE_ENVIRONMENT}`);
synthQuietly(ARCHITECTURE_ENVIRONMENT, outdir, 'the architecture diagram');
writeFileSync(ARCHITECTURE_DOT, architectureDot(outdir));
console.error(`Wrote ${ARCHITECTURE_DOT}; rendering ${ARCHITECTURE_PNG} with Graphviz...`);
const render = spawnSync('dot', ['-Tpng', ARCHITECTURE_DOT, '-o', ARCHITECTURE_PNG], { stdio: 'inherit' });
if (render.error) {
  console.error(`Graphviz's dot is missing, so ${ARCHITECTURE_PNG} is unchanged: apt-get install graphviz (or brew install graphviz), then rerun.`);
  process.exit(1);
}
process.exit(render.status ?? 1);
