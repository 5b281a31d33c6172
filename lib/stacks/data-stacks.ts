import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import type { EnvironmentConfig, RegionName } from '../config';
import { CrossRegionBackup } from '../constructs/cross-region-backup';
import { POSTGRES_PORT } from '../constructs/postgres';
import { PrimaryDatabase } from '../constructs/primary-database';
import { PromotionRunbook } from '../constructs/promotion-runbook';
import { ReadReplica } from '../constructs/read-replica';
import { NO_WRITER, WriterEndpoint } from '../constructs/writer-endpoint';
import { Naming } from '../naming';
import type { NetworkStack } from './network-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/** What the app tier needs to reach a region's database. */
export interface DatabaseEndpoint {
  /** The database's security group; the app tier adds ingress from its instances. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The port PostgreSQL listens on. */
  readonly port: number;
  /** The master credentials, readable in this region. */
  readonly secret: secretsmanager.ISecret;
  /** The DNS name of this region's own instance (the writer, or the replica), for read-only service. */
  readonly hostname: string;
  /**
   * The SSM parameter naming this region's writer, a plain string so the app stack reads it
   * without a reference. The app connects to the host it names, never to the secret's `host`.
   */
  readonly writerParameterName: string;
  /** The instance identifier, for metrics and alarms. */
  readonly instanceIdentifier: string;
}

/** The name of the writer parameter of `region`, written by that region's data stack. */
export function writerParameterName(config: EnvironmentConfig, region: RegionName): string {
  return new Naming(config.name).name('ssmParameter', 'data', region, 'writer-endpoint');
}

export interface PrimaryDataStackProps extends Omit<ServiceStackProps, 'service' | 'stateful'> {
  /** The same region's network. */
  readonly network: NetworkStack;
  /** Where the replica, the secret's replica and the backup copies live. */
  readonly standbyRegion: RegionName;
}

/** `<env>-data-<primary region>`: the writer, its credentials and its cross-region backups. */
export class PrimaryDataStack extends ServiceStack {
  /** The writer and its key and secret. */
  public readonly database: PrimaryDatabase;
  /** How the app tier reaches the writer. */
  public readonly endpoint: DatabaseEndpoint;
  /** The credentials' name, a plain string: the standby region finds its replica of the secret by it. */
  public readonly secretName: string;
  /** Names this region's writer: the instance, or no writer once the standby has been promoted. */
  public readonly writerEndpoint: WriterEndpoint;

  constructor(scope: Construct, props: PrimaryDataStackProps) {
    super(scope, { ...props, service: 'data', stateful: true, crossRegionReferences: true });
    const { config } = this;
    const standbyNames = new Naming(config.name);

    this.secretName = this.names.name('secret', 'credentials');
    this.database = new PrimaryDatabase(this, 'Database', {
      vpc: props.network.vpc,
      subnets: props.network.dataSubnets,
      rotationSubnets: props.network.appSubnets,
      instanceIdentifier: this.names.name('dbInstance'),
      secretName: this.secretName,
      settings: config.database,
      replicaRegion: props.standbyRegion,
      logRetention: config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
      naming: this.names,
    });

    new CrossRegionBackup(this, 'Backup', {
      instance: this.database.instance,
      vaultName: this.names.name('backupVault', 'vault'),
      planName: this.names.name('backupPlan', 'daily'),
      key: this.database.key,
      copyRegion: props.standbyRegion,
      copyVaultName: standbyNames.name('backupVault', 'data', props.standbyRegion, 'vault'),
      retention: Duration.days(config.database.backupRetentionDays),
      backupWindow: config.database.backupWindow,
      maintenanceWindow: config.database.maintenanceWindow,
      removalPolicy: this.statefulRemovalPolicy,
    });

    // Once the standby is the writer, this region names none: instances that come back here
    // must not write to the old primary beside the promoted one.
    this.writerEndpoint = new WriterEndpoint(this, 'WriterEndpoint', {
      parameterName: writerParameterName(config, props.region),
      value: config.database.standbyIsWriter ? NO_WRITER : this.database.instance.dbInstanceEndpointAddress,
    });

    this.endpoint = {
      securityGroup: this.database.securityGroup,
      port: POSTGRES_PORT,
      secret: this.database.secret,
      hostname: this.database.instance.dbInstanceEndpointAddress,
      writerParameterName: writerParameterName(config, props.region),
      instanceIdentifier: this.database.instance.instanceIdentifier,
    };
  }
}

export interface SecondaryDataStackProps extends Omit<ServiceStackProps, 'service' | 'stateful'> {
  /** The same region's network. */
  readonly network: NetworkStack;
  /** The primary region's data stack, whose writer this region replicates. */
  readonly primary: PrimaryDataStack;
}

/** `<env>-data-<standby region>`: the cross-region read replica, its promotion runbook and the backup copies. */
export class SecondaryDataStack extends ServiceStack {
  /** The replica and its key and vault. */
  public readonly replica: ReadReplica;
  /** Promotes the replica to the writer and publishes it here. */
  public readonly runbook: PromotionRunbook;
  /** Names this region's writer: none until the replica is promoted. */
  public readonly writerEndpoint: WriterEndpoint;
  /** How the app tier reaches the replica (the writer after promotion). */
  public readonly endpoint: DatabaseEndpoint;

  constructor(scope: Construct, props: SecondaryDataStackProps) {
    super(scope, { ...props, service: 'data', stateful: true, crossRegionReferences: true });
    const { config } = this;

    this.replica = new ReadReplica(this, 'Replica', {
      source: props.primary.database.instance,
      sourceRegion: props.primary.region,
      vpc: props.network.vpc,
      subnets: props.network.dataSubnets,
      instanceIdentifier: this.names.name('dbInstance'),
      settings: config.database,
      backupVaultName: this.names.name('backupVault', 'vault'),
      logRetention: config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
      naming: this.names,
    });

    // The runbook overwrites "no writer" after a promotion; config says so for every later deploy.
    this.writerEndpoint = new WriterEndpoint(this, 'WriterEndpoint', {
      parameterName: writerParameterName(config, props.region),
      value: config.database.standbyIsWriter ? this.replica.instance.dbInstanceEndpointAddress : NO_WRITER,
    });

    this.runbook = new PromotionRunbook(this, 'PromotionRunbook', {
      replica: this.replica.instance,
      documentName: this.names.name('ssmDocument', 'promote-replica'),
      backupRetentionDays: config.database.backupRetentionDays,
      writerParameter: this.writerEndpoint.parameter,
    });

    // Secrets Manager keeps the replica of the primary's secret under the same name, a plain
    // string rather than a reference, so this region's app stack deploys while the other region is down.
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'ReplicatedCredentials', props.primary.secretName);
    this.endpoint = {
      securityGroup: this.replica.securityGroup,
      port: POSTGRES_PORT,
      secret,
      hostname: this.replica.instance.dbInstanceEndpointAddress,
      writerParameterName: writerParameterName(config, props.region),
      instanceIdentifier: this.replica.instance.instanceIdentifier,
    };
  }
}
