import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { validateConfig, ENVIRONMENT_NAMES, ENVIRONMENTS, loadConfig, type RegionName } from '../lib/config';
import { ARCHITECTURE_DIAGRAMS, ARCHITECTURE_ENVIRONMENT, architectureDots, renderSvgs } from '../lib/docs/architecture-diagram';
import { configReferenceTable } from '../lib/docs/config-reference';
import { STEP_TIMEOUT_MINUTES } from '../lib/constructs/region-switch';
import { SWITCH_ACTIONS, SWITCH_ACTION_TIMEOUT } from '../lib/constructs/switch-actions';
import { approvalTimeoutMinutes, EXPECTED_MINUTES, outageTimelineTable, RECOVERY_TABLES, recoveryBudget, type Phase } from '../lib/docs/recovery-budget';
import { monthlyCostTable, listPrices } from '../lib/docs/cost';
import { layoutList, trackedLayoutEntries } from '../lib/docs/layout';
import { embeddedTable, GENERATED_TABLES, writeTable } from '../lib/docs/tables';
import { synthesized } from './support/assembly';
import { ASSEMBLY_ROOT } from './support/synth';

const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

type Resource = { Type: string; Properties: any };
type PlanStep = { Name: string; ExecutionBlockType: string; ExecutionBlockConfiguration: Record<string, any> };

/** Every resource of `type` in an environment's synthesized stack. */
function resourcesOf(envName: string, stackName: string, type: string): Resource[] {
  return Object.values(synthesized(envName).template(stackName).toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === type);
}

/** The minutes a workflow takes with every step at its timeout: parallel steps count their longest, and ungraceful leaves out what the plan skips in that mode. */
function planMinutesAtTimeouts(steps: PlanStep[], mode: 'graceful' | 'ungraceful', parallel = false): number {
  const minutes = steps.map((step): number => {
    const [config] = Object.values(step.ExecutionBlockConfiguration);
    if (step.ExecutionBlockType === 'Parallel') return planMinutesAtTimeouts(config.Steps, mode, true);
    return mode === 'ungraceful' && config.Ungraceful?.Behavior === 'skip' ? 0 : config.TimeoutMinutes;
  });
  return parallel ? Math.max(...minutes) : minutes.reduce((a, b) => a + b, 0);
}

/** A workflow's steps, the parallel ones included, each with the timeout its block configuration gives. */
function stepTimeouts(steps: PlanStep[]): Array<[string, string, number | undefined]> {
  return steps.flatMap((step) => {
    const [config] = Object.values(step.ExecutionBlockConfiguration);
    if (step.ExecutionBlockType === 'Parallel') return stepTimeouts(config.Steps);
    return [[step.Name, step.ExecutionBlockType, config.TimeoutMinutes ?? config.timeoutMinutes]];
  });
}

