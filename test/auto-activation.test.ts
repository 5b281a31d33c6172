import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { ENVIRONMENTS, FOUNDING_REGION, loadConfig, peerOf, withRegionRoles, type EnvironmentConfig } from '../lib/config';
import { AUTO_ACTIVATION_MIN_MINUTES_BETWEEN } from '../lib/constructs/region-switch';
import { automaticRecovery } from '../lib/docs/recovery-budget';
import { synthesized } from './support/assembly';
import { offlineConfig, synthEnvironment } from './support/synth';

/**
 * Issue #21: a lost us-east-1 moves traffic by itself, never back. The Region switch plan's trigger is
 * read from the synthesized templates of each region-role state (as created, `-c roles=switched`,
 * `-c roles=switched-back`: scripts/switched-app.ts) and of each configured environment.
 */

type Resource = { Type: string; Properties: Record<string, any> };
type Templates = Record<string, { Resources: Record<string, Resource> }>;

function templatesOf(assembly: CloudAssembly): Templates {
  return Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName, stack.template as Templates[string]]));
}

const synth = (config: EnvironmentConfig): Templates => templatesOf(synthEnvironment(config, undefined, { rulePacks: false, includePipeline: false }));
const fromGlobalSetup = (envName: string): Templates =>
  Object.fromEntries(synthesized(envName).stackNames.map((stack) => [stack, synthesized(envName).template(stack).toJSON() as Templates[string]]));

