import * as path from 'node:path';
import { formatReport, resilienceReport } from '../lib/report/resilience';
import { ASSEMBLY_ROOT, offlineConfig } from './support/synth';

describe.each(['dev', 'prod'] as const)('the %s resilience report', (envName) => {
  const config = offlineConfig(envName);
  const report = resilienceReport(path.join(ASSEMBLY_ROOT, envName));
  const region = (name: string) => report.regions.find((r) => r.region === name)!;

  it('covers both regions with their 3 AZs and one NAT gateway per AZ', () => {
    expect(report.regions.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
    for (const r of report.regions) {
      expect(r.availabilityZones).toEqual(config.regions[r.region as 'us-east-1'].availabilityZones);
      expect(r.natGateways).toBe(3);
    }
  });

  it('reads the Auto Scaling sizes and the scale-out reaction time from the templates', () => {
    for (const r of report.regions) {
      expect(r.autoScaling).toEqual({ min: config.app.minCapacity, desired: config.app.desiredCapacity, max: config.app.maxCapacity });
      expect(r.scaleOutReactionSeconds).toBe(config.alarms.periodSeconds * config.alarms.evaluationPeriods);
    }
  });

  it('tells the primary from the replica and reads Multi-AZ and backup retention', () => {
    expect(region('us-east-1').database).toEqual({ multiAz: config.database.multiAz, replica: false, backupRetentionDays: config.database.backupRetentionDays });
    expect(region('eu-west-1').database).toEqual({ multiAz: config.database.multiAz, replica: true, backupRetentionDays: undefined });
  });

  it('counts the alarms per region and names the topic they notify', () => {
    expect(region('us-east-1').alarms).toBe(9);
    expect(region('eu-west-1').alarms).toBe(10);
    for (const r of report.regions) expect(r.alarmTargets).toEqual([expect.stringMatching(/^AlertsTopic/)]);
  });

  it('states the failover figures of the health checks', () => {
    const detection = config.dns.healthCheckIntervalSeconds * config.dns.healthCheckFailureThreshold;
    expect(report.failover).toEqual({ detectionSeconds: detection, cutoverSeconds: detection + 60, healthCheckAlarms: 2 });
  });

  it('reports no open findings and the acknowledged ones per plugin', () => {
    expect(report.findings.length).toBeGreaterThan(0);
    for (const f of report.findings) expect(f.open).toBe(0);
    expect(report.findings.find((f) => f.plugin === 'AwsSolutions')?.acknowledged).toBeGreaterThan(0);
  });

  it('prints every figure', () => {
    const text = formatReport(report);
    expect(text).toContain(`Resilience report: ${envName}`);
    expect(text).toContain(`Auto Scaling min/desired/max: ${config.app.minCapacity}/${config.app.desiredCapacity}/${config.app.maxCapacity}`);
    expect(text).toContain(`failover: detection ${report.failover!.detectionSeconds} s`);
  });
});
