import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONFIG_REFERENCE_MARKERS, configReferenceTable } from '../lib/docs/config-reference';

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
