import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { ENVIRONMENTS, validateConfig, withRegionRoles, type RegionName } from '../lib/config';
import { findUnsafeChanges, formatChange, type CloudFormationTemplate } from '../lib/review/change-safety';
import { NO_WRITER } from '../lib/constructs/writer-endpoint';
import { deployWaves } from '../lib/stacks/pipeline-stack';
import { offlineConfig, synthEnvironment } from './support/synth';

/**
 * Region roles are configuration: `primaryRegion` says which region holds the writer, and
 * `database.generations` which instance each region has. The three states of one environment's
 * life are synthesized here:
 *   A  as created: the writer in us-east-1, its replica in eu-west-1;
 *   B  after a switch to eu-west-1: the promoted replica is the writer, us-east-1 is rebuilt as
 *      a replica of it (generation 1) beside the old writer, which leaves the template;
 *   C  after switching back: us-east-1's generation-1 replica is the writer, eu-west-1 is rebuilt.
 * Each step must keep every instance that stays in the template exactly as CloudFormation has
 * it (no replacement, no change to SourceDBInstanceIdentifier), and move the writer parameter,
 * the backup plan, the runbook and the replica-lag alarm with the writer, and leave the DNS records
 * and the Region switch plan's create-only properties alone (the plan decides which region is active).
 */

type Templates = Record<string, CloudFormationTemplate>;
type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };

function templates(assembly: CloudAssembly): Templates {
  return Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName, stack.template as CloudFormationTemplate]));
}

