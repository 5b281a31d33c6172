import * as path from 'node:path';
import { ENVIRONMENT_NAMES, REGIONS } from '../lib/config';
import { ROLLING_UPDATE_BATCH, accountQuotaUse, formatQuotaUse, peakInstances, peakVcpus, vcpusOf } from '../lib/report/quotas';
import { formatReport, resilienceReport } from '../lib/report/resilience';
import { synthesized } from './support/assembly';
import { ASSEMBLY_ROOT, offlineConfig } from './support/synth';
import { vpcView } from './support/vpc';

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

  it('counts the paging alarms per region apart from the scaling ones, and names the topic they notify', () => {
    // The regional alarms, the replica lag in eu-west-1, the probe of the other region and the credentials rotation's.
    expect(region('us-east-1').alarms).toBe(11);
    // Where the plan activates eu-west-1 by itself, the two alarms whose agreement triggers it, one of them a
    // probe of us-east-1 that waits the configured minutes (test/auto-activation.test.ts).
    // lib/config/environments.ts: on in test and prod, off in dev.
    const triggered = envName !== 'dev';
    expect(region('eu-west-1').alarms).toBe(triggered ? 14 : 12);
    for (const r of report.regions) {
      expect(r.alarmTargets).toEqual([expect.stringMatching(/^AlertsTopic/)]);
      expect(r.scalingAlarms).toBe(2);
      expect(r.probes).toBe(1);
      expect(r.activationAlarms).toBe(triggered && r.region === 'eu-west-1' ? 2 : 0);
      expect(r.functionAlarms).toBe(1);
      expect(r.paging).toEqual({ datapoints: config.alarms.pagingDatapointsToAlarm, periods: config.alarms.pagingEvaluationPeriods, periodSeconds: config.alarms.periodSeconds });
    }
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
    const a = config.alarms;
    expect(text).toContain(`alarms: 9 paging when ${a.pagingDatapointsToAlarm} of ${a.pagingEvaluationPeriods} periods of ${a.periodSeconds} s breach, 1 probe of the other region, 1 on a failed run`);
    expect(text).toContain(`1 probe of the other region, 1 on a failed run of the app's functions, notifying`);
    if (envName !== 'dev') expect(text).toContain(`1 probe of the other region, 2 that activate this region when they agree, 1 on a failed run`);
    expect(text).toContain('2 scaling (notify nobody)');
  });
});

describe('the service quotas in the report', () => {
  const configs = ENVIRONMENT_NAMES.map(offlineConfig);

  it.each(ENVIRONMENT_NAMES)('count what the %s templates create in each region', (envName) => {
    const assembly = synthesized(envName);
    const config = offlineConfig(envName);
    for (const region of REGIONS) {
      const resources = assembly.stackNames
        .filter((stack) => assembly.stackEnvironment(stack).endsWith(`/${region}`))
        .flatMap((stack) => Object.values(assembly.template(stack).toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, any>; UpdatePolicy?: any }>));
      const count = (type: string) => resources.filter((r) => r.Type === type).length;
      // The only EC2 instances are the web tier's group: at most its MaxSize, or the in-service
      // instances plus one batch while a rolling update replaces them; each as large as its largest type.
      expect(count('AWS::EC2::Instance')).toBe(0);
      const [group] = resources.filter((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup');
      const rolling = group.UpdatePolicy.AutoScalingRollingUpdate;
      expect([Number(rolling.MinInstancesInService), Number(rolling.MaxBatchSize)]).toEqual([Number(group.Properties!.DesiredCapacity), ROLLING_UPDATE_BATCH]);
      const peak = Math.max(Number(group.Properties!.DesiredCapacity) + Number(rolling.MaxBatchSize), Number(group.Properties!.MaxSize));
      const types: string[] = group.Properties!.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o: { InstanceType: string }) => o.InstanceType);
      const vpc = vpcView(assembly.template(`${envName}-network-${region}`));
      const natAzs = vpc.natGateways.map((nat) => vpc.subnets.find((s) => s.id === nat.subnetId)!.availabilityZone);
      const natsPerAz = Math.max(...natAzs.map((az) => natAzs.filter((other) => other === az).length));
      const used = Object.fromEntries(accountQuotaUse([config], [region]).map((u) => [u.quota.code, u.used]));
      expect({ region, ...used }).toEqual({
        region,
        'L-0263D0A3': count('AWS::EC2::EIP'),
        'L-F678F1CE': count('AWS::EC2::VPC'),
        'L-A4707A72': count('AWS::EC2::InternetGateway'),
        'L-FE5A380F': natsPerAz,
        'L-53DA6B97': count('AWS::ElasticLoadBalancingV2::LoadBalancer'),
        'L-1216C47A': peak * Math.max(...types.map(vcpusOf)),
      });
    }
  });

  it('say which quotas to raise when dev, test and prod share one account: 9 Elastic IPs and 55 vCPUs per region', () => {
    const use = accountQuotaUse(configs, REGIONS);
    // vCPUs: dev 3 instances × 1 (c7g.medium, m7g.medium), test 4 × 1, prod 12 × 4 (c7g.xlarge).
    expect(use.filter((u) => u.exceedsDefault).map((u) => [u.region, u.quota.code, u.used])).toEqual([
      ['us-east-1', 'L-0263D0A3', 9],
      ['us-east-1', 'L-1216C47A', 55],
      ['eu-west-1', 'L-0263D0A3', 9],
      ['eu-west-1', 'L-1216C47A', 55],
    ]);
    const text = formatQuotaUse('111111111111', configs, use).join('\n');
    expect(text).toContain('--service-code ec2 --quota-code L-0263D0A3 --desired-value 9');
    expect(text).toContain('--service-code ec2 --quota-code L-1216C47A --desired-value 55');
    expect(text).toContain('us-east-1: EC2-VPC Elastic IPs 9/5');
    expect(text).toContain('Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances 55/5 vCPUs');
  });

  it('count prod at 12 instances of up to 4 vCPUs at its peak in each region: 48 vCPUs, above the default 5', () => {
    const prod = offlineConfig('prod');
    expect([peakInstances(prod), peakVcpus(prod)]).toEqual([12, 48]);
    expect(accountQuotaUse([prod], REGIONS).filter((u) => u.exceedsDefault).map((u) => [u.region, u.quota.code, u.used])).toEqual([
      ['us-east-1', 'L-1216C47A', 48],
      ['eu-west-1', 'L-1216C47A', 48],
    ]);
  });

  it.each(ENVIRONMENT_NAMES)('count %s at maxCapacity: a rolling update (desiredCapacity in service + one batch) stays within it', (envName) => {
    const config = offlineConfig(envName);
    expect(config.app.desiredCapacity + ROLLING_UPDATE_BATCH).toBeLessThanOrEqual(config.app.maxCapacity);
    expect(peakInstances(config)).toBe(config.app.maxCapacity);
  });

  it('refuse an instance type whose vCPUs they do not know, rather than count it as 0', () => {
    const prod = offlineConfig('prod');
    expect(() => accountQuotaUse([{ ...prod, app: { ...prod.app, instanceTypes: ['m7i.large', 'c7i.large'] } }], REGIONS)).toThrow(
      /^app\.instanceTypes: m7i\.large has no vCPU count in INSTANCE_VCPUS \(lib\/report\/quotas\.ts\); add it/,
    );
  });
});
