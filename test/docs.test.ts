import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { validateConfig, ENVIRONMENTS } from '../lib/config';
import { configReferenceTable } from '../lib/docs/config-reference';
import { embeddedTable, GENERATED_TABLES } from '../lib/docs/tables';
import { synthesized } from './support/assembly';

const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the docs', () => {
  it.each(GENERATED_TABLES.map((t) => [`${t.file} ${t.name}`, t] as const))('embed the %s table as the config gives it (npm run docs rewrites it)', (_name, table) => {
    expect(embeddedTable(table)).toBe(table.render());
  });

  it('list a row for each top-level setting group', () => {
    for (const setting of ['regions.us-east-1.natGateways', 'app.instanceTypes', 'database.backupRetentionDays', 'alarms.cpuHighPercent', 'dns.healthCheckIntervalSeconds', 'pipeline.branch']) {
      expect(configReferenceTable()).toContain(`| \`${setting}\` |`);
    }
  });

  it('state the failover figures the templates have', () => {
    const table = embeddedTable(GENERATED_TABLES.find((t) => t.name === 'failover-timings')!);
    for (const envName of Object.keys(ENVIRONMENTS)) {
      const [check] = synthesized(envName)
        .stackNames.filter((s) => s.endsWith('-global'))
        .flatMap((s) => Object.values(synthesized(envName).template(s).toJSON().Resources as Record<string, { Type: string; Properties: any }>))
        .filter((r) => r.Type === 'AWS::Route53::HealthCheck')
        .map((r) => r.Properties.HealthCheckConfig);
      expect(table).toContain(`| ${envName} | ${check.RequestInterval} s | ${check.FailureThreshold} |`);
    }
  });
});

describe('the README', () => {
  it('is short: what it is, two commands, configuration, deploy, links', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    expect(readme).toContain('npm ci && npx cdk synth');
    expect(readme).toContain('npm test');
  });

  it('shows the error synth really prints for a bad setting', () => {
    const sample = /\$ npx cdk synth -c env=prod\n(.+)\n/.exec(readme)![1];
    expect(() => validateConfig('prod', { ...ENVIRONMENTS.prod, app: { ...ENVIRONMENTS.prod.app, minCapacity: 1, desiredCapacity: 3 } })).toThrow(sample);
  });

  it('links only to files that exist', () => {
    for (const [, target] of readme.matchAll(/\]\((docs\/[^)#\s]+)/g)) expect(() => readFileSync(path.join(__dirname, '..', target))).not.toThrow();
  });
});
