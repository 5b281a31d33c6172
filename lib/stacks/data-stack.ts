import { Arn, ArnFormat, Duration, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FOUNDING_REGION, peerOf, type EnvironmentConfig, type RegionName } from '../config';
import { CredentialsRotation } from '../constructs/credentials-rotation';
import { CrossRegionBackup } from '../constructs/cross-region-backup';
import { POSTGRES_PORT, type PostgresInstanceSettings } from '../constructs/postgres';
import { PrimaryDatabase } from '../constructs/primary-database';
import { PromotionRunbook } from '../constructs/promotion-runbook';
import { addReplicaInstance, ReadReplica } from '../constructs/read-replica';
import { FENCE_STEP } from '../constructs/region-switch';
import { SwitchActions } from '../constructs/switch-actions';
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
  /** This region's credentials secret, which holds the login of whatever instance the region has. */
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

/** What a region's database instance is, from config. */
export interface RegionDatabase {
  /** Whether the region holds the writer (`primaryRegion`) or the read replica. */
  readonly role: 'writer' | 'replica';
  /** How many times the region's instance has been rebuilt as a new replica. */
  readonly generation: number;
  /** The instance's identifier: `<env>-data-<region>`, then `-g<n>` from the first rebuild on. */
  readonly instanceIdentifier: string;
  /** Whether the instance was created as the environment's first writer; every other was created as a replica. */
  readonly createdAsWriter: boolean;
}

/** The generation of `region`'s instance in `config`. */
function generationOf(config: EnvironmentConfig, region: RegionName): number {
  return config.database.generations[region] ?? 0;
}

/** The identifier of `region`'s instance of `generation`. */
export function instanceIdentifierOf(config: EnvironmentConfig, region: RegionName, generation = generationOf(config, region)): string {
  return new Naming(config.name).name('dbInstance', 'data', region, generation === 0 ? undefined : `g${generation}`);
}

/** What config says `region`'s instance is. */
export function regionDatabase(config: EnvironmentConfig, region: RegionName): RegionDatabase {
  const generation = generationOf(config, region);
  return {
    role: region === config.primaryRegion ? 'writer' : 'replica',
    generation,
    instanceIdentifier: instanceIdentifierOf(config, region, generation),
    createdAsWriter: region === FOUNDING_REGION && generation === 0,
  };
}

/**
 * The identifier of the instance `region`'s instance was created from. A replica follows the
 * other region's current writer. A promoted writer was created from the instance the other region
 * had before that region was rebuilt, one generation back: each switch rebuilds the old writer's
 * region exactly once (docs/disaster-recovery.md), which is what makes the value computable and
 * keeps `SourceDBInstanceIdentifier` unchanged through the promotion.
 */
export function sourceIdentifierOf(config: EnvironmentConfig, region: RegionName): string {
  const peer = peerOf(region);
  const peerGeneration = generationOf(config, peer);
  if (regionDatabase(config, region).role === 'replica') return instanceIdentifierOf(config, peer, peerGeneration);
  if (peerGeneration === 0) {
    throw new Error(`${region}'s writer was created as a replica, so ${peer} must have been rebuilt since (database.generations.${peer} ≥ 1)`);
  }
  return instanceIdentifierOf(config, peer, peerGeneration - 1);
}

/** The name of the writer parameter of `region`, written by that region's data stack. */
export function writerParameterName(config: EnvironmentConfig, region: RegionName): string {
  return new Naming(config.name).name('ssmParameter', 'data', region, 'writer-endpoint');
}

/** `<env>-data-<region>-switch`: the switch actions' functions are `<prefix>-<action>`. */
export function switchActionPrefix(config: EnvironmentConfig, region: RegionName): string {
  return new Naming(config.name).name('lambdaFunction', 'data', region, 'switch');
}

/** `<env>-dns-global-switch`: the Region switch plan, held by the DNS stack, whose executions run the switch actions. */
export function regionSwitchPlanName(config: EnvironmentConfig): string {
  return new Naming(config.name).name('regionSwitchPlan', 'dns', 'global', 'switch');
}

/** Every instance `region` has had, oldest first: generation 0 up to the current one. */
export function instanceIdentifiersOf(config: EnvironmentConfig, region: RegionName): string[] {
  return Array.from({ length: generationOf(config, region) + 1 }, (_, generation) => instanceIdentifierOf(config, region, generation));
}

/**
 * The name of `region`'s credentials secret. Each region has its own, holding the one login of the
 * replicated database; the rotation keeps them equal (lib/constructs/credentials-rotation.ts).
 */
export function secretNameOf(config: EnvironmentConfig, region: RegionName): string {
  return new Naming(config.name).name('secret', 'data', region, 'credentials');
}

/** `<env>-data-<region>-credentials-rotation`: the function that rotates `region`'s credentials. */
export function credentialsRotationFunctionName(config: EnvironmentConfig, region: RegionName): string {
  return new Naming(config.name).name('lambdaFunction', 'data', region, 'credentials-rotation');
}

