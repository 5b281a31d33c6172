/**
 * Draws docs/architecture.dot from the synthesized prod assembly and renders docs/architecture.png
 * from it with Graphviz's `dot`, which it checks for first. `test/docs.test.ts` fails
 * when the committed DOT no longer matches the app; CI needs no Graphviz.
 * Usage: npm run diagram   (for the PNG: apt-get install graphviz)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURE_DOT, ARCHITECTURE_ENVIRONMENT, ARCHITECTURE_PNG, architectureDot } from '../lib/docs/architecture-diagram';
import { synthQuietly } from './synth-quietly';

// Before the 15 s synth: without Graphviz the PNG cannot be drawn, so say so at once.
const dotVersion = spawnSync('dot', ['-V'], { stdio: 'ignore' });
if (dotVersion.error) {
  console.error(`Graphviz's dot is missing, so nothing was drawn: apt-get install graphviz (or brew install graphviz), then rerun npm run diagram.`);
  process.exit(1);
}
const outdir = path.join('cdk.out', `diagram-${ARCHITECTURE_ENVIRONMENT}`);
synthQuietly(ARCHITECTURE_ENVIRONMENT, outdir, 'the architecture diagram');
writeFileSync(ARCHITECTURE_DOT, architectureDot(outdir));
console.error(`Wrote ${ARCHITECTURE_DOT}; rendering ${ARCHITECTURE_PNG} with Graphviz...`);
const render = spawnSync('dot', ['-Tpng', ARCHITECTURE_DOT, '-o', ARCHITECTURE_PNG], { stdio: 'inherit' });
process.exit(render.status ?? 1);
