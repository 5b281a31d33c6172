import type { RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import type { EnvironmentConfig } from '../config';
import type { ServiceNaming } from '../naming';
import { EncryptionKey } from './encryption-key';
import { acknowledgeDisposableDatabase, acknowledgeStandardPort, PostgresSupport } from './postgres';

export interface ReadReplicaProps {
  /** The writer in the other region; CDK references its ARN across regions. */
  readonly source: rds.IDatabaseInstance;
  /** The writer's region. */
  readonly sourceRegion: string;
  /** The VPC the replica runs in. */
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for the replica. */
  readonly subnets: ec2.SubnetSelection;
  /** The replica's instance identifier, from the naming helper. */
  readonly instanceIdentifier: string;
  /** The environment's database settings. */
  readonly settings: EnvironmentConfig['database'];
  /** Name of the vault that receives the primary's backup copies. */
  readonly backupVaultName: string;
  /** How long the exported PostgreSQL logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Names for Name tags. */
  readonly naming: ServiceNaming;
  /** What happens to the replica, its key, vault and logs when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The warm standby: a cross-region read replica encrypted with this region's own
 * key, and the vault that holds the primary's backup copies.
 */
export class ReadReplica extends Construct {
  /** The replica; after promotion, the writer. */
  public readonly instance: rds.DatabaseInstanceReadReplica;
  /** This region's key for the replica, its logs and the backup vault. */
  public readonly key: EncryptionKey;
  /** The replica's security group, without ingress until the app tier adds its own. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** Receives the primary region's daily backup copies. */
  public readonly backupVault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: ReadReplicaProps) {
    super(scope, id);
    const { settings } = props;
    const stateRemoval = props.removalPolicy;

    this.key = new EncryptionKey(this, 'Key', {
      description: `Encrypts ${props.instanceIdentifier}: storage, Performance Insights, logs and backup copies`,
      removalPolicy: stateRemoval,
    });
    const support = new PostgresSupport(this, 'Support', {
      vpc: props.vpc,
      instanceIdentifier: props.instanceIdentifier,
      key: this.key,
      logRetention: props.logRetention,
      removalPolicy: stateRemoval,
      naming: props.naming,
    });
    this.securityGroup = support.securityGroup;

    this.instance = new rds.DatabaseInstanceReadReplica(this, 'Instance', {
      ...support.instanceSettings(settings, { vpc: props.vpc, subnets: props.subnets, key: this.key }),
      sourceDatabaseInstance: props.source,
      instanceIdentifier: props.instanceIdentifier,
      instanceType: new ec2.InstanceType(settings.replicaInstanceType.replace(/^db\./, '')),
      storageEncrypted: true,
      storageEncryptionKey: this.key,
      // After promotion this instance is the only writer: never let a stack operation delete it in prod.
      removalPolicy: stateRemoval,
    });
    this.instance.node.addDependency(...support.logGroups);
    const cfnReplica = this.instance.node.defaultChild as rds.CfnDBInstance;
    // CloudFormation rejects StorageEncrypted beside SourceDBInstanceIdentifier (the L2 sets
    // both); KmsKeyId alone encrypts the replica. SourceRegion lets RDS sign the cross-region call.
    cfnReplica.storageEncrypted = undefined;
    cfnReplica.sourceRegion = props.sourceRegion;

    this.backupVault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: props.backupVaultName,
      encryptionKey: this.key,
      removalPolicy: stateRemoval,
    });

    acknowledgeStandardPort(this.instance, 'replica');
    if (!settings.deletionProtection) acknowledgeDisposableDatabase(this.instance, 'replica');
    const encryptionReason =
      "The replica is encrypted with this region's key through KmsKeyId; CloudFormation refuses the StorageEncrypted flag the rule looks for on a replica, and RDS cannot replicate an encrypted source unencrypted.";
    acknowledge(
      this.instance,
      { id: 'AwsSolutions::AwsSolutions-RDS2', reason: encryptionReason },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-RDSStorageEncrypted', reason: encryptionReason },
    );
    acknowledge(this.instance, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan',
      reason: 'A read replica is not backed up while it follows the primary, whose daily AWS Backup recovery points are copied to this region; the promotion runbook turns automated backups on with the configured retention.',
    });
  }
}
