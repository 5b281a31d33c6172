import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURE_DOT, ARCHITECTURE_ENVIRONMENT, ARCHITECTURE_PNG, architectureDot } from '../lib/docs/architecture-diagram';
import { CONFIG_REFERENCE_MARKERS, configReferenceTable } from '../lib/docs/config-reference';
import { ASSEMBLY_ROOT } from './support/synth';

const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('shows every setting of every environment as the config holds it', () => {
    const [start, end] = CONFIG_REFERENCE_MARKERS;
    const embedded = readme.slice(readme.indexOf(start) + start.length, readme.indexOf(end)).trim();
    expect(embedded).toBe(configReferenceTable());
  });

  it('lists a row for each top-level setting group', () => {
    for (const setting of ['regions.us-east-1.natGateways', 'app.instanceTypes', 'database.backupRetentionDays', 'alarms.cpuHighPercent', 'dns.healthCheckIntervalSeconds', 'pipeline.branch']) {
      expect(configReferenceTable()).toContain(`| \`${setting}\` |`);
    }
  });
});

describe('the architecture diagram', () => {
  const dot = architectureDot(path.join(ASSEMBLY_ROOT, ARCHITECTURE_ENVIRONMENT));

  it('is current: docs/architecture.dot is what `npm run diagram` draws from the app today', () => {
    expect(readFileSync(path.join(__dirname, '..', ARCHITECTURE_DOT), 'utf8')).toBe(dot);
  });

  it('groups each region and draws the request, failover, replication and backup-copy paths', () => {
    for (const cluster of ['cluster_global', 'cluster_us_east_1', 'cluster_eu_west_1']) expect(dot).toContain(`subgraph ${cluster} {`);
    for (const path of [
      'users -> dns',
      'dns -> alb_us_east_1 [label="PRIMARY"]',
      'dns -> alb_eu_west_1 [label="SECONDARY"',
      'alb_us_east_1 -> asg_us_east_1',
      'asg_us_east_1 -> db_us_east_1',
      'db_us_east_1 -> db_eu_west_1 [label="replication"',
      'vault_us_east_1 -> vault_eu_west_1 [label="backup copy',
      'check_us_east_1 -> alb_us_east_1',
      'check_alarms -> topic_us_east_1',
      'alarms_eu_west_1 -> topic_eu_west_1',
    ]) {
      expect(dot).toContain(path);
    }
  });

  it('is shown in the README', () => {
    expect(readme).toContain(`](${ARCHITECTURE_PNG})`);
  });
});