export interface DataStackProps extends Omit<ServiceStackProps, 'service' | 'stateful'> {
  /** The same region's network. */
  readonly network: NetworkStack;
}

/**
 * `<env>-data-<region>`: the region's database instance, the writer or the cross-region read
 * replica of the other region's writer as `primaryRegion` says, with what stays for the region's
 * lifetime whatever its role (key, credentials and their rotation, backup vault, writer parameter).
 * The writer's region backs up daily with a
 * copy to the other region; the replica's region has the promotion runbook.
 *
 * The stack refers to the other region only by names (the source instance's ARN, the copy vault's
 * ARN, the other region's secret and rotation function), never by a CloudFormation reference, so each region's data stack
 * deploys while the other region is down, and its instance keeps its logical ID and properties
 * from replica to promoted writer.
 */
export class DataStack extends ServiceStack {
  /** What config says this region's instance is. */
  public readonly database: RegionDatabase;
  /** The founding region's key, credentials and first writer. */
  public readonly founding?: PrimaryDatabase;
  /** The other region's key, vault and first instance (the replica, later perhaps the writer). */
  public readonly standby?: ReadReplica;
  /** The region's current instance. */
  public readonly instance: rds.IDatabaseInstance;
  /** Backs up the writer with a copy to the other region; in a replica region, only the vault. */
  public readonly backup: CrossRegionBackup;
  /** Names this region's writer: its own instance, or none in the replica's region. */
  public readonly writerEndpoint: WriterEndpoint;
  /** Promotes the replica by hand, in the replica's region. */
  public readonly runbook?: PromotionRunbook;
  /** How the app tier reaches this region's instance. */
  public readonly endpoint: DatabaseEndpoint;
  /** The Region switch's steps that act on this region. */
  public readonly switchActions: SwitchActions;
  /** Rotates this region's credentials, in step with the other region's. */
  public readonly credentialsRotation: CredentialsRotation;