function resources(template: CloudFormationTemplate, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

function only(template: CloudFormationTemplate, type: string): [string, Resource] {
  const found = resources(template, type);
  expect(found).toHaveLength(1);
  return found[0];
}

const arn = (region: string, account: string, identifier: string) => `arn:aws:rds:${region}:${account}:db:${identifier}`;

for (const envName of ['dev', 'prod']) {
  describe(`${envName}: swapping the region roles in config`, () => {
    const a = offlineConfig(envName);
    const b = withRegionRoles(a, 'eu-west-1', { 'us-east-1': 1 });
    const c = withRegionRoles(a, 'us-east-1', { 'us-east-1': 1, 'eu-west-1': 1 });
    const [A, B, C] = [a, b, c].map((config) => templates(synthEnvironment(config, undefined, { rulePacks: false, includePipeline: false })));
    const name = (service: string, region: string) => `${envName}-${service}-${region}`;
    const data = (t: Templates, region: RegionName) => t[name('data', region)];

    it('A: us-east-1 holds the writer it was created with, eu-west-1 its replica, named by ARN', () => {
      const [, writer] = only(data(A, 'us-east-1'), 'AWS::RDS::DBInstance');
      expect(writer.Properties).toMatchObject({ DBInstanceIdentifier: `${envName}-data-us-east-1`, MasterUsername: expect.anything() });
      const [, replica] = only(data(A, 'eu-west-1'), 'AWS::RDS::DBInstance');
      expect(replica.Properties).toMatchObject({ SourceDBInstanceIdentifier: arn('us-east-1', a.account, `${envName}-data-us-east-1`), SourceRegion: 'us-east-1' });
    });

    it('B: the promoted replica keeps its logical ID and every property CloudFormation would replace it for', () => {
      const [idA, before] = only(data(A, 'eu-west-1'), 'AWS::RDS::DBInstance');
      const [idB, after] = only(data(B, 'eu-west-1'), 'AWS::RDS::DBInstance');
      expect(idB).toBe(idA);
      for (const property of ['DBInstanceIdentifier', 'SourceDBInstanceIdentifier', 'KmsKeyId', 'DBSubnetGroupName', 'StorageEncrypted', 'MasterUsername', 'Engine']) {
        expect([property, after.Properties?.[property]]).toEqual([property, before.Properties?.[property]]);
      }
      // What a writer needs and a replica had not: the writer's class and automated backups.
      expect(after.Properties).toMatchObject({ DBInstanceClass: a.database.instanceType, BackupRetentionPeriod: a.database.backupRetentionDays });
    });

    it('B: us-east-1 is rebuilt as generation 1, a replica of the promoted eu-west-1 writer', () => {
      const [id, replica] = only(data(B, 'us-east-1'), 'AWS::RDS::DBInstance');
      expect(id).toMatch(/^Generation1/);
      expect(replica.Properties).toMatchObject({
        DBInstanceIdentifier: `${envName}-data-us-east-1-g1`,
        SourceDBInstanceIdentifier: arn('eu-west-1', a.account, `${envName}-data-eu-west-1`),
        SourceRegion: 'eu-west-1',
        DBInstanceClass: a.database.replicaInstanceType,
      });
      expect(replica.Properties?.MasterUsername).toBeUndefined();
    });

    it('C: switching back keeps us-east-1 generation 1 and rebuilds eu-west-1 as generation 1', () => {
      const [idB, before] = only(data(B, 'us-east-1'), 'AWS::RDS::DBInstance');
      const [idC, after] = only(data(C, 'us-east-1'), 'AWS::RDS::DBInstance');
      expect(idC).toBe(idB);
      expect(after.Properties?.SourceDBInstanceIdentifier).toEqual(before.Properties?.SourceDBInstanceIdentifier);
      const [, replica] = only(data(C, 'eu-west-1'), 'AWS::RDS::DBInstance');
      expect(replica.Properties).toMatchObject({
        DBInstanceIdentifier: `${envName}-data-eu-west-1-g1`,
        SourceDBInstanceIdentifier: arn('us-east-1', a.account, `${envName}-data-us-east-1-g1`),
      });
    });

    it('each step replaces nothing that holds state; it only lets the old writer go, retained where state is protected', () => {
      for (const [from, to] of [
        [A, B],
        [B, C],
      ]) {
        const unsafe = findUnsafeChanges(from, to).filter((change) => change.kind === 'replace' || change.kind === 'remove');
        // The promoted writer gains automated backups. The spec calls BackupRetentionPeriod a
        // conditional replacement; CloudFormation's AWS::RDS::DBInstance reference says "Update
        // requires: Some interruptions" (a reboot when it changes from or to 0), never replacement.
        const replaced = unsafe.filter((change) => change.kind === 'replace' && !/^may be replaced \(BackupRetentionPeriod changes\)/.test(change.detail));
        expect(replaced.map(formatChange)).toEqual([]);
        const removed = unsafe.filter((change) => change.kind === 'remove');
        // Only what belonged to the old writer leaves: its instance and log groups and, kept with it
        // where state is protected, what it runs with (security group, parameter group, subnet
        // group, Enhanced Monitoring role): a kept instance keeps running, fenced.
        const kept = a.protectStatefulResources ? ['AWS::EC2::SecurityGroup', 'AWS::RDS::DBParameterGroup', 'AWS::RDS::DBSubnetGroup', 'AWS::IAM::Role'] : [];
        expect(new Set(removed.map((change) => change.resourceType))).toEqual(new Set(['AWS::RDS::DBInstance', 'AWS::Logs::LogGroup', ...kept]));
        const supportOf = (change: { logicalId: string }) => /Support(SecurityGroup|Parameters|MonitoringRole)|InstanceSubnetGroup/.test(change.logicalId);
        for (const type of kept) expect(removed.filter((change) => change.resourceType === type).every(supportOf)).toBe(true);
        for (const change of removed) {
          const old = from[change.stack].Resources?.[change.logicalId] as Resource;
          if (a.protectStatefulResources) expect([change.logicalId, old.DeletionPolicy]).toEqual([change.logicalId, expect.stringMatching(/^Retain/)]);
          else expect([change.logicalId, old.DeletionPolicy]).toEqual([change.logicalId, expect.stringMatching(/^(Snapshot|Delete)$/)]);
        }
      }
    });

    it('the key, the credentials and the backup vault of each region keep their logical IDs through both switches', () => {
      for (const region of ['us-east-1', 'eu-west-1'] as const) {
        for (const type of ['AWS::KMS::Key', 'AWS::Backup::BackupVault', 'AWS::SecretsManager::Secret']) {
          const ids = (t: Templates) => resources(data(t, region), type).map(([id]) => id);
          expect(ids(B)).toEqual(ids(A));
          expect(ids(C)).toEqual(ids(A));
        }
      }
      expect(resources(data(B, 'us-east-1'), 'AWS::SecretsManager::Secret')).toHaveLength(1);
    });

    it("moves the writer parameter, the daily backup, the runbook and the replica-lag alarm with the writer", () => {
      const parameter = (t: Templates, region: RegionName) => only(data(t, region), 'AWS::SSM::Parameter')[1].Properties?.Value;
      const plans = (t: Templates, region: RegionName) => resources(data(t, region), 'AWS::Backup::BackupPlan');
      const runbooks = (t: Templates, region: RegionName) => resources(data(t, region), 'AWS::SSM::Document');
      const lagAlarms = (t: Templates, region: RegionName) =>
        resources(t[name('monitoring', region)], 'AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties?.MetricName === 'ReplicaLag');
      for (const [t, writer, replica] of [
        [A, 'us-east-1', 'eu-west-1'],
        [B, 'eu-west-1', 'us-east-1'],
        [C, 'us-east-1', 'eu-west-1'],
      ] as const) {
        expect(parameter(t, writer)).toEqual({ 'Fn::GetAtt': [only(data(t, writer), 'AWS::RDS::DBInstance')[0], 'Endpoint.Address'] });
        expect(parameter(t, replica)).toBe(NO_WRITER);
        expect(plans(t, writer)).toHaveLength(1);
        expect(plans(t, replica)).toHaveLength(0);
        expect(runbooks(t, writer)).toHaveLength(0);
        expect(runbooks(t, replica)).toHaveLength(1);
        expect(lagAlarms(t, writer)).toHaveLength(0);
        expect(lagAlarms(t, replica)).toHaveLength(1);
      }
      // B's plan copies to us-east-1's vault, which was created with the environment.
      const [, plan] = plans(B, 'eu-west-1')[0];
      expect(JSON.stringify(plan.Properties)).toContain(`backup-vault:${envName}-data-us-east-1-vault`);
    });

    it("keeps the Region switch plan's create-only properties through both switches, so the named plan is never replaced", () => {
      // AWS::ARCRegionSwitch::Plan registry schema: createOnlyProperties Name, PrimaryRegion, RecoveryApproach, Regions.
      const createOnly = (t: Templates) => {
        const [id, plan] = only(t[name('dns', 'global')], 'AWS::ARCRegionSwitch::Plan');
        const { Name, PrimaryRegion, RecoveryApproach, Regions } = plan.Properties ?? {};
        return { id, Name, PrimaryRegion, RecoveryApproach, Regions };
      };
      expect(createOnly(B)).toEqual(createOnly(A));
      expect(createOnly(C)).toEqual(createOnly(A));
    });

    it('leaves the failover records and their health checks as they were: the plan, not config, decides which region is active', () => {
      const routing = (t: Templates) =>
        Object.fromEntries(
          Object.entries(t[name('dns', 'global')].Resources as Record<string, Resource>)
            .filter(([, r]) => r.Type === 'AWS::Route53::RecordSet' || r.Type === 'AWS::Route53::HealthCheck')
            .map(([id, r]) => [id, r.Properties]),
        );
      expect(Object.keys(routing(A)).length).toBeGreaterThanOrEqual(6);
      expect(routing(B)).toEqual(routing(A));
      expect(routing(C)).toEqual(routing(A));
    });

    it('fences, in each region and state, every instance the region has had: the kept old writer too, not only the current one', () => {
      const fenced = (t: Templates, region: RegionName) => {
        const fence = resources(data(t, region), 'AWS::Lambda::Function').find(([, fn]) => fn.Properties?.FunctionName === `${name('data', region)}-switch-fence`)!;
        return ((fence[1].Properties?.Environment as { Variables: Record<string, string> }).Variables.DB_INSTANCE_IDS ?? '').split(',');
      };
      expect([fenced(A, 'us-east-1'), fenced(A, 'eu-west-1')]).toEqual([[name('data', 'us-east-1')], [name('data', 'eu-west-1')]]);
      expect([fenced(B, 'us-east-1'), fenced(B, 'eu-west-1')]).toEqual([[name('data', 'us-east-1'), `${name('data', 'us-east-1')}-g1`], [name('data', 'eu-west-1')]]);
      expect([fenced(C, 'us-east-1'), fenced(C, 'eu-west-1')]).toEqual([
        [name('data', 'us-east-1'), `${name('data', 'us-east-1')}-g1`],
        [name('data', 'eu-west-1'), `${name('data', 'eu-west-1')}-g1`],
      ]);
    });

    it("points the plan's promotion and custom steps at each region's current instance and at functions its data stack holds", () => {
      for (const [t, config] of [
        [A, a],
        [B, b],
        [C, c],
      ] as const) {
        const [, plan] = only(t[name('dns', 'global')], 'AWS::ARCRegionSwitch::Plan');
        const steps = (plan.Properties?.Workflows as Array<{ Steps: any[] }>).flatMap((w) =>
          w.Steps.flatMap((step) => (step.ExecutionBlockType === 'Parallel' ? step.ExecutionBlockConfiguration.ParallelConfig.Steps : [step])),
        );
        const promote = steps.filter((step) => step.ExecutionBlockType === 'RdsPromoteReadReplica');
        expect(promote).toHaveLength(2);
        for (const step of promote) {
          for (const region of ['us-east-1', 'eu-west-1'] as const) {
            const [, instance] = only(data(t, region), 'AWS::RDS::DBInstance');
            expect(step.ExecutionBlockConfiguration.RdsPromoteReadReplicaConfig.DbInstanceArnMap[region]).toBe(arn(region, config.account, instance.Properties?.DBInstanceIdentifier as string));
          }
        }
        const invoked = new Set(
          steps.filter((step) => step.ExecutionBlockType === 'CustomActionLambda').flatMap((step) => step.ExecutionBlockConfiguration.CustomActionLambdaConfig.Lambdas.map((l: { Arn: string }) => l.Arn)),
        );
        // The switch actions; the credentials' rotation function is Secrets Manager's, never the plan's.
        const held = (['us-east-1', 'eu-west-1'] as const).flatMap((region) =>
          resources(data(t, region), 'AWS::Lambda::Function')
            .filter(([id]) => id.startsWith('SwitchActions'))
            .map(([, fn]) => `arn:aws:lambda:${region}:${config.account}:function:${fn.Properties?.FunctionName}`),
        );
        expect([...invoked].sort()).toEqual(held.filter((fnArn) => !fnArn.endsWith(':undefined')).sort());
      }
    });

    it('neither data stack reads the other region through CloudFormation: each deploys while the other region is down', () => {
      const otherRegion = (t: Templates, region: RegionName) =>
        [...JSON.stringify(data(t, region)).matchAll(/"Fn::GetStackOutput":\{[^}]*"Region":"([a-z0-9-]+)"/g)].map((m) => m[1]).filter((r) => r !== region);
      for (const t of [A, B, C]) {
        for (const region of ['us-east-1', 'eu-west-1'] as const) expect(otherRegion(t, region)).toEqual([]);
      }
    });
  });
}

describe('region roles that cannot be', () => {
  it('refuses us-east-1 as the standby while it still has the instance created as the writer', () => {
    const settings = ENVIRONMENTS.dev;
    expect(() => validateConfig('dev', { ...settings, primaryRegion: 'eu-west-1' })).toThrow(/database\.generations\.us-east-1.*must be at least 1 while us-east-1 is the standby/);
  });
});

describe('the pipeline after a switch', () => {
  it('deploys and checks the new standby (us-east-1) before the new primary (eu-west-1)', () => {
    const base = offlineConfig('prod');
    const waves = deployWaves(withRegionRoles(base, 'eu-west-1', { 'us-east-1': 1 }));
    expect(waves.map((wave) => [wave.id, wave.stackNames])).toEqual([
      ['Stateful', ['prod-network-us-east-1', 'prod-data-us-east-1', 'prod-network-eu-west-1', 'prod-data-eu-west-1']],
      ['Standby', ['prod-app-us-east-1', 'prod-monitoring-us-east-1']],
      ['Primary', ['prod-app-eu-west-1', 'prod-monitoring-eu-west-1']],
      ['Global', ['prod-dns-global']],
    ]);
    expect(waves[1].verify?.region).toBe('us-east-1');
  });
});
