/**
 * Fails when a cloud assembly's validation report holds any finding, of any
 * severity, that is not acknowledged: `cdk synth` fails on errors only.
 * Usage: tsx scripts/check-findings.ts <assembly-dir>
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface Violation {
  ruleName: string;
  severity?: string;
  violatingConstructs: Array<{ constructPath?: string }>;
}

const dir = process.argv[2] ?? 'cdk.out';
const report = JSON.parse(readFileSync(path.join(dir, 'validation-report.json'), 'utf8')) as {
  pluginReports: Array<{ pluginName: string; violations: Violation[] }>;
};
const open = report.pluginReports.flatMap((plugin) =>
  plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${plugin.pluginName} ${v.severity ?? ''} ${v.ruleName} at ${c.constructPath ?? '?'}`)),
);
if (open.length > 0) {
  console.error(`${dir}: ${open.length} unacknowledged finding(s):\n${open.join('\n')}`);
  process.exit(1);
}
