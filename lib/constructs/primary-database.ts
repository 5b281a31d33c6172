import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import type { ServiceNaming } from '../naming';
import { EncryptionKey } from './encryption-key';
import { acknowledgeDisposableDatabase, acknowledgeStandardPort, POSTGRES_ENGINE, POSTGRES_PORT, PostgresSupport } from './postgres';

/** The master user; not `postgres`, which every attacker tries first (Control Tower CT.RDS.PR.22). */
const MASTER_USERNAME = 'webadmin';

export interface PrimaryDatabaseProps {
  /** The VPC the instance runs in. */
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for the instance and its Multi-AZ standby. */
  readonly subnets: ec2.SubnetSelection;
  /** Subnets with a route to Secrets Manager, for the rotation function. */
  readonly rotationSubnets: ec2.SubnetSelection;
  /** The instance identifier, from the naming helper. */
  readonly instanceIdentifier: string;
  /** The name of the credentials secret, the same in the replica region. */
  readonly secretName: string;
  /** The environment's database settings. */
  readonly settings: EnvironmentConfig['database'];
  /** The region the secret is replicated to, for the standby after promotion. */
  readonly replicaRegion: string;
  /** How long the exported PostgreSQL logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Names for Name tags. */
  readonly naming: ServiceNaming;
  /** What happens to the key, secret and logs when they leave the stack; the instance itself is always snapshotted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The writer: RDS PostgreSQL in isolated subnets, encrypted with its own key,
 * with credentials in Secrets Manager that rotate and are replicated to the
 * standby region, automated backups, Performance Insights and Enhanced Monitoring.
 */
export class PrimaryDatabase extends Construct {
  /** The database instance. */
  public readonly instance: rds.DatabaseInstance;
  /** Encrypts storage, Performance Insights, the secret and the log groups. */
  public readonly key: EncryptionKey;
  /** The master credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The instance's security group, without ingress until the app tier adds its own. */
  public readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: PrimaryDatabaseProps) {
    super(scope, id);
    const { settings } = props;
    const stateRemoval = props.removalPolicy;

    this.key = new EncryptionKey(this, 'Key', {
      description: `Encrypts ${props.instanceIdentifier}: storage, Performance Insights, credentials and logs`,
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

    const credentials = new rds.DatabaseSecret(this, 'Credentials', {
      username: MASTER_USERNAME,
      secretName: props.secretName,
      encryptionKey: this.key,
      replicaRegions: [{ region: props.replicaRegion }],
    });
    credentials.applyRemovalPolicy(stateRemoval);

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      ...support.instanceSettings(settings, { vpc: props.vpc, subnets: props.subnets, key: this.key }),
      engine: POSTGRES_ENGINE,
      instanceIdentifier: props.instanceIdentifier,
      instanceType: new ec2.InstanceType(settings.instanceType.replace(/^db\./, '')),
      credentials: rds.Credentials.fromSecret(credentials),
      allocatedStorage: settings.allocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: this.key,
      backupRetention: Duration.days(settings.backupRetentionDays),
      preferredBackupWindow: settings.backupWindow,
      deleteAutomatedBackups: false,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    this.instance.node.addDependency(...support.logGroups);
    this.secret = credentials;

    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: `Rotation function of ${props.secretName}: out to the database and Secrets Manager`,
    });
    Tags.of(rotationSecurityGroup).add('Name', props.naming.name('nameTag', 'rotation'));
    new secretsmanager.SecretRotation(this, 'Rotation', {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      // The attachment adds host and port to the secret, which the rotation function needs.
      secret: this.instance.secret!,
      // The instance's own connections carry its port as a CloudFormation attribute; the
      // explicit port keeps the rotation function's ingress rule checkable by the rule packs.
      target: new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(POSTGRES_PORT) }),
      vpc: props.vpc,
      vpcSubnets: props.rotationSubnets,
      securityGroup: rotationSecurityGroup,
      automaticallyAfter: Duration.days(settings.rotationDays),
    });

    acknowledgeStandardPort(this.instance, 'primary');
    if (!settings.deletionProtection) acknowledgeDisposableDatabase(this.instance, 'primary');
  }
}

