import { RemovalPolicy, type Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EncryptionKey } from './encryption-key';
import { acknowledgeDisposableDatabase, acknowledgeStandardPort, MASTER_USERNAME, POSTGRES_ENGINE, PostgresSupport, type PostgresInstanceSettings } from './postgres';

/** The writer the environment was created with. */
export interface FirstWriterProps {
  /** The VPC the instance runs in. */
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for the instance and its Multi-AZ standby. */
  readonly subnets: ec2.SubnetSelection;
  /** The instance class. */
  readonly instanceType: ec2.InstanceType;
  /** Storage at creation, in GiB. */
  readonly allocatedStorageGiB: number;
  /** Automated backup retention. */
  readonly backupRetention: Duration;
  /** The daily `hh:mm-hh:mm` automated backup window (UTC). */
  readonly backupWindow: string;
  /** What the writer and its replica share. */
  readonly settings: PostgresInstanceSettings;
  /** How long the exported PostgreSQL logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** The instance's security group's Name tag. */
  readonly securityGroupName: string;
}

export interface PrimaryDatabaseProps {
  /** The identifier of the instance the environment was created with, from the naming helper. */
  readonly instanceIdentifier: string;
  /** The name of this region's credentials secret; the other region keeps its own copy (lib/constructs/credentials-rotation.ts). */
  readonly secretName: string;
  /** What happens to the key, secret, logs and the first writer when they leave the stack; where that is DESTROY, the writer is snapshotted first. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * The writer the environment was created with, while the template holds it; absent once this
   * region has been rebuilt as a replica after a switch. The key and the secret stay either way.
   */
  readonly firstWriter?: FirstWriterProps;
}

/**
 * The founding region's data: the key and this region's master credentials, which live as long as
 * the environment, and the writer the environment was created with: RDS PostgreSQL in isolated
 * subnets, encrypted with the key, with automated backups, Performance Insights and Enhanced
 * Monitoring. The data stack rotates the secret (lib/constructs/credentials-rotation.ts).
 */
export class PrimaryDatabase extends Construct {
  /** The first writer, while the template holds it. */
  public readonly instance?: rds.DatabaseInstance;
  /** Encrypts storage, Performance Insights, the secret and the log groups. */
  public readonly key: EncryptionKey;
  /** The master credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The first writer's security group, without ingress until the app tier adds its own. */
  public readonly securityGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: PrimaryDatabaseProps) {
    super(scope, id);
    const stateRemoval = props.removalPolicy;

    this.key = new EncryptionKey(this, 'Key', {
      description: `Encrypts ${props.instanceIdentifier}: storage, Performance Insights, credentials and logs`,
      removalPolicy: stateRemoval,
    });
    const writer = props.firstWriter;
    // Created before the secret, as before the first writer became optional: the key policy keeps its order.
    const support = writer && new PostgresSupport(this, 'Support', {
      vpc: writer.vpc,
      instanceIdentifier: props.instanceIdentifier,
      key: this.key,
      logRetention: writer.logRetention,
      removalPolicy: stateRemoval,
      securityGroupName: writer.securityGroupName,
    });
    const credentials = new rds.DatabaseSecret(this, 'Credentials', {
      username: MASTER_USERNAME,
      secretName: props.secretName,
      encryptionKey: this.key,
    });
    credentials.applyRemovalPolicy(stateRemoval);
    this.secret = credentials;

    if (!writer || !support) return;
    this.securityGroup = support.securityGroup;

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      ...support.instanceSettings(writer.settings, { vpc: writer.vpc, subnets: writer.subnets, key: this.key }),
      engine: POSTGRES_ENGINE,
      instanceIdentifier: props.instanceIdentifier,
      instanceType: writer.instanceType,
      credentials: rds.Credentials.fromSecret(credentials),
      allocatedStorage: writer.allocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: this.key,
      backupRetention: writer.backupRetention,
      preferredBackupWindow: writer.backupWindow,
      deleteAutomatedBackups: false,
      // Retained where state is protected: after a switch it leaves the template holding the
      // writes that had not reached the other region. Elsewhere snapshotted, never simply deleted.
      removalPolicy: stateRemoval === RemovalPolicy.DESTROY ? RemovalPolicy.SNAPSHOT : stateRemoval,
    });
    this.instance.node.addDependency(...support.logGroups);
    support.keepWith(this.instance, stateRemoval);

    acknowledgeStandardPort(this.instance, 'primary');
    if (!writer.settings.deletionProtection) acknowledgeDisposableDatabase(this.instance, 'primary');
  }
}
