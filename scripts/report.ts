/**
 * Synthesizes an environment and prints its resilience report, read from the templates.
 * Usage: npm run report -- -c env=prod
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { formatReport, resilienceReport } from '../lib/report/resilience';

const args = process.argv.slice(2);
const contextArg = args.findIndex((a, i) => (a === '-c' || a === '--context') && args[i + 1]?.startsWith('env='));
const envName = contextArg >= 0 ? args[contextArg + 1].slice('env='.length) : 'dev';
const outdir = path.join('cdk.out', `report-${envName}`);
execFileSync('npx', ['cdk', 'synth', '-q', '-c', `env=${envName}`, '--output', outdir], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(formatReport(resilienceReport(outdir)));
