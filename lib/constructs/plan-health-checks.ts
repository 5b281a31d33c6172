import * as path from 'node:path';
import { CustomResource, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as arc from 'aws-cdk-lib/aws-arcregionswitch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import { checkName } from '../naming';
import { EncryptionKey } from './encryption-key';

export interface PlanHealthChecksProps {
  /** The Region switch plan whose Route 53 health checks to name by region. */
  readonly plan: arc.CfnPlan;
  /** The plan's regions: each must have exactly one health check, or the deploy fails. */
  readonly regions: readonly string[];
  /** The hosted zone of the records the plan's Route 53 health check step serves. */
  readonly hostedZoneId: string;
  /** Those records' name, as the plan's step names it. */
  readonly recordName: string;
  /** The lookup function's name; its log group has the same name. */
  readonly functionName: string;
  /** How long the function's logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log key and log group when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/** The custom resource's attribute for `region` (lib/lambda/plan_health_checks.py `attribute_name`). */
export function healthCheckAttribute(region: string): string {
  return `HealthCheckId${region
    .split('-')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')}`;
}

/**
 * The Route 53 health check a Region switch plan keeps for each of its regions, by region.
 *
 * The plan's `PlanHealthChecks` attribute lists the IDs without their regions, in an order AWS
 * does not document; a record wired to the other region's check would follow the wrong region
 * on every switch. This custom resource asks ARC (`ListRoute53HealthChecks`, whose answer names
 * each check's region) when the plan is created or its checks change, and fails the deploy
 * unless every region has exactly one check.
 */
export class PlanHealthChecks extends Construct {
  /** The custom resource; its attributes are the IDs. */
  public readonly resource: CustomResource;
  private readonly regions: readonly string[];

  constructor(scope: Construct, id: string, props: PlanHealthChecksProps) {
    super(scope, id);
    this.regions = props.regions;
    const functionName = checkName('lambdaFunction', props.functionName);
    const logGroupName = checkName('logGroup', functionName);
    const logKey = new EncryptionKey(this, 'LogKey', { description: `Encrypts the logs of ${functionName}`, removalPolicy: props.removalPolicy });
    logKey.allowLogGroups(logGroupName);
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, encryptionKey: logKey, retention: props.logRetention, removalPolicy: props.removalPolicy });

    const role = new iam.Role(this, 'Role', {
      description: `Runs ${functionName}: lists the Region switch plan's Route 53 health checks; nothing else`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: "Lists the Region switch plan's Route 53 health checks and writes the function's own log group",
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['arc-region-switch:ListRoute53HealthChecks'], resources: [props.plan.attrArn] }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}:log-stream:*`] }),
      ],
    });
    acknowledge(policy, {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:log-stream:*]`,
      reason: 'Lambda names a log stream per execution environment, unknown in advance; the statement names this function’s own log group.',
    });

    const fn = new lambda.Function(this, 'Function', {
      functionName,
      description: "Names the Region switch plan's Route 53 health check of each region for the failover records (docs/disaster-recovery.md)",
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'plan_health_checks.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda'), { exclude: ['*', '!plan_health_checks.py'] }),
      role,
      logGroup,
      // Up to 40 listings 15 s apart (10 min) while ARC creates the checks and IAM applies the
      // role's policy, then the answer to CloudFormation.
      timeout: Duration.minutes(12),
    });
    fn.node.addDependency(policy);
    const outsideVpc = 'The function calls only the ARC control plane’s ListRoute53HealthChecks and CloudFormation’s presigned response URL; it reads no data and needs no network of the application.';
    acknowledge(
      fn,
      { id: 'cdk-validator-cfnguard::lambda_inside_vpc_check', reason: outsideVpc },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: outsideVpc },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
        reason: 'CloudFormation invokes the function for a custom resource and waits for its answer; a failed run fails the stack operation, which is the record.',
      },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
        reason: 'CloudFormation invokes it once per create or update of the dns-global stack; a reserved concurrency would only take from the account’s pool.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'Pinned to python3.12 like the switch actions, a supported runtime the handler is written and tested for; a newer runtime is a reviewed change with its own test run.',
      },
    );

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::RegionSwitchPlanHealthChecks',
      // A function that dies without answering (out of memory, say) holds the stack for an hour by default.
      serviceTimeout: Duration.minutes(15),
      properties: {
        PlanArn: props.plan.attrArn,
        Regions: [...props.regions],
        HostedZoneId: props.hostedZoneId,
        RecordName: props.recordName,
        // Not read by the function: a change of the plan's checks (a replaced plan) updates this
        // resource, so the IDs are looked up again.
        PlanHealthChecks: props.plan.attrPlanHealthChecks,
      },
    });
  }

  /** The ID of the plan's Route 53 health check of `region`: healthy while the plan has that region active. */
  public healthCheckIdOf(region: string): string {
    if (!this.regions.includes(region)) throw new Error(`${region} is not a region of the plan (${this.regions.join(', ')})`);
    return this.resource.getAttString(healthCheckAttribute(region));
  }
}