describe('the docs', () => {
  it.each([...GENERATED_TABLES, ...RECOVERY_TABLES].map((t) => [`${t.file} ${t.name}`, t] as const))('embed the %s table as the config gives it (npm run docs rewrites it)', (_name, table) => {
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

describe.each(ENVIRONMENT_NAMES)('the %s recovery-time budget', (envName) => {
  const config = loadConfig(envName);
  const budget = recoveryBudget(config);
  const [plan] = resourcesOf(envName, `${envName}-dns-global`, 'AWS::ARCRegionSwitch::Plan');

  it('counts against the recovery time objective the plan reports against', () => {
    expect(plan.Properties.RecoveryTimeObjectiveMinutes).toBe(budget.rtoMinutes);
  });

  it.each(['us-east-1', 'eu-west-1'])('uses the timeouts of every step of the workflow that activates %s', (region) => {
    const workflow = plan.Properties.Workflows.find((w: { WorkflowTargetRegion: string }) => w.WorkflowTargetRegion === region);
    const expected: Array<[string, string, number | undefined]> = Object.entries(STEP_TIMEOUT_MINUTES).map(([name, minutes]) => [name, expect.any(String) as unknown as string, minutes]);
    const approval = approvalTimeoutMinutes(config, region as RegionName);
    if (approval !== undefined) expected.unshift(['approve', 'ManualApproval', approval]);
    expect(stepTimeouts(workflow.Steps)).toEqual(expected);
  });

  it('gives each switch action the Lambda timeout it states, in both regions', () => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      const actions = resourcesOf(envName, `${envName}-data-${region}`, 'AWS::Lambda::Function').filter((f) => /-switch-/.test(f.Properties.FunctionName));
      expect(actions.map((f) => f.Properties.Timeout)).toEqual(Array(SWITCH_ACTIONS.length).fill(SWITCH_ACTION_TIMEOUT.toSeconds()));
    }
  });

  it.each(['us-east-1', 'eu-west-1'])('adds up the timeouts of the workflow that activates %s, ungraceful and graceful', (region) => {
    const workflow = plan.Properties.Workflows.find((w: { WorkflowTargetRegion: string }) => w.WorkflowTargetRegion === region);
    // The budget counts the standby's workflow; fail-back's may differ by its approval step alone.
    const approvalDifference = (approvalTimeoutMinutes(config, region as RegionName) ?? 0) - (approvalTimeoutMinutes(config) ?? 0);
    expect(planMinutesAtTimeouts(workflow.Steps, 'ungraceful')).toBe(budget.ungracefulPlanMinutes + approvalDifference);
    expect(planMinutesAtTimeouts(workflow.Steps, 'graceful')).toBe(budget.gracefulPlanMinutes + approvalDifference);
  });

  it('expects every step to end within its timeout', () => {
    const t = STEP_TIMEOUT_MINUTES;
    const bounds: Partial<Record<Phase, number | undefined>> = {
      approve: approvalTimeoutMinutes(config) ?? 0,
      fence: t['fence-deactivating-region'],
      'await-replication': t['await-replication'],
      promote: t['promote-database'],
      'publish-writer': t['publish-writer'],
      'scale-app': t['scale-app'],
      'shift-dns': t['shift-dns'],
    };
    for (const [phase, bound] of Object.entries(bounds)) expect([phase, EXPECTED_MINUTES[phase as Phase].minutes(config) <= bound!]).toEqual([phase, true]);
  });

  it('expects the whole ungraceful outage, page to DNS TTL, to fit the recovery time objective', () => {
    expect(budget.expectedUngracefulMinutes).toBeLessThanOrEqual(budget.rtoMinutes);
  });

  it('draws the outage timeline to the expected ungraceful total', () => {
    expect(outageTimelineTable(envName).split('\n').at(-1)).toMatch(new RegExp(`^\\| ${budget.expectedUngracefulMinutes} min \\|`));
  });

  it('pages from the other region after the probe minutes it states', () => {
    const [alarm] = resourcesOf(envName, `${envName}-monitoring-eu-west-1`, 'AWS::CloudWatch::Alarm').filter((a) => /-probe-us-east-1$/.test(a.Properties.AlarmName));
    expect(alarm.Properties.Period * alarm.Properties.EvaluationPeriods).toBe(budget.probeAlarmMinutes * 60);
  });
});

describe('the README', () => {
  it('is short: what it is, two commands, configuration, deploy, links', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(150);
    expect(readme).toContain('npm ci && npx cdk synth');
    expect(readme).toContain('npm test');
  });

  it('shows the error synth really prints for a bad setting', () => {
    const sample = /\$ npx cdk synth -c env=prod\n(.+)\n/.exec(readme)![1];
    expect(() => validateConfig('prod', { ...ENVIRONMENTS.prod, app: { ...ENVIRONMENTS.prod.app, minCapacity: 1, desiredCapacity: 3 } })).toThrow(sample);
  });

  it('keeps disaster recovery to a summary with the automatic-recovery figures, linking the runbook', () => {
    const section = readme.slice(readme.indexOf('## Disaster recovery'), readme.indexOf('\n## ', readme.indexOf('## Disaster recovery') + 1));
    expect(section).toContain('<!-- automatic-recovery:start -->');
    expect(section).toContain('](docs/disaster-recovery.md)');
    expect(section).toContain('](docs/credentials.md)');
    expect(section).not.toMatch(/`aws arc-region-switch/);
  });

  it('names no figure that a config change would leave stale', () => {
    for (const stale of [/\d+ Elastic IPs/, /\d+ vCPUs/, /\d+ × [a-z0-9]+\.[a-z0-9]+/]) expect(readme).not.toMatch(stale);
  });

  it('lists the type-check and lint commands', () => {
    expect(readme).toContain('| `npm run typecheck` |');
    expect(readme).toContain('| `npm run lint` |');
  });

  it('links only to files that exist', () => {
    for (const [, target] of readme.matchAll(/\]\((docs\/[^)#\s]+)/g)) expect(() => readFileSync(path.join(__dirname, '..', target))).not.toThrow();
  });
});

describe('the generated lists and figures', () => {
  it('fail on a tracked file without a layout line, and on a line for a file that is gone', () => {
    const entries = trackedLayoutEntries();
    expect(() => layoutList([...entries, 'scripts/new-tool.ts'])).toThrow('scripts/new-tool.ts has no line in LAYOUT (lib/docs/layout.ts): say what it is for');
    expect(() => layoutList(entries.filter((e) => e !== 'scripts/docs.ts'))).toThrow('scripts/docs.ts is in LAYOUT (lib/docs/layout.ts) but not in git: remove its line');
  });

  it('price every instance type the config runs at rest, from a dated file that names its sources', () => {
    const prices = listPrices();
    expect(prices.recorded).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const url of Object.values(prices.sources)) expect(url).toMatch(/^https:\/\/aws\.amazon\.com\//);
    expect(() => monthlyCostTable(prices)).not.toThrow();
  });

  it('count the acknowledgements of every environment, the credentials rotation\'s and the switch actions\' among them', () => {
    const table = embeddedTable(GENERATED_TABLES.find((t) => t.name === 'acknowledgements')!);
    for (const construct of ['CredentialsRotation', 'SwitchActions', 'PlanHealthChecks', 'PeerProbe', 'RegionSwitch']) expect(table).toMatch(new RegExp(`\`[^\`]*${construct}`));
  });

  it('leave a file alone when its tables are current', () => {
    expect(writeTable(GENERATED_TABLES.find((t) => t.name === 'failover-timings')!)).toBe(false);
  });
});

