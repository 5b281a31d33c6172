/* eslint-disable @typescript-eslint/no-explicit-any -- it walks raw CloudFormation JSON, whose shape differs per resource type */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { failoverTimings } from '../config/dns';

type Resource = { Type: string; Properties?: Record<string, any> };
type Template = { Resources?: Record<string, Resource> };

/** One region's figures, read from its templates. */
export interface RegionReport {
  readonly region: string;
  readonly availabilityZones: string[];
  readonly natGateways: number;
  readonly autoScaling?: { min: number; desired?: number; max: number };
  readonly database?: { multiAz: boolean; replica: boolean; backupRetentionDays?: number };
  /** Seconds from sustained high CPU to the scale-out action: period × evaluation periods. */
  readonly scaleOutReactionSeconds?: number;
  /** Alarms of the region's stacks that notify people, and the SNS topics (logical references) they notify. */
  readonly alarms: number;
  readonly alarmTargets: string[];
  /** When those alarms page: M breaching periods out of N, if they all agree. */
  readonly paging?: { datapoints: number; periods: number; periodSeconds: number };
  /** Alarms that drive Auto Scaling and notify nobody. */
  readonly scalingAlarms: number;
  /** Of the paging alarms, the Synthetics probes of the other region's health. */
  readonly probes: number;
  /** Of the paging alarms, those whose agreement makes the Region switch plan activate this region by itself. */
  readonly activationAlarms: number;
  /** Of the paging alarms, those on failed runs of the app's own functions (the credentials rotation). */
  readonly functionAlarms: number;
}

/** What an environment's synthesized templates say about its resilience. */
export interface ResilienceReport {
  readonly environment: string;
  readonly regions: RegionReport[];
  readonly failover?: { detectionSeconds: number; cutoverSeconds: number; healthCheckAlarms: number };
  /** Per validation plugin: findings open and acknowledged. */
  readonly findings: Array<{ plugin: string; open: number; acknowledged: number }>;
}

const resourcesOf = (templates: Template[], type: string) => templates.flatMap((t) => Object.entries(t.Resources ?? {})).filter(([, r]) => r.Type === type);

/** The alarm names the Region switch plan's triggers wait for (`AWS::ARCRegionSwitch::Plan` Triggers). */
function triggerAlarmNames(templates: Template[]): Set<string> {
  return new Set(
    resourcesOf(templates, 'AWS::ARCRegionSwitch::Plan').flatMap(([, plan]) =>
      (plan.Properties?.Triggers ?? []).flatMap((trigger: any) => (trigger.Conditions ?? []).map((c: any) => c.AssociatedAlarmName as string)),
    ),
  );
}

function regionReport(region: string, templates: Template[], triggerAlarms: Set<string>): RegionReport {
  const subnets = resourcesOf(templates, 'AWS::EC2::Subnet').map(([, r]) => r.Properties?.AvailabilityZone as string);
  const [asg] = resourcesOf(templates, 'AWS::AutoScaling::AutoScalingGroup').map(([, r]) => r.Properties ?? {});
  const [db] = resourcesOf(templates, 'AWS::RDS::DBInstance').map(([, r]) => r.Properties ?? {});
  const policies = Object.fromEntries(resourcesOf(templates, 'AWS::AutoScaling::ScalingPolicy'));
  const alarms = resourcesOf(templates, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties ?? {});
  const scaleOut = alarms.find((a) =>
    (a.AlarmActions ?? []).some((action: any) =>
      (policies[action?.Ref]?.Properties?.StepAdjustments ?? []).some((step: any) => step.ScalingAdjustment > 0),
    ),
  );
  const notifying = alarms.filter((a) => !(a.AlarmActions ?? []).some((action: any) => policies[action?.Ref]));
  // The trigger's alarms wait the minutes the config gives them; the probes of the other region count
  // their own consecutive failures, like Route 53's health checks. Neither shares the paging window.
  const activation = notifying.filter((a) => triggerAlarms.has(a.AlarmName));
  const probes = notifying.filter((a) => a.Namespace === 'CloudWatchSynthetics' && !activation.includes(a));
  // A failed function run pages at once, in whatever period it falls.
  const functions = notifying.filter((a) => a.Namespace === 'AWS/Lambda');
  const windows = new Set(notifying.filter((a) => !probes.includes(a) && !activation.includes(a) && !functions.includes(a)).map((a) => JSON.stringify([a.DatapointsToAlarm ?? a.EvaluationPeriods, a.EvaluationPeriods, a.Period ?? a.Metrics?.find((m: any) => m.MetricStat)?.MetricStat.Period])));
  const [paging] = windows.size === 1 ? [...windows].map((w) => JSON.parse(w) as number[]) : [];
  const targets = new Set(notifying.flatMap((a) => [...(a.AlarmActions ?? []), ...(a.OKActions ?? [])]).map((t: unknown) => JSON.stringify(t)));
  return {
    region,
    availabilityZones: [...new Set(subnets)].sort(),
    natGateways: resourcesOf(templates, 'AWS::EC2::NatGateway').length,
    autoScaling: asg && { min: Number(asg.MinSize), desired: asg.DesiredCapacity === undefined ? undefined : Number(asg.DesiredCapacity), max: Number(asg.MaxSize) },
    database: db && { multiAz: db.MultiAZ === true, replica: db.SourceDBInstanceIdentifier !== undefined, backupRetentionDays: db.BackupRetentionPeriod },
    scaleOutReactionSeconds: scaleOut && scaleOut.Period * scaleOut.EvaluationPeriods,
    alarms: notifying.length,
    alarmTargets: [...targets].map(describeTarget).sort(),
    paging: paging && { datapoints: paging[0], periods: paging[1], periodSeconds: paging[2] },
    scalingAlarms: alarms.length - notifying.length,
    probes: probes.length,
    activationAlarms: activation.length,
    functionAlarms: functions.length,
  };
}

