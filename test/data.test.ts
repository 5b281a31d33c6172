import { Match } from 'aws-cdk-lib/assertions';
import { firstFreeHour } from '../lib/constructs/cross-region-backup';
import { NO_WRITER } from '../lib/constructs/writer-endpoint';
import { windowsOverlap } from '../lib/config';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

describe.each(['dev', 'prod'] as const)('%s data tier', (envName) => {
  const config = offlineConfig(envName);
  const assembly = synthesized(envName);
  const primaryName = `${envName}-data-us-east-1`;
  const secondaryName = `${envName}-data-eu-west-1`;
  const primary = assembly.template(primaryName);
  const secondary = assembly.template(secondaryName);
  const resourcesOf = (template: typeof primary) => template.toJSON().Resources as Resources;
  const only = (template: typeof primary, type: string) => {
    // The Region switch's steps and the credentials' rotation live in the data stacks too;
    // test/constructs/switch-actions.test.ts and test/credentials.test.ts cover them.
    const found = Object.entries(resourcesOf(template)).filter(([id, r]) => r.Type === type && !/^(SwitchActions|CredentialsRotation)/.test(id));
    expect(found).toHaveLength(1);
    return { id: found[0][0], ...found[0][1] };
  };
  const keyRef = (template: typeof primary) => ({ 'Fn::GetAtt': [only(template, 'AWS::KMS::Key').id, 'Arn'] });
  const retained = config.protectStatefulResources ? 'RetainExceptOnCreate' : 'Delete';

  describe('primary', () => {
    const db = only(primary, 'AWS::RDS::DBInstance');

    it('runs PostgreSQL 16 in the isolated data subnets, never publicly', () => {
      expect(db.Properties).toMatchObject({ Engine: 'postgres', PubliclyAccessible: false, DBInstanceIdentifier: primaryName });
      expect(db.Properties.EngineVersion).toMatch(/^16\./);
      const subnets = only(primary, 'AWS::RDS::DBSubnetGroup').Properties.SubnetIds;
      expect(subnets.map((s: any) => s['Fn::GetStackOutput'].OutputName)).toEqual([
        expect.stringMatching(/dataSubnet1/),
        expect.stringMatching(/dataSubnet2/),
        expect.stringMatching(/dataSubnet3/),
      ]);
    });

    it('follows config for class, Multi-AZ, storage, backups and windows', () => {
      expect(db.Properties).toMatchObject({
        DBInstanceClass: config.database.instanceType,
        MultiAZ: config.database.multiAz,
        StorageType: 'gp3',
        AllocatedStorage: String(config.database.allocatedStorageGiB),
        MaxAllocatedStorage: config.database.maxAllocatedStorageGiB,
        BackupRetentionPeriod: config.database.backupRetentionDays,
        PreferredBackupWindow: config.database.backupWindow,
        PreferredMaintenanceWindow: config.database.maintenanceWindow,
        DeletionProtection: config.database.deletionProtection,
        CopyTagsToSnapshot: true,
        DeleteAutomatedBackups: false,
      });
      expect(windowsOverlap(db.Properties.PreferredBackupWindow, db.Properties.PreferredMaintenanceWindow)).toBe(false);
    });

    it('encrypts storage and Performance Insights with its own rotating key', () => {
      expect(db.Properties).toMatchObject({
        StorageEncrypted: true,
        KmsKeyId: keyRef(primary),
        EnablePerformanceInsights: true,
        PerformanceInsightsKMSKeyId: keyRef(primary),
      });
      primary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('has Enhanced Monitoring and IAM authentication', () => {
      expect(db.Properties).toMatchObject({
        MonitoringInterval: config.database.monitoringIntervalSeconds,
        MonitoringRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/MonitoringRole/), 'Arn'] },
        EnableIAMDatabaseAuthentication: true,
      });
    });

    it('exports PostgreSQL logs to encrypted log groups with explicit retention, created before the instance', () => {
      expect(db.Properties.EnableCloudwatchLogsExports).toEqual(['postgresql', 'upgrade']);
      for (const log of ['postgresql', 'upgrade']) {
        primary.hasResourceProperties('AWS::Logs::LogGroup', {
          LogGroupName: `/aws/rds/instance/${primaryName}/${log}`,
          RetentionInDays: config.logRetentionDays,
          KmsKeyId: keyRef(primary),
        });
      }
      const logGroups = Object.entries(resourcesOf(primary))
        .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.LogGroupName.startsWith('/aws/rds/'))
        .map(([id]) => id);
      expect(logGroups).toHaveLength(2);
      expect((primary.toJSON().Resources[db.id].DependsOn ?? [])).toEqual(expect.arrayContaining(logGroups));
    });

    it('forces SSL through its parameter group', () => {
      primary.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres16', Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
      expect(db.Properties.DBParameterGroupName).toEqual({ Ref: only(primary, 'AWS::RDS::DBParameterGroup').id });
    });

    it('keeps its own credentials in Secrets Manager, encrypted with the key, not replicated: eu-west-1 has its own copy', () => {
      const secret = only(primary, 'AWS::SecretsManager::Secret');
      expect(secret.Properties).toMatchObject({ Name: `${primaryName}-credentials`, KmsKeyId: keyRef(primary) });
      expect(secret.Properties.ReplicaRegions).toBeUndefined();
      expect(JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ username: 'webadmin' });
      // The first writer's master password is this secret's.
      expect(JSON.stringify(db.Properties.MasterUserPassword)).toContain(secret.id);
    });

    it('admits nobody on 5432 until the app tier adds itself: the rotation sets the password through RDS, never logs in', () => {
      expect(Object.values(resourcesOf(primary)).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
      primary.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('ingress only from the app tier'), SecurityGroupIngress: Match.absent() });
      expect(primary.toJSON().Transform).toBeUndefined();
      primary.resourceCountIs('AWS::CloudFormation::Stack', 0);
    });

    it(`${config.protectStatefulResources ? 'retains' : 'snapshots'} the instance on delete and ${config.protectStatefulResources ? 'retains' : 'deletes'} its key and secret`, () => {
      // After a switch the old writer leaves the template holding writes the replica may not have had.
      expect(db.DeletionPolicy).toBe(config.protectStatefulResources ? retained : 'Snapshot');
      expect(only(primary, 'AWS::KMS::Key').DeletionPolicy).toBe(retained);
      expect(only(primary, 'AWS::SecretsManager::Secret').DeletionPolicy).toBe(retained);
    });

    it('copies a daily AWS Backup recovery point to the eu-west-1 vault, outside the RDS windows', () => {
      const rule = only(primary, 'AWS::Backup::BackupPlan').Properties.BackupPlan.BackupPlanRule[0];
      expect(rule.CopyActions).toEqual([
        {
          DestinationBackupVaultArn: `arn:aws:backup:eu-west-1:${config.account}:backup-vault:${secondaryName}-vault`,
          Lifecycle: { DeleteAfterDays: config.database.backupRetentionDays },
        },
      ]);
      const hour = firstFreeHour(config.database.backupWindow, config.database.maintenanceWindow);
      expect(rule.ScheduleExpression).toBe(`cron(0 ${hour} * * ? *)`);
      primary.hasResourceProperties('AWS::Backup::BackupSelection', {
        BackupSelection: Match.objectLike({ Resources: [Match.objectLike({ 'Fn::Join': Match.anyValue() })] }),
      });
      secondary.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: `${secondaryName}-vault`, EncryptionKeyArn: keyRef(secondary) });
    });
  });

  describe('secondary', () => {
    const replica = only(secondary, 'AWS::RDS::DBInstance');

    it("replicates the primary by its ARN, built from names: updating it never needs us-east-1's CloudFormation", () => {
      // A Fn::GetStackOutput here would make every update of this stack wait for us-east-1, and
      // a promoted writer must keep this value unchanged (docs/disaster-recovery.md).
      expect(replica.Properties.SourceDBInstanceIdentifier).toBe(`arn:aws:rds:us-east-1:${config.account}:db:${primaryName}`);
      expect(replica.Properties.SourceRegion).toBe('us-east-1');
      expect(assembly.dependencies(secondaryName)).toContain(primaryName);
    });

    it('is encrypted with its own eu-west-1 key, in its isolated subnets, with the configured class', () => {
      expect(replica.Properties).toMatchObject({
        KmsKeyId: keyRef(secondary),
        DBInstanceClass: config.database.replicaInstanceType,
        PubliclyAccessible: false,
        DeletionProtection: config.database.deletionProtection,
        EnableIAMDatabaseAuthentication: true,
      });
      expect(replica.Properties.StorageEncrypted).toBeUndefined();
      const subnets = only(secondary, 'AWS::RDS::DBSubnetGroup').Properties.SubnetIds;
      expect(subnets.every((s: any) => s['Fn::GetStackOutput'].StackName === `${envName}-network-eu-west-1` && /dataSubnet/.test(s['Fn::GetStackOutput'].OutputName))).toBe(true);
    });

    it(`${config.protectStatefulResources ? 'retains' : 'deletes'} the replica, which becomes the writer after promotion`, () => {
      expect(replica.DeletionPolicy).toBe(retained);
    });

    it('ships an SSM Automation runbook that promotes the replica, waits for it and publishes it as this region\'s writer', () => {
      const document = only(secondary, 'AWS::SSM::Document');
      expect(document.Properties).toMatchObject({ DocumentType: 'Automation', Name: `${secondaryName}-promote-replica` });
      const steps = document.Properties.Content.mainSteps;
      expect(steps.map((s: any) => s.inputs.Api)).toEqual(['PromoteReadReplica', 'DescribeDBInstances', 'DescribeDBInstances', 'DescribeDBInstances', 'PutParameter']);
      expect(steps[0].inputs).toMatchObject({ DBInstanceIdentifier: { Ref: replica.id }, BackupRetentionPeriod: config.database.backupRetentionDays });
      expect(steps[2].inputs.DesiredValues).toEqual(['available']);
      expect(steps[3].outputs).toEqual([{ Name: 'Address', Selector: '$.DBInstances[0].Endpoint.Address', Type: 'String' }]);
      expect(steps[4].inputs).toEqual({
        Service: 'ssm',
        Api: 'PutParameter',
        Name: { Ref: only(secondary, 'AWS::SSM::Parameter').id },
        Value: '{{ReadWriterEndpoint.Address}}',
        Overwrite: true,
      });
    });

    it('runs the runbook under a role that can only promote and describe that replica and write its region\'s writer parameter', () => {
      const statements = only(secondary, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement;
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['rds:DescribeDBInstances', 'rds:PromoteReadReplica'],
          Resource: { 'Fn::Join': ['', [`arn:aws:rds:eu-west-1:${config.account}:db:`, { Ref: replica.id }]] },
        },
        {
          Effect: 'Allow',
          Action: 'ssm:PutParameter',
          Resource: { 'Fn::Join': ['', [`arn:aws:ssm:eu-west-1:${config.account}:parameter/`, { Ref: only(secondary, 'AWS::SSM::Parameter').id }]] },
        },
      ]);
      secondary.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ssm.amazonaws.com' } })] },
        ManagedPolicyArns: [{ Ref: only(secondary, 'AWS::IAM::ManagedPolicy').id }],
      });
    });
  });

  it(`publishes each region's writer: the primary instance in us-east-1, "${NO_WRITER}" in eu-west-1 until a promotion`, () => {
    const writerParameter = (template: typeof primary) => only(template, 'AWS::SSM::Parameter');
    expect(writerParameter(primary).Properties).toMatchObject({
      Name: `${primaryName}-writer-endpoint`,
      Type: 'String',
      Value: { 'Fn::GetAtt': [only(primary, 'AWS::RDS::DBInstance').id, 'Endpoint.Address'] },
    });
    expect(writerParameter(secondary).Properties).toMatchObject({ Name: `${secondaryName}-writer-endpoint`, Type: 'String', Value: NO_WRITER });
    // Deleted with its stack: a retained, fixed-name parameter could name a writer that is gone.
    for (const template of [primary, secondary]) expect(writerParameter(template).DeletionPolicy).toBe('Delete');
  });

  it(`${config.protectStatefulResources ? 'turns on' : 'leaves off'} termination protection on both data stacks`, () => {
    expect(assembly.terminationProtection(primaryName)).toBe(config.protectStatefulResources);
    expect(assembly.terminationProtection(secondaryName)).toBe(config.protectStatefulResources);
  });
});
