/**
 * Draws the architecture pictures (traffic, data, deploy) from the synthesized prod assembly:
 * each one's DOT and its SVG, rendered by Graphviz compiled to WebAssembly (@viz-js/viz), so
 * nothing needs a system Graphviz. `test/docs.test.ts` fails when a committed DOT no longer
 * matches the app or a committed SVG no longer matches its DOT.
 * Usage: npm run diagram
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURE_ENVIRONMENT, architectureDots, renderSvgs } from '../lib/docs/architecture-diagram';
import { synthQuietly } from './synth-quietly';

async function main(): Promise<void> {
  const outdir = path.join('cdk.out', `diagram-${ARCHITECTURE_ENVIRONMENT}`);
  synthQuietly(ARCHITECTURE_ENVIRONMENT, outdir, 'the architecture diagrams');
  const dots = architectureDots(outdir);
  const svgs = await renderSvgs([...dots.values()]);
  for (const [index, [diagram, dot]] of [...dots].entries()) {
    writeFileSync(diagram.dotFile, dot);
    console.log(`Wrote ${diagram.dotFile}`);
    writeFileSync(diagram.svgFile, svgs[index]);
    console.log(`Wrote ${diagram.svgFile}`);
  }
}

main().catch((error: unknown) => {
  // A template the pictures cannot read, or a DOT Graphviz refuses: its message in one line and no stack trace, as every other command prints.
  if (!(error instanceof Error)) throw error;
  console.error(`npm run diagram: ${error.message.split('\n')[0]}`);
  process.exit(1);
});