describe('the architecture diagram', () => {
  const root = path.join(__dirname, '..');
  const committed = (file: string) => readFileSync(path.join(root, file), 'utf8');
  synthesized(ARCHITECTURE_ENVIRONMENT);
  const dots = architectureDots(path.join(ASSEMBLY_ROOT, ARCHITECTURE_ENVIRONMENT));
  const drawn = (name: string) => dots.get(ARCHITECTURE_DIAGRAMS.find((d) => d.name === name)!)!;
  let rendered: string[];

  beforeAll(async () => {
    rendered = await renderSvgs(ARCHITECTURE_DIAGRAMS.map((d) => committed(d.dotFile)));
  });

  it.each(ARCHITECTURE_DIAGRAMS.map((d) => [d.dotFile, d] as const))('is current: %s is what `npm run diagram` draws from the app today', (_, diagram) => {
    expect(committed(diagram.dotFile)).toBe(dots.get(diagram));
  });

  it.each(ARCHITECTURE_DIAGRAMS.map((d, i) => [d.svgFile, i] as const))('is current: %s is its DOT as @viz-js/viz renders it', (_, index) => {
    expect(committed(ARCHITECTURE_DIAGRAMS[index].svgFile)).toBe(rendered[index]);
  });

  it.each(ARCHITECTURE_DIAGRAMS.map((d, i) => [d.svgFile, i] as const))('reads at the README width: every text of %s is 14 px or more shown 1000 px wide, in at most 25 boxes', (_, index) => {
    const svg = rendered[index];
    const [, width, viewBoxWidth] = /<svg width="([\d.]+)pt"[^>]*viewBox="[\d.-]+ [\d.-]+ ([\d.]+) [\d.]+"/.exec(svg)!.map(Number);
    const [, scale] = /transform="scale\(([\d.]+)/.exec(svg)!.map(Number);
    // An <img> is drawn at its declared width (pt: 4/3 px) or the page's width, whichever is less.
    const shown = Math.min(1000, (width * 4) / 3);
    const fontPx = [...svg.matchAll(/font-size="([\d.]+)"/g)].map(([, size]) => (Number(size) * scale * shown) / viewBoxWidth);
    expect(fontPx.length).toBeGreaterThan(0);
    expect(Math.min(...fontPx)).toBeGreaterThanOrEqual(14);
    expect(svg.match(/class="node"/g)!.length).toBeLessThanOrEqual(25);
  });

  it('names no account: an ARN gives the pictures its region only', () => {
    for (const dot of dots.values()) expect(dot).not.toMatch(/\d{12}/);
  });

  it('draws the request path, both regions and the failover that decides between them', () => {
    for (const edge of [
      'users -> dns',
      'dns -> alb_us_east_1 [label=" PRIMARY"',
      'dns -> alb_eu_west_1 [label=" SECONDARY"',
      'alb_us_east_1 -> asg_us_east_1',
      'check_us_east_1 -> alb_us_east_1',
      'plan -> check_eu_west_1',
      'trigger_0 -> plan',
    ]) {
      expect(drawn('traffic')).toContain(edge);
    }
    expect(drawn('traffic')).toMatch(/trigger: activates eu-west-1\\nwhen all of\\neu-west-1: probe-us-east-1-lost is red/);
  });

  it('draws the writer, its Multi-AZ replica, the secrets and their rotation, the backups and their copy, the runbook', () => {
    expect(drawn('data')).toMatch(/db_us_east_1 \[label="RDS PostgreSQL writer\\n[^"]*Multi-AZ/);
    expect(drawn('data')).toMatch(/db_eu_west_1 \[label="RDS PostgreSQL read replica\\n[^"]*Multi-AZ/);
    for (const edge of [
      'db_us_east_1 -> db_eu_west_1 [label=" replication"',
      'secret_us_east_1 -> secret_eu_west_1 [label=" rotation copies"',
      'vault_us_east_1 -> vault_eu_west_1 [label=" copy, kept',
      'runbook_eu_west_1 -> db_eu_west_1 [label=" promotes"',
    ]) {
      expect(drawn('data')).toContain(edge);
    }
    expect(drawn('data')).toContain('rotated every 30 days');
  });

  it('draws the pipeline in order: source, synth, diff, approval, the waves with their stacks, VerifyStandby', () => {
    const steps = [...drawn('deploy').matchAll(/label="\d+\. (\w+)/g)].map(([, name]) => name);
    expect(steps).toEqual(['Source', 'Synth', 'Diff', 'ReviewDiff', 'DeployStateful', 'DeployStandby', 'VerifyStandby', 'DeployPrimary', 'DeployGlobal']);
    expect(drawn('deploy')).toContain('6. DeployStandby\\nprod-app-eu-west-1\\nprod-monitoring-eu-west-1');
    expect(drawn('deploy')).toContain("stack policies 'before'");
    expect(drawn('deploy')).toContain("stack policies 'after'");
  });

  it('is shown in the README: the traffic picture, with links to the other two', () => {
    const [traffic, ...others] = ARCHITECTURE_DIAGRAMS;
    expect(readme).toMatch(new RegExp(`!\\[[^\\]]+\\]\\(${traffic.svgFile}\\)`));
    for (const diagram of others) expect(readme).toContain(`](${diagram.svgFile})`);
  });
});