/** An alarm action as a person reads it: the topic's stack and logical id. */
function describeTarget(json: string): string {
  const target = JSON.parse(json);
  if (typeof target === 'string') return target;
  if (target.Ref) return target.Ref;
  const output = target['Fn::GetStackOutput'];
  return output ? `${output.StackName}:${output.OutputName}` : json;
}

/** Builds the report from a cloud assembly directory (manifest, templates, validation report). */
export function resilienceReport(assemblyDir: string): ResilienceReport {
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const template = (file: string): Template => JSON.parse(readFileSync(path.join(assemblyDir, file), 'utf8'));
  const byRegion = new Map<string, Template[]>();
  const global: Template[] = [];
  const environment = stacks[0]?.[0].split('-')[0] ?? 'unknown';
  let failover: ResilienceReport['failover'];
  for (const [name, artifact] of stacks) {
    const t = template(artifact.properties?.templateFile ?? `${name}.template.json`);
    if (name.endsWith('-global')) {
      global.push(t);
      // The HTTPS checks time detection; the CALCULATED checks over them and the Region switch plan's add none.
      const [check] = resourcesOf([t], 'AWS::Route53::HealthCheck')
        .map(([, r]) => r.Properties?.HealthCheckConfig)
        .filter((c) => c?.Type !== 'CALCULATED');
      if (check) {
        const healthCheckAlarms = resourcesOf([t], 'AWS::CloudWatch::Alarm').length;
        failover = { ...failoverTimings(check.RequestInterval, check.FailureThreshold), healthCheckAlarms };
      }
      continue;
    }
    const region = artifact.environment?.split('/').pop() ?? 'unknown';
    byRegion.set(region, [...(byRegion.get(region) ?? []), t]);
  }
  const reportFile = readdirSync(assemblyDir).includes('validation-report.json')
    ? (JSON.parse(readFileSync(path.join(assemblyDir, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ pluginName: string; violations: unknown[]; suppressedViolations?: unknown[] }>;
      })
    : { pluginReports: [] };
  return {
    environment,
    regions: [...byRegion.entries()].map(([region, templates]) => regionReport(region, templates, triggerAlarmNames(global))),
    failover,
    findings: reportFile.pluginReports.map((r) => ({ plugin: r.pluginName, open: r.violations.length, acknowledged: r.suppressedViolations?.length ?? 0 })),
  };
}

/** The report as text for a terminal. */
export function formatReport(report: ResilienceReport): string {
  const lines = [`Resilience report: ${report.environment}`];
  for (const r of report.regions) {
    lines.push(`\n${r.region}`);
    lines.push(`  AZs: ${r.availabilityZones.join(', ')} (${r.availabilityZones.length})`);
    lines.push(`  NAT gateways: ${r.natGateways}`);
    if (r.autoScaling) lines.push(`  Auto Scaling min/desired/max: ${r.autoScaling.min}/${r.autoScaling.desired ?? '-'}/${r.autoScaling.max}`);
    if (r.scaleOutReactionSeconds !== undefined) lines.push(`  scale-out reaction: ${r.scaleOutReactionSeconds} s (period x evaluation periods)`);
    if (r.database) {
      lines.push(`  database: ${r.database.replica ? 'cross-region read replica' : 'primary'}, Multi-AZ ${r.database.multiAz ? 'yes' : 'no'}, backup retention ${r.database.backupRetentionDays ?? 'none (replica)'}${r.database.backupRetentionDays ? ' days' : ''}`);
    }
    const when = r.paging ? ` when ${r.paging.datapoints} of ${r.paging.periods} periods of ${r.paging.periodSeconds} s breach` : '';
    const kinds = [
      `${r.alarms - r.probes - r.activationAlarms - r.functionAlarms} paging${when}`,
      `${r.probes} probe of the other region`,
      ...(r.activationAlarms ? [`${r.activationAlarms} that activate this region when they agree`] : []),
      ...(r.functionAlarms ? [`${r.functionAlarms} on a failed run of the app's functions`] : []),
    ];
    lines.push(`  alarms: ${kinds.join(', ')}, notifying ${r.alarmTargets.join(', ') || 'nothing'}; ${r.scalingAlarms} scaling (notify nobody)`);
  }
  if (report.failover) {
    const f = report.failover;
    lines.push(`\nfailover: detection ${f.detectionSeconds} s, cutover <= ${f.cutoverSeconds} s, ${f.healthCheckAlarms} health-check alarms in us-east-1`);
  }
  lines.push('\nfindings (open / acknowledged):');
  for (const f of report.findings) lines.push(`  ${f.plugin}: ${f.open} / ${f.acknowledged}`);
  if (report.findings.length === 0) lines.push('  none reported');
  return lines.join('\n');
}
