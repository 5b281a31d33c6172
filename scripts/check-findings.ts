/**
 * Fails when a cloud assembly's validation report holds any finding, of any
 * severity, that is not acknowledged: `cdk synth` fails on errors only.
 * Usage: tsx scripts/check-findings.ts <assembly-dir>…   (default cdk.out)
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface Violation {
  ruleName: string;
  severity?: string;
  violatingConstructs: Array<{ constructPath?: string }>;
}

/** The assembly's unacknowledged findings, one line each. */
function openFindings(dir: string): string[] {
  const report = JSON.parse(readFileSync(path.join(dir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ pluginName: string; violations: Violation[] }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${plugin.pluginName} ${v.severity ?? ''} ${v.ruleName} at ${c.constructPath ?? '?'}`)),
  );
}

const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['cdk.out'];
let failed = false;
for (const dir of dirs) {
  const open = openFindings(dir);
  if (open.length > 0) {
    console.error(`${dir}: ${open.length} unacknowledged finding(s):\n${open.join('\n')}`);
    failed = true;
  }
}
if (failed) process.exit(1);