  constructor(scope: Construct, props: DataStackProps) {
    super(scope, { ...props, service: 'data', stateful: true });
    const { config } = this;
    const { database: settings } = config;
    const peer = peerOf(props.region);
    const database = regionDatabase(config, props.region);
    this.database = database;
    const peerNames = new Naming(config.name);
    const network = props.network;

    const shared: PostgresInstanceSettings = {
      multiAz: settings.multiAz,
      maxAllocatedStorageGiB: settings.maxAllocatedStorageGiB,
      monitoringInterval: Duration.seconds(settings.monitoringIntervalSeconds),
      maintenanceWindow: settings.maintenanceWindow,
      deletionProtection: settings.deletionProtection,
    };
    const instanceType = (name: string) => new ec2.InstanceType(name.replace(/^db\./, ''));
    const replicaSettings = () => ({
      sourceInstanceArn: instanceArn(this, peer, sourceIdentifierOf(config, props.region)),
      sourceRegion: peer,
      promoted: database.role === 'writer',
      vpc: network.vpc,
      subnets: network.dataSubnets,
      replicaInstanceType: instanceType(settings.replicaInstanceType),
      writerInstanceType: instanceType(settings.instanceType),
      backupRetention: Duration.days(settings.backupRetentionDays),
      backupWindow: settings.backupWindow,
      settings: shared,
      logRetention: config.logRetentionDays,
      securityGroupName: this.names.name('nameTag', 'database'),
      removalPolicy: this.statefulRemovalPolicy,
    });

    let current: { instance: rds.IDatabaseInstance; securityGroup: ec2.ISecurityGroup } | undefined;
    if (props.region === FOUNDING_REGION) {
      this.founding = new PrimaryDatabase(this, 'Database', {
        instanceIdentifier: instanceIdentifierOf(config, props.region, 0),
        secretName: secretNameOf(config, props.region),
        removalPolicy: this.statefulRemovalPolicy,
        firstWriter: database.createdAsWriter
          ? {
              vpc: network.vpc,
              subnets: network.dataSubnets,
              instanceType: instanceType(settings.instanceType),
              allocatedStorageGiB: settings.allocatedStorageGiB,
              backupRetention: Duration.days(settings.backupRetentionDays),
              backupWindow: settings.backupWindow,
              settings: shared,
              logRetention: config.logRetentionDays,
              securityGroupName: this.names.name('nameTag', 'database'),
            }
          : undefined,
      });
      if (this.founding.instance && this.founding.securityGroup) current = { instance: this.founding.instance, securityGroup: this.founding.securityGroup };
    } else {
      this.standby = new ReadReplica(this, 'Replica', {
        instanceIdentifier: instanceIdentifierOf(config, props.region, 0),
        backupVaultName: this.names.name('backupVault', 'vault'),
        secretName: secretNameOf(config, props.region),
        removalPolicy: this.statefulRemovalPolicy,
        firstInstance: database.generation === 0 ? replicaSettings() : undefined,
      });
      current = this.standby.replica;
    }
    // What lasts as long as the region: the key of its instances, logs and vault, and its credentials.
    const regionKey = this.founding?.key ?? this.standby!.key;
    const secret = this.founding?.secret ?? this.standby!.secret;
    if (config.protectStatefulResources) {
      // Nobody in the account deletes the login of a protected database by hand, not even an administrator
      // (a resource policy's Deny, which identity policies cannot override); CloudFormation retains it too.
      secret.addToResourcePolicy(
        new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['secretsmanager:DeleteSecret'], principals: [new iam.AccountRootPrincipal()], resources: ['*'] }),
      );
    }
    // Rebuilt as a new generation: the instance lives beside the region's lasting key and vault,
    // under an id of its own so that CloudFormation creates it rather than replacing the old one.
    current ??= addReplicaInstance(new Construct(this, `Generation${database.generation}`), {
      ...replicaSettings(),
      instanceIdentifier: database.instanceIdentifier,
      key: regionKey,
    });
    this.instance = current.instance;

    const copyVaultName = peerNames.name('backupVault', 'data', peer, 'vault');
    const backupCommon = {
      instance: database.role === 'writer' ? current.instance : undefined,
      planName: this.names.name('backupPlan', 'daily'),
      copyRegion: peer,
      copyVaultName,
      retention: Duration.days(settings.backupRetentionDays),
      backupWindow: settings.backupWindow,
      maintenanceWindow: settings.maintenanceWindow,
      removalPolicy: this.statefulRemovalPolicy,
    };
    this.backup = this.standby
      ? new CrossRegionBackup(this, 'Backup', { ...backupCommon, vault: this.standby.backupVault })
      : new CrossRegionBackup(this, 'Backup', { ...backupCommon, vaultName: this.names.name('backupVault', 'vault'), key: regionKey });

    this.writerEndpoint = new WriterEndpoint(this, 'WriterEndpoint', {
      parameterName: writerParameterName(config, props.region),
      value: database.role === 'writer' ? current.instance.dbInstanceEndpointAddress : NO_WRITER,
    });

    if (database.role === 'replica') {
      this.runbook = new PromotionRunbook(this, 'PromotionRunbook', {
        replica: current.instance,
        documentName: this.names.name('ssmDocument', 'promote-replica'),
        backupRetentionDays: settings.backupRetentionDays,
        writerParameter: this.writerEndpoint.parameter,
      });
    }

    // The Region switch's custom steps in this region (lib/constructs/region-switch.ts runs them):
    // fence this region, publish its writer, back it up. Named so the plan finds them by name.
    this.switchActions = new SwitchActions(this, 'SwitchActions', {
      writerParameterName: writerParameterName(config, props.region),
      dbInstanceIdentifier: database.instanceIdentifier,
      // A kept old writer (a previous generation, retained where state is protected) is fenced too.
      fencedInstanceIdentifiers: instanceIdentifiersOf(config, props.region),
      vpc: network.vpc,
      fencedSecurityGroupName: this.names.name('nameTag', 'fenced-database'),
      planName: regionSwitchPlanName(config),
      fenceStepName: FENCE_STEP,
      secretName: secretNameOf(config, props.region),
      secretKeyArn: regionKey.keyArn,
      backupVaultName: this.backup.vault.backupVaultName,
      backupVaultKeyArn: regionKey.keyArn,
      functionNamePrefix: switchActionPrefix(config, props.region),
      logRetention: config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });

    // In every state, whichever region holds the writer: there the rotation sets a new master password,
    // and the other region's rotation copies it, so each region's app reads a login that works.
    this.credentialsRotation = new CredentialsRotation(this, 'CredentialsRotation', {
      secret,
      key: regionKey,
      dbInstanceIdentifier: database.instanceIdentifier,
      writerParameterName: writerParameterName(config, props.region),
      peerRegion: peer,
      peerSecretName: secretNameOf(config, peer),
      functionName: credentialsRotationFunctionName(config, props.region),
      peerFunctionName: credentialsRotationFunctionName(config, peer),
      rotationInterval: Duration.days(settings.rotationDays),
      logRetention: config.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
      // The first writer's secret attachment writes the host into the secret when the instance exists: not at the same time.
      rotatesAfter: [current.instance, this.writerEndpoint, ...(this.founding?.instance?.secret ? [this.founding.instance.secret] : [])],
    });

    this.endpoint = {
      securityGroup: current.securityGroup,
      port: POSTGRES_PORT,
      secret,
      hostname: current.instance.dbInstanceEndpointAddress,
      writerParameterName: writerParameterName(config, props.region),
      instanceIdentifier: database.instanceIdentifier,
    };
  }
}

/** The ARN of the instance `identifier` in `region`, built from names: no reference to the other region's stack. */
export function instanceArn(stack: Stack, region: string, identifier: string): string {
  return Arn.format({ service: 'rds', region, resource: 'db', resourceName: identifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
}