const ofType = (template: Templates[string], type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
const planOf = (t: Templates, env: string) => {
  const plans = ofType(t[`${env}-dns-global`], 'AWS::ARCRegionSwitch::Plan');
  expect(plans).toHaveLength(1);
  return plans[0].Properties;
};
/** Every step of a workflow, parallel blocks flattened. */
const stepsOf = (steps: any[]): any[] => steps.flatMap((s) => (s.ExecutionBlockType === 'Parallel' ? stepsOf(s.ExecutionBlockConfiguration.ParallelConfig.Steps) : [s]));
const workflowOf = (plan: any, region: string) => plan.Workflows.find((w: any) => w.WorkflowTargetAction === 'activate' && w.WorkflowTargetRegion === region);
const approves = (plan: any, region: string) => stepsOf(workflowOf(plan, region).Steps).some((s) => s.ExecutionBlockType === 'ManualApproval');
/** The region and name an alarm ARN names. */
const parseAlarmArn = (arn: string) => {
  const match = /^arn:aws:cloudwatch:([a-z0-9-]+):\d{12}:alarm:(.+)$/.exec(arn);
  if (!match) throw new Error(`not an alarm ARN: ${arn}`);
  return { region: match[1], name: match[2] };
};
const alarmNamesIn = (t: Templates, stack: string) => (t[stack] ? ofType(t[stack], 'AWS::CloudWatch::Alarm').map((a) => a.Properties.AlarmName) : []);

const standby = peerOf(FOUNDING_REGION);
const founded = offlineConfig('prod');
const STATES = {
  'as created': founded,
  switched: withRegionRoles(founded, standby, { [FOUNDING_REGION]: 1 }),
  'switched back': withRegionRoles(founded, FOUNDING_REGION, { [FOUNDING_REGION]: 1, [standby]: 1 }),
} as const;
const prod = Object.fromEntries(Object.entries(STATES).map(([state, config]) => [state, synth(config)])) as Record<keyof typeof STATES, Templates>;

describe('prod: the trigger in each region-role state', () => {
  it.each(Object.keys(STATES))('%s: no trigger ever activates us-east-1', (state) => {
    const plan = planOf(prod[state as keyof typeof STATES], 'prod');
    for (const trigger of plan.Triggers ?? []) {
      expect(trigger).toMatchObject({ Action: 'activate', TargetRegion: standby });
      expect(trigger.TargetRegion).not.toBe(FOUNDING_REGION);
    }
  });

  it.each(['as created', 'switched back'] as const)('%s (us-east-1 holds the writer): one trigger activates eu-west-1, at most once a day', (state) => {
    expect(planOf(prod[state], 'prod').Triggers).toEqual([
      expect.objectContaining({ Action: 'activate', TargetRegion: standby, MinDelayMinutesBetweenExecutions: AUTO_ACTIVATION_MIN_MINUTES_BETWEEN }),
    ]);
  });

  it('switched (eu-west-1 holds the writer): no trigger, since its loss would need us-east-1 activated', () => {
    const plan = planOf(prod.switched, 'prod');
    expect(plan.Triggers).toBeUndefined();
    expect(Object.values(plan.AssociatedAlarms ?? {}).filter((a: any) => a.AlarmType === 'trigger')).toEqual([]);
    expect(alarmNamesIn(prod.switched, `prod-monitoring-${standby}`).filter((n) => /lost|replication-stopped/.test(n))).toEqual([]);
  });

  it.each(Object.keys(STATES))('%s: the triggered workflow waits on no one, while fail-back to us-east-1 keeps its approval', (state) => {
    const plan = planOf(prod[state as keyof typeof STATES], 'prod');
    for (const trigger of plan.Triggers ?? []) expect(approves(plan, trigger.TargetRegion)).toBe(false);
    expect(approves(plan, FOUNDING_REGION)).toBe(true);
  });

  it.each(Object.keys(STATES))("%s: each condition names an associated trigger alarm that the standby's template holds, in the standby", (state) => {
    const t = prod[state as keyof typeof STATES];
    const plan = planOf(t, 'prod');
    for (const trigger of plan.Triggers ?? []) {
      expect(trigger.Conditions.length).toBeGreaterThanOrEqual(2);
      for (const condition of trigger.Conditions) {
        expect(condition.Condition).toBe('red');
        const associated = plan.AssociatedAlarms[condition.AssociatedAlarmName];
        expect(associated).toMatchObject({ AlarmType: 'trigger' });
        const { region, name } = parseAlarmArn(associated.ResourceIdentifier);
        expect(name).toBe(condition.AssociatedAlarmName);
        // Read where the outage is not: in the region the trigger activates.
        expect(region).toBe(trigger.TargetRegion);
        expect(alarmNamesIn(t, `prod-monitoring-${region}`)).toContain(name);
      }
    }
  });

  it.each(Object.keys(STATES))('%s: each application health alarm exists in the template of the region it describes', (state) => {
    const t = prod[state as keyof typeof STATES];
    const health = Object.values(planOf(t, 'prod').AssociatedAlarms).filter((a: any) => a.AlarmType === 'applicationHealth') as Array<{ ResourceIdentifier: string }>;
    expect(health.map((a) => parseAlarmArn(a.ResourceIdentifier).region).sort()).toEqual([FOUNDING_REGION, standby].sort());
    for (const alarm of health) {
      const { region, name } = parseAlarmArn(alarm.ResourceIdentifier);
      expect(name.startsWith(`prod-monitoring-${region}-`)).toBe(true);
      expect(alarmNamesIn(t, `prod-monitoring-${region}`)).toContain(name);
    }
  });

  it.each(Object.keys(STATES))('%s: the execution role may read exactly the associated alarms', (state) => {
    const t = prod[state as keyof typeof STATES];
    const plan = planOf(t, 'prod');
    const arns = Object.values(plan.AssociatedAlarms).map((a: any) => a.ResourceIdentifier).sort();
    const statements = ofType(t['prod-dns-global'], 'AWS::IAM::ManagedPolicy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((s: any) => [s.Action].flat().includes('cloudwatch:DescribeAlarms'));
    expect(reads).toHaveLength(1);
    expect([...reads[0].Action].sort()).toEqual(['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms']);
    expect([reads[0].Resource].flat().sort()).toEqual(arns);
  });
});

describe('the trigger alarms measure N minutes from config', () => {
  it('prod: both say "lost for 5 min" (the default)', () => {
    const alarms = ofType(prod['as created'][`prod-monitoring-${standby}`], 'AWS::CloudWatch::Alarm').map((a) => a.Properties);
    const lost = alarms.find((a) => a.AlarmName === `prod-monitoring-${standby}-probe-${FOUNDING_REGION}-lost`)!;
    expect(lost).toMatchObject({ EvaluationPeriods: 5, DatapointsToAlarm: 5, Period: 60, Threshold: 100, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'notBreaching' });
    const replication = alarms.find((a) => a.AlarmName === `prod-monitoring-${standby}-replication-stopped`)!;
    expect(replication).toMatchObject({ EvaluationPeriods: 1, Threshold: 1, TreatMissingData: 'notBreaching' });
    expect(replication.Metrics[0].Expression).toBe('IF(lag < 0 OR lag >= 300, 1, 0)');
    for (const alarm of [lost, replication]) expect(alarm.AlarmActions).toHaveLength(1);
  });
});

describe('per environment', () => {
  it('prod turns automatic activation on by default: its settings do not name it', () => {
    expect(ENVIRONMENTS.prod.dns.regionSwitch).not.toHaveProperty('autoActivation');
    expect(loadConfig('prod').dns.regionSwitch.autoActivation).toEqual({ afterMinutes: 5 });
  });

  it('dev turns it off: no trigger, no trigger alarms, both workflows as configured (dev has no approval)', () => {
    const t = fromGlobalSetup('dev');
    const plan = planOf(t, 'dev');
    expect(plan.Triggers).toBeUndefined();
    expect(Object.values(plan.AssociatedAlarms).map((a: any) => a.AlarmType)).toEqual(['applicationHealth', 'applicationHealth']);
    expect(alarmNamesIn(t, `dev-monitoring-${standby}`).filter((n) => /lost|replication-stopped/.test(n))).toEqual([]);
  });

  it('test turns it on after 10 min: the trigger activates eu-west-1 without the approval its fail-back keeps', () => {
    const t = fromGlobalSetup('test');
    const plan = planOf(t, 'test');
    expect(plan.Triggers).toEqual([expect.objectContaining({ Action: 'activate', TargetRegion: standby })]);
    expect(approves(plan, standby)).toBe(false);
    expect(approves(plan, FOUNDING_REGION)).toBe(true);
    const lost = ofType(t[`test-monitoring-${standby}`], 'AWS::CloudWatch::Alarm').find((a) => a.Properties.AlarmName === `test-monitoring-${standby}-probe-${FOUNDING_REGION}-lost`)!;
    expect(lost.Properties).toMatchObject({ EvaluationPeriods: 10, DatapointsToAlarm: 10 });
  });

  it('turned off in prod, the trigger, its alarms and its read permission go, and the standby workflow approves again', () => {
    const off = synth({ ...founded, dns: { ...founded.dns, regionSwitch: { ...founded.dns.regionSwitch, autoActivation: false } } });
    const plan = planOf(off, 'prod');
    expect(plan.Triggers).toBeUndefined();
    expect(Object.values(plan.AssociatedAlarms).every((a: any) => a.AlarmType === 'applicationHealth')).toBe(true);
    expect(approves(plan, standby)).toBe(true);
    expect(alarmNamesIn(off, `prod-monitoring-${standby}`).filter((n) => /lost|replication-stopped/.test(n))).toEqual([]);
  });

  it('the recovery budget has an automatic path exactly where a trigger exists', () => {
    expect(automaticRecovery(loadConfig('dev'))).toBeUndefined();
    for (const envName of ['test', 'prod']) {
      const auto = automaticRecovery(loadConfig(envName))!;
      expect(auto.detectionMinutes).toBeGreaterThan(auto.afterMinutes);
      expect(auto.writesMinutes).toBeLessThan(auto.trafficMinutes);
      expect(auto.trafficMinutes).toBeLessThanOrEqual(loadConfig(envName).dns.regionSwitch.recoveryTimeObjectiveMinutes);
    }
  });
});
