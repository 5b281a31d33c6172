import { App, Validations } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildApp } from '../app';
import { ENVIRONMENT_NAMES, loadConfig, REGIONS, type EnvironmentConfig } from '../config';
import { accountQuotaUse } from '../report/quotas';

const ROOT = path.resolve(__dirname, '..', '..');

/** One acknowledgement as built: in which environment and stack, on which construct path, of which rule, why. */
interface Acknowledged {
  readonly envName: string;
  readonly stack: string;
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

/** Every acknowledgement `buildApp` records for one environment (the construct metadata CDK writes to the assembly). */
function acknowledgementsOf(config: EnvironmentConfig): Acknowledged[] {
  const context = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
  const app = new App({ context, outdir: path.join(ROOT, 'cdk.out', 'docs-unused') });
  buildApp(app, config, { cloudFormationValidation: false });
  // The environment's name and account, as placeholders, so that environments compare.
  const general = (text: string) => text.replaceAll(`${config.name}-`, '<env>-').replaceAll(config.account, '<account>');
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => {
          const [stack, ...rest] = construct.node.path.split('/');
          return { envName: config.name, stack: general(stack), path: rest.join('/'), rule: general(rule), reason: general(reason) };
        }),
      ),
  );
}

/** Where a row applies: every environment, or the ones named. */
function environmentsCell(envNames: readonly string[]): string {
  return envNames.length === ENVIRONMENT_NAMES.length ? 'all' : envNames.join(', ');
}

/** A stack column: `<env>-data-us-east-1, <env>-data-eu-west-1` becomes `data, both regions`. */
function stacksCell(stacks: readonly string[]): string {
  const byService = new Map<string, string[]>();
  for (const stack of stacks) {
    const [, service, ...location] = stack.split('-');
    byService.set(service, [...(byService.get(service) ?? []), location.join('-')]);
  }
  return [...byService].map(([service, locations]) => `${service} ${locations.length === REGIONS.length && REGIONS.every((r) => locations.includes(r)) ? 'both regions' : locations.join(', ')}`).join('; ');
}

/**
 * Every acknowledged finding of every configured environment, as the app builds them: the
 * construct, the stacks and environments it is in, its rules and the reason, one row per reason.
 */
export function acknowledgementsTable(configs: readonly EnvironmentConfig[] = ENVIRONMENT_NAMES.map((envName) => loadConfig(envName))): string {
  const all = configs.flatMap(acknowledgementsOf);
  const rows = new Map<string, { path: string; rules: Set<string>; stacks: Set<string>; envs: Set<string>; reason: string }>();
  for (const a of all) {
    const service = a.stack.split('-')[1];
    const key = `${service}\u0000${a.path}\u0000${a.reason}`;
    const row = rows.get(key) ?? { path: a.path, rules: new Set(), stacks: new Set(), envs: new Set(), reason: a.reason };
    row.rules.add(a.rule);
    row.stacks.add(a.stack);
    row.envs.add(a.envName);
    rows.set(key, row);
  }
  const escape = (text: string) => text.replaceAll('|', '\\|');
  const lines = [...rows.values()]
    .sort((a, b) => stacksCell([...a.stacks]).localeCompare(stacksCell([...b.stacks])) || a.path.localeCompare(b.path) || a.reason.localeCompare(b.reason))
    .map((row) => `| ${stacksCell([...row.stacks])} | \`${row.path}\` | ${environmentsCell(ENVIRONMENT_NAMES.filter((e) => row.envs.has(e)))} | ${[...row.rules].sort().map((r) => `\`${escape(r)}\``).join(', ')} | ${escape(row.reason)} |`);
  return ['| stacks | construct | environments | rules | why it is safe |', '|---|---|---|---|---|', ...lines].join('\n');
}

/** The packs every synth runs, with the configured environments named in the header. */
export function rulePacksTable(): string {
  return [
    `| pack | open findings in ${ENVIRONMENT_NAMES.join(', ')} (CI fails on any) |`,
    '|---|---|',
    '| cdk-nag 3 `AwsSolutionsChecks` | 0 |',
    '| cdk-nag 3 `NIST80053R5Checks` | 0 |',
    '| `@cdklabs/cdk-validator-cfnguard`: AWS Control Tower proactive controls, with the cfn-guard binary shipped in the npm package; each rule runs on the templates holding a type it selects (`ScopedCfnGuardValidator`) | 0 |',
    '| `webtier-org-rules` (`lib/compliance/org-rules.ts`), the organisation\'s own | 0 |',
    '| aws-cdk-lib\'s built-in CloudFormation schema validation, left on in `cdk synth`, run on a worker thread (`BackgroundCloudFormationValidation`) | 0 |',
  ].join('\n');
}

/**
 * What one account needs of each quota per region with every configured environment in it, and
 * the largest single environment, from the same functions as `npm run report`.
 */
export function accountQuotasTable(): string {
  const configs = ENVIRONMENT_NAMES.map((envName) => loadConfig(envName));
  const byRegion = REGIONS.map((region) => accountQuotaUse(configs, [region]));
  const rows = byRegion[0].map(({ quota }, i) => {
    const unit = quota.unit ? ` ${quota.unit}` : '';
    const largest = configs
      .map((config) => ({ name: config.name, used: Math.max(...REGIONS.map((region) => accountQuotaUse([config], [region])[i].used)) }))
      .reduce((a, b) => (b.used > a.used ? b : a));
    const cells = byRegion.map((uses) => `${uses[i].used}${unit}${uses[i].exceedsDefault ? ' (**raise**)' : ''}`);
    return `| ${quota.name}${quota.perAvailabilityZone ? ' (each AZ)' : ''} | \`${quota.service}\` \`${quota.code}\` | ${cells.join(' | ')} | ${quota.defaultValue} | ${largest.name}: ${largest.used} |`;
  });
  return [`| quota | code | ${REGIONS.map((r) => `${r}, ${ENVIRONMENT_NAMES.join(' + ')} in one account`).join(' | ')} | default | the largest alone |`, '|---|---|---|---|---|---|', ...rows].join('\n');
}
