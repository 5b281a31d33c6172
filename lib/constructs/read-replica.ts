import { RemovalPolicy, type Duration } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import { EncryptionKey } from './encryption-key';
import { acknowledgeDisposableDatabase, acknowledgeStandardPort, MASTER_USERNAME, PostgresSupport, type PostgresInstanceSettings } from './postgres';

/** One instance created as a cross-region read replica: still following its source, or promoted since. */
export interface ReplicaInstanceProps {
  /** The ARN of the writer it was created from, in the other region, built from names rather than referenced. */
  readonly sourceInstanceArn: string;
  /** The source's region. */
  readonly sourceRegion: string;
  /**
   * Whether the instance has been promoted to the writer (by the Region switch plan or the
   * promotion runbook). The template then gives it the writer's size and automated backups but
   * keeps `SourceDBInstanceIdentifier` exactly as it was: removing it would make CloudFormation's
   * RDS handler call PromoteReadReplica on an instance that is no longer a replica (docs/disaster-recovery.md).
   */
  readonly promoted: boolean;
  /** The VPC the instance runs in. */
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for the instance. */
  readonly subnets: ec2.SubnetSelection;
  /** The instance identifier, from the naming helper. */
  readonly instanceIdentifier: string;
  /** The instance class while it replicates. */
  readonly replicaInstanceType: ec2.InstanceType;
  /** The instance class once promoted: the writer's. */
  readonly writerInstanceType: ec2.InstanceType;
  /** Automated backup retention once promoted. */
  readonly backupRetention: Duration;
  /** The daily `hh:mm-hh:mm` automated backup window once promoted (UTC). */
  readonly backupWindow: string;
  /** What the writer and the replica share. */
  readonly settings: PostgresInstanceSettings;
  /** This region's key: storage, Performance Insights and logs. */
  readonly key: EncryptionKey;
  /** How long the exported PostgreSQL logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** The security group's Name tag. */
  readonly securityGroupName: string;
  /** What happens to the instance and its logs when they leave the stack; a promoted instance is snapshotted rather than destroyed. */
  readonly removalPolicy: RemovalPolicy;
}

/** What {@link addReplicaInstance} builds. */
export interface ReplicaInstance {
  /** The instance. */
  readonly instance: rds.DatabaseInstanceReadReplica;
  /** Its security group, without ingress until the app tier adds its own. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * Adds `Support` and `Instance` to `scope`: a cross-region read replica of `source`, encrypted
 * with this region's key, or the writer it became once promoted. The construct ids are fixed so
 * the instance keeps its logical ID, and so its identity, from replica to writer.
 */
export function addReplicaInstance(scope: Construct, props: ReplicaInstanceProps): ReplicaInstance {
  const support = new PostgresSupport(scope, 'Support', {
    vpc: props.vpc,
    instanceIdentifier: props.instanceIdentifier,
    key: props.key,
    logRetention: props.logRetention,
    removalPolicy: props.removalPolicy,
    securityGroupName: props.securityGroupName,
  });

  const instance = new rds.DatabaseInstanceReadReplica(scope, 'Instance', {
    ...support.instanceSettings(props.settings, { vpc: props.vpc, subnets: props.subnets, key: props.key }),
    // The L2 needs an instance; only the ARN below reaches the template.
    sourceDatabaseInstance: rds.DatabaseInstance.fromDatabaseInstanceAttributes(scope, 'Source', {
      instanceIdentifier: props.instanceIdentifier,
      instanceEndpointAddress: props.instanceIdentifier,
      port: 0,
      securityGroups: [],
    }),
    instanceIdentifier: props.instanceIdentifier,
    instanceType: props.promoted ? props.writerInstanceType : props.replicaInstanceType,
    storageEncrypted: true,
    storageEncryptionKey: props.key,
    ...(props.promoted ? { backupRetention: props.backupRetention, preferredBackupWindow: props.backupWindow, deleteAutomatedBackups: false } : {}),
    // Once it is the writer, an instance that would be deleted with its stack is snapshotted first, as the first writer is.
    removalPolicy: props.promoted && props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.SNAPSHOT : props.removalPolicy,
  });
  instance.node.addDependency(...support.logGroups);
  support.keepWith(instance, props.removalPolicy);
  const cfnInstance = instance.node.defaultChild as rds.CfnDBInstance;
  // CloudFormation rejects StorageEncrypted beside SourceDBInstanceIdentifier (the L2 sets
  // both); KmsKeyId alone encrypts the replica. SourceRegion lets RDS sign the cross-region call.
  cfnInstance.storageEncrypted = undefined;
  cfnInstance.sourceRegion = props.sourceRegion;
  cfnInstance.sourceDbInstanceIdentifier = props.sourceInstanceArn;

  acknowledgeStandardPort(instance, 'replica');
  if (!props.settings.deletionProtection) acknowledgeDisposableDatabase(instance, 'replica');
  const encryptionReason =
    "The instance was created as a replica, encrypted with this region's key through KmsKeyId; CloudFormation refuses the StorageEncrypted flag the rule looks for beside SourceDBInstanceIdentifier, and RDS cannot replicate an encrypted source unencrypted.";
  acknowledge(
    instance,
    { id: 'AwsSolutions::AwsSolutions-RDS2', reason: encryptionReason },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-RDSStorageEncrypted', reason: encryptionReason },
  );
  if (!props.promoted) {
    acknowledge(instance, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan',
      reason: "A read replica is not backed up while it follows the writer, whose daily AWS Backup recovery points are copied to this region; once promoted, this region's backup plan selects it.",
    });
  }
  return { instance, securityGroup: support.securityGroup };
}

