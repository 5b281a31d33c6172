import { PermissionsBoundary, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { permissionsBoundaryArn } from '../bootstrap/permissions-boundary';
import { PROTECTED_STATE_REMOVAL } from '../stateful';
import type { EnvironmentConfig, RegionName } from '../config';
import { Naming, ServiceNaming, type Location, type Service } from '../naming';

/** What every stack of this app is told about where it stands. */
export interface ServiceStackProps extends Omit<StackProps, 'env' | 'stackName'> {
  /** The validated environment this stack belongs to. */
  readonly config: EnvironmentConfig;
  /** The service the stack holds; second part of its name. */
  readonly service: Service;
  /** The region the stack deploys to. */
  readonly region: RegionName;
  /** The location in the stack's name. @default - the region */
  readonly location?: Location;
  /** Holds state that must survive: termination protection where config protects stateful resources. @default false */
  readonly stateful?: boolean;
}

/**
 * A stack named `<environment>-<service>-<location>`, pinned to the environment's
 * account and region, whose Availability Zones come from config so synth never asks AWS,
 * and whose every IAM role carries the project's permissions boundary.
 */
export class ServiceStack extends Stack {
  /** The validated environment this stack belongs to. */
  public readonly config: EnvironmentConfig;
  /** Names for this stack's resources. */
  public readonly names: ServiceNaming;
  /**
   * Where config protects stateful resources, retained when they leave the stack or are
   * replaced, yet deleted when their first create rolls back, so a failed first deploy
   * can simply be retried (a retained, fixed-name leftover would fail it with "already
   * exists"); DESTROY elsewhere.
   */
  public readonly statefulRemovalPolicy: RemovalPolicy;
  private readonly zones: string[];

  constructor(scope: Construct, props: ServiceStackProps) {
    const { config, service, region, location = region, stateful = false, ...stackProps } = props;
    const naming = new Naming(config.name);
    const stackName = naming.stackName(service, location);
    super(scope, stackName, {
      ...stackProps,
      stackName,
      env: { account: config.account, region },
      terminationProtection: stateful && config.protectStatefulResources,
      // The execution policy lets CloudFormation write a role only with this boundary.
      permissionsBoundary: PermissionsBoundary.fromArn(permissionsBoundaryArn(config.tags.project, config.account)),
    });
    this.config = config;
    this.names = new ServiceNaming(naming, service, location);
    this.statefulRemovalPolicy = config.protectStatefulResources ? PROTECTED_STATE_REMOVAL : RemovalPolicy.DESTROY;
    this.zones = config.regions[region].availabilityZones;
  }

  /** The configured AZs, instead of a context lookup that needs AWS credentials. */
  public override get availabilityZones(): string[] {
    return this.zones;
  }
}
