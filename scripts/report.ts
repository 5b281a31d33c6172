/**
 * Synthesizes an environment and prints its resilience report, read from the templates,
 * and the service quotas its account needs with every environment configured for it.
 * Usage: npm run report -- -c env=prod
 */
import * as path from 'node:path';
import { ENVIRONMENT_NAMES, REGIONS, loadConfig } from '../lib/config';
import { accountQuotaUse, formatQuotaUse } from '../lib/report/quotas';
import { formatReport, resilienceReport } from '../lib/report/resilience';
import { synthQuietly } from './synth-quietly';

const args = process.argv.slice(2);
const contextArg = args.findIndex((a, i) => (a === '-c' || a === '--context') && args[i + 1]?.startsWith('env='));
const envName = contextArg >= 0 ? args[contextArg + 1].slice('env='.length) : 'dev';
const outdir = path.join('cdk.out', `report-${envName}`);
synthQuietly(envName, outdir, 'the resilience report');
console.log(formatReport(resilienceReport(outdir)));

const defaultAccount = process.env.CDK_DEFAULT_ACCOUNT || undefined;
const { account } = loadConfig(envName, { defaultAccount });
const sharing = ENVIRONMENT_NAMES.map((name) => loadConfig(name, { defaultAccount })).filter((config) => config.account === account);
console.log(formatQuotaUse(account, sharing, accountQuotaUse(sharing, REGIONS)).join('\n'));