export interface ReadReplicaProps {
  /** The identifier of the instance the region was created with, named in the key's description. */
  readonly instanceIdentifier: string;
  /** Name of this region's vault, which receives the other region's backup copies (and holds its own once this region is the writer). */
  readonly backupVaultName: string;
  /**
   * The name of this region's credentials secret. It holds the login of the replicated database,
   * copied from the other region's secret by its rotation (lib/constructs/credentials-rotation.ts):
   * the password CloudFormation generates is replaced by the first rotation, which creating the
   * rotation schedule starts.
   */
  readonly secretName: string;
  /** What happens to the key and the vault when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * The instance the region was created with, while the template holds it; absent once the
   * region has been rebuilt as a new generation, whose instance lives beside this construct.
   */
  readonly firstInstance?: Omit<ReplicaInstanceProps, 'key' | 'instanceIdentifier'>;
}

/**
 * The standby region's data as first created: its own key, its credentials, the vault for the backup
 * copies, and the cross-region read replica (later the promoted writer). The key, the credentials
 * and the vault stay for the region's lifetime; the instance leaves the template once the region is
 * rebuilt as a replica.
 */
export class ReadReplica extends Construct {
  /** The instance this region was created with, while the template holds it. */
  public readonly replica?: ReplicaInstance;
  /** This region's key for its instances, logs and the backup vault. */
  public readonly key: EncryptionKey;
  /** This region's backup vault. */
  public readonly backupVault: backup.BackupVault;
  /** This region's copy of the master credentials. */
  public readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ReadReplicaProps) {
    super(scope, id);
    this.key = new EncryptionKey(this, 'Key', {
      description: `Encrypts ${props.instanceIdentifier}: storage, Performance Insights, credentials, logs and backup copies`,
      removalPolicy: props.removalPolicy,
    });
    const credentials = new rds.DatabaseSecret(this, 'Credentials', { username: MASTER_USERNAME, secretName: props.secretName, encryptionKey: this.key });
    credentials.applyRemovalPolicy(props.removalPolicy);
    this.secret = credentials;
    if (props.firstInstance) this.replica = addReplicaInstance(this, { ...props.firstInstance, instanceIdentifier: props.instanceIdentifier, key: this.key });
    this.backupVault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: props.backupVaultName,
      encryptionKey: this.key,
      removalPolicy: props.removalPolicy,
    });
  }
}
