import { Duration, Tags, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import type { EncryptionKey } from './encryption-key';

/** PostgreSQL's port; the app tier opens exactly this one. */
export const POSTGRES_PORT = 5432;

/** The master user; not `postgres`, which every attacker tries first (Control Tower CT.RDS.PR.22). */
export const MASTER_USERNAME = 'webadmin';

/** The engine of the primary and of its replica: a current PostgreSQL 16 minor. */
export const POSTGRES_ENGINE = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16_13 });

/** The PostgreSQL logs exported to CloudWatch Logs. */
export const POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

export interface PostgresSupportProps {
  /** The VPC the instance runs in. */
  readonly vpc: ec2.IVpc;
  /** The instance identifier; RDS names its log groups after it. */
  readonly instanceIdentifier: string;
  /** The key that encrypts the instance's log groups. */
  readonly key: EncryptionKey;
  /** How long the exported PostgreSQL logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the log groups. */
  readonly removalPolicy: RemovalPolicy;
  /** The security group's Name tag. */
  readonly securityGroupName: string;
}

/** How an instance runs, the same for the writer and its replica. */
export interface PostgresInstanceSettings {
  /** A standby in a second AZ. */
  readonly multiAz: boolean;
  /** The ceiling of storage autoscaling, in GiB. */
  readonly maxAllocatedStorageGiB: number;
  /** Enhanced Monitoring granularity. */
  readonly monitoringInterval: Duration;
  /** The weekly `ddd:hh:mm-ddd:hh:mm` maintenance window (UTC). */
  readonly maintenanceWindow: string;
  /** Whether RDS refuses to delete the instance. */
  readonly deletionProtection: boolean;
}

/**
 * What a PostgreSQL instance needs around it: a security group without rules
 * (the app tier adds its own ingress), a parameter group that refuses plain-text
 * connections, encrypted log groups created before RDS would create them
 * unencrypted and unbounded, and the Enhanced Monitoring role.
 */
export class PostgresSupport extends Construct {
  /** The instance's security group; ingress is added by whoever may connect. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Forces SSL on every connection. */
  public readonly parameterGroup: rds.ParameterGroup;
  /** The role RDS Enhanced Monitoring publishes metrics with. */
  public readonly monitoringRole: iam.Role;
  /** The exported-log groups, which the instance must depend on. */
  public readonly logGroups: logs.LogGroup[];

  constructor(scope: Construct, id: string, props: PostgresSupportProps) {
    super(scope, id);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `PostgreSQL ${props.instanceIdentifier}: ingress only from the app tier on ${POSTGRES_PORT}`,
      allowAllOutbound: false,
    });
    Tags.of(this.securityGroup).add('Name', props.securityGroupName);

    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: POSTGRES_ENGINE,
      description: `${props.instanceIdentifier}: SSL required, slow statements logged`,
      parameters: { 'rds.force_ssl': '1', log_min_duration_statement: '1000' },
    });

    const logGroupNames = POSTGRES_LOG_EXPORTS.map((log) => `/aws/rds/instance/${props.instanceIdentifier}/${log}`);
    props.key.allowLogGroups(...logGroupNames);
    this.logGroups = logGroupNames.map(
      (logGroupName, i) =>
        new logs.LogGroup(this, `${POSTGRES_LOG_EXPORTS[i]}Logs`, {
          logGroupName,
          encryptionKey: props.key,
          retention: props.logRetention,
          removalPolicy: props.removalPolicy,
        }),
    );

    this.monitoringRole = new iam.Role(this, 'MonitoringRole', {
      description: `Enhanced Monitoring for ${props.instanceIdentifier}`,
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    acknowledge(this.monitoringRole, {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'AWS maintains this service-role policy for exactly this purpose: it only lets RDS write Enhanced Monitoring metrics to the RDSOSMetrics log group.',
    });
  }

  /**
   * Gives what the instance runs with (security group, parameter group, monitoring role, the
   * instance's subnet group) the removal policy of the state it serves. An instance that leaves
   * the template after a switch is kept where state is protected, and it keeps running; deleting
   * what it runs with would fail while it is in use, or (the monitoring role) silently stop its
   * Enhanced Monitoring.
   */
  public keepWith(instance: rds.DatabaseInstanceBase, removalPolicy: RemovalPolicy): void {
    this.securityGroup.applyRemovalPolicy(removalPolicy);
    this.parameterGroup.applyRemovalPolicy(removalPolicy);
    this.monitoringRole.applyRemovalPolicy(removalPolicy);
    const subnetGroup = instance.node.tryFindChild('SubnetGroup');
    if (!(subnetGroup instanceof rds.SubnetGroup)) throw new Error(`${instance.node.path} has no subnet group of its own`);
    subnetGroup.applyRemovalPolicy(removalPolicy);
  }

  /**
   * What the primary and the replica share: placement, network exposure, encryption,
   * storage type and ceiling, monitoring, logs and maintenance.
   */
  public instanceSettings(
    settings: PostgresInstanceSettings,
    placement: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; key: kms.IKey },
  ): Partial<rds.DatabaseInstanceNewProps> & Pick<rds.DatabaseInstanceNewProps, 'vpc'> {
    return {
      vpc: placement.vpc,
      vpcSubnets: placement.subnets,
      securityGroups: [this.securityGroup],
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: settings.multiAz,
      parameterGroup: this.parameterGroup,
      iamAuthentication: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      storageType: rds.StorageType.GP3,
      maxAllocatedStorage: settings.maxAllocatedStorageGiB,
      monitoringRole: this.monitoringRole,
      monitoringInterval: settings.monitoringInterval,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: placement.key,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      cloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
      preferredMaintenanceWindow: settings.maintenanceWindow,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      deletionProtection: settings.deletionProtection,
    };
  }
}

/**
 * Whether AWS Control Tower's RDS controls check the instance: they skip read
 * replicas, which carry no Engine property in the template.
 */
export type InstanceRole = 'primary' | 'replica';

/** The acknowledgement every instance here needs: it keeps PostgreSQL's standard port. */
export function acknowledgeStandardPort(instance: Construct, role: InstanceRole): void {
  const reason =
    'The instance keeps PostgreSQL port 5432 on purpose: only the app tier security group may reach it, in isolated subnets, so a non-standard port would add no protection.';
  acknowledge(instance, { id: 'AwsSolutions::AwsSolutions-RDS11', reason });
  if (role === 'primary') acknowledge(instance, { id: 'cdk-validator-cfnguard::rds_instance_no_default_ports_check', reason });
}

/** Outside prod, config may turn deletion protection off; prod's schema forbids it. */
export function acknowledgeDisposableDatabase(instance: Construct, role: InstanceRole): void {
  const reason =
    'Deletion protection is off only where config marks the environment disposable (dev, test); the schema forces it on in prod, and the stack still snapshots the instance on delete.';
  acknowledge(
    instance,
    { id: 'AwsSolutions::AwsSolutions-RDS10', reason },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled', reason },
  );
  if (role === 'primary') acknowledge(instance, { id: 'cdk-validator-cfnguard::rds_instance_deletion_protection_enabled_check', reason });
}
