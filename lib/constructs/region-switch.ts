import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as arc from 'aws-cdk-lib/aws-arcregionswitch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, asNagShowsIt } from '../compliance/acknowledge';
import { checkName } from '../naming';
import type { SwitchAction } from './switch-actions';

/** What the plan acts on in one region. */
export interface RegionSwitchRegion {
  /** The region. */
  readonly region: string;
  /** The region's PostgreSQL instance (writer or cross-region replica), by ARN. */
  readonly dbInstanceArn: string;
  /** The region's Auto Scaling group, by its full ARN (the plan requires the group's UUID in it). */
  readonly autoScalingGroupArn: string;
  /** The region's switch actions (lib/constructs/switch-actions.ts), by ARN. */
  readonly actionFunctionArns: Readonly<Record<SwitchAction, string>>;
  /** The set identifier of the region's failover record, which the plan's Route 53 health check of this region serves. */
  readonly recordSetIdentifier: string;
}

/** A CloudWatch alarm the plan reads: by its name and by its ARN, whose region is where ARC reads it. */
export interface PlanAlarm {
  /** The alarm's name, which is also its key in the plan's associated alarms. */
  readonly name: string;
  /** The alarm's ARN. */
  readonly arn: string;
}

/** A trigger that activates the standby by itself when every condition alarm is in ALARM. */
export interface RegionSwitchAutoActivation {
  /** The region the trigger activates: must be the plan's standby, never its primary. */
  readonly targetRegion: string;
  /** Alarms that must all be in ALARM (1–10): independent evidence that the primary is lost. */
  readonly conditions: readonly PlanAlarm[];
  /** How the evidence reads, for the trigger's description. */
  readonly description: string;
}

/**
 * At most one automatic activation a day. After one, the standby is active and stays so: what follows
 * (fencing the old region when it answers, recording the switch in config, fail-back) is people's work.
 */
export const AUTO_ACTIVATION_MIN_MINUTES_BETWEEN = 24 * 60;

export interface RegionSwitchProps {
  /** The plan's name: 1–32 letters, digits and inner hyphens. */
  readonly planName: string;
  /**
   * The plan's primary region, first in its regions. Regions and PrimaryRegion are create-only:
   * keep them fixed when the application's roles swap, or the named plan would need replacing.
   */
  readonly primary: RegionSwitchRegion;
  /** The plan's other region. */
  readonly standby: RegionSwitchRegion;
  /** The hosted zone of the failover records. */
  readonly hostedZoneId: string;
  /** The failover records' name, e.g. `app.example.com`. */
  readonly recordName: string;
  /** The recovery time objective the plan reports executions against. */
  readonly recoveryTimeObjectiveMinutes: number;
  /**
   * The person's approval each workflow starts with, or `false` for none: the workflows then start by
   * fencing. The workflow that `autoActivation` starts has none either way: a trigger waits for no one.
   */
  readonly approval: RegionSwitchApproval | false;
  /** The trigger that activates the standby by itself. @default none: only a person starts an execution */
  readonly autoActivation?: RegionSwitchAutoActivation;
  /** Each region's application health alarm, located in the region it describes. @default none */
  readonly applicationHealthAlarms?: readonly PlanAlarm[];
}

/** The manual approval step that opens each activation workflow. */
export interface RegionSwitchApproval {
  /** How long the approval step waits for a person before the execution fails. */
  readonly timeoutMinutes: number;
  /** The role whose holders approve a switch. @default a role that principals of this account may assume where their own policies allow */
  readonly role?: iam.IRole;
}

/**
 * The ARN of the Region switch plan `planName` without the six-character suffix the service assigns:
 * `arn:<partition>:arc-region-switch::<account>:plan/<name>:*` (plan ARNs have no region).
 */
export function regionSwitchPlanArn(scope: Construct, planName: string): string {
  return Arn.format({ service: 'arc-region-switch', region: '', resource: 'plan', resourceName: `${planName}:*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, Stack.of(scope));
}

/** Step names of each activation workflow, in order (`approve` only with an approval); a nested array runs in parallel. */
export const SWITCH_STEPS = ['approve', 'fence-deactivating-region', 'await-replication', 'promote-database', 'publish-writer', 'scale-app', ['shift-dns', 'backup']] as const;

/** The activation step that fences the region being deactivated; `await-replication` counts from its end. */
export const FENCE_STEP = SWITCH_STEPS[1];

/** The one step of the post-recovery workflow: fence the region a switch left, once it answers again. */
export const POST_RECOVERY_FENCE_STEP = 'fence-inactive-region';

/**
 * In ungraceful mode the scaling step succeeds once the activated region's groups reach this share
 * of the target: in a regional event EC2 capacity may be short, and half the other region's
 * capacity serving beats DNS waiting for the step's timeout. Auto Scaling keeps adding the rest.
 */
export const UNGRACEFUL_MINIMUM_CAPACITY_PERCENT = 50;

/**
 * How long each step after the approval may take before the execution fails, in minutes. Generous
 * on purpose: a step that times out leaves the switch half done. docs/disaster-recovery.md adds
 * them up against the recovery time objective (lib/docs/recovery-budget.ts).
 */
export const STEP_TIMEOUT_MINUTES = {
  'fence-deactivating-region': 10,
  'await-replication': 15,
  'promote-database': 60,
  'publish-writer': 15,
  'scale-app': 30,
  'shift-dns': 10,
  backup: 30,
} as const;

/**
 * An Amazon ARC Region switch plan (active/passive) whose activation of either region runs,
 * in order: a person's approval, where props ask for one; fencing the region being deactivated
 * (skipped in ungraceful mode, when that region may not answer); promoting the activated
 * region's read replica; publishing it as the writer (parameter and secret); scaling its Auto
 * Scaling group to the other region's capacity; then, in parallel, moving DNS (the plan's
 * Route 53 health checks) and an on-demand backup. Every step but fencing acts in the region being activated.
 *
 * The execution role holds exactly the sample policies of the blocks used
 * (https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_execution_blocks.html),
 * scoped to the resources named in props.
 */
export class RegionSwitch extends Construct {
  /** The plan. */
  public readonly plan: arc.CfnPlan;
  /** The role the plan executes as. */
  public readonly executionRole: iam.Role;
  /** The role that may approve the approval step; undefined when the workflows have none. */
  public readonly approvalRole?: iam.IRole;
  /** The regions in the plan's order: primary, standby. */
  public readonly regions: readonly [string, string];

  constructor(scope: Construct, id: string, props: RegionSwitchProps) {
    super(scope, id);
    checkName('regionSwitchPlan', props.planName);
    this.regions = [props.primary.region, props.standby.region];
    const auto = props.autoActivation;
    if (auto && auto.targetRegion !== props.standby.region) {
      throw new Error(`A trigger may only activate the standby ${props.standby.region}, not ${auto.targetRegion}: returning to ${props.primary.region} is a person's decision`);
    }
    if (auto && (auto.conditions.length < 1 || auto.conditions.length > 10)) throw new Error(`A trigger takes 1 to 10 conditions, not ${auto.conditions.length}`);
    const planArn = regionSwitchPlanArn(this, props.planName);

    if (props.approval) this.approvalRole = props.approval.role ?? this.createApprovalRole(props.planName, planArn);
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      description: `Executes the Region switch plan ${props.planName}`,
      // The service principal of the plan's execution role: the AWS provider's acceptance test
      // of aws_arcregionswitch_plan trusts "arc-region-switch.amazonaws.com"
      // (hashicorp/terraform-provider-aws internal/service/arcregionswitch/route53_health_checks_data_source_test.go).
      assumedBy: new iam.ServicePrincipal('arc-region-switch.amazonaws.com'),
    });
    const policy = this.createExecutionPolicy(props, planArn);

    this.plan = new arc.CfnPlan(this, 'Plan', {
      name: props.planName,
      description: `Activates ${this.regions.join(' or ')} on purpose: fence, promote, publish the writer, scale, move DNS, back up`,
      executionRole: this.executionRole.roleArn,
      recoveryApproach: 'activePassive',
      regions: [...this.regions],
      primaryRegion: props.primary.region,
      recoveryTimeObjectiveMinutes: props.recoveryTimeObjectiveMinutes,
      workflows: [this.activation(props, props.primary, props.standby), this.activation(props, props.standby, props.primary), this.postRecovery(props)],
      ...this.alarmsAndTriggers(props),
    });
    // The plan evaluates its role's permissions; let them exist first.
    this.plan.node.addDependency(policy);
  }

  /**
   * The plan's alarms and trigger. Each alarm is named by its ARN, which carries the region it lives in:
   * ARC's sample policy for application health alarms grants `cloudwatch:DescribeAlarms` on one alarm ARN
   * per region ("arn:aws:cloudwatch:us-east-1:…:alarm:app-health-primary", "…:us-west-2:…:alarm:app-health-secondary",
   * https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_cloudwatch.html), so ARC
   * reads each alarm in its own region; a trigger that must fire while the primary region is down reads
   * only alarms in the standby. Each key is the alarm's own name, which the trigger's conditions name
   * (`associatedAlarmName`); `red` is the ALARM state (API_TriggerCondition: "Valid values include green and red").
   */
  private alarmsAndTriggers(props: RegionSwitchProps): Pick<arc.CfnPlanProps, 'associatedAlarms' | 'triggers'> {
    const auto = props.autoActivation;
    const associated = [
      ...(props.applicationHealthAlarms ?? []).map((alarm) => [alarm.name, { alarmType: 'applicationHealth', resourceIdentifier: alarm.arn }] as const),
      ...(auto?.conditions ?? []).map((alarm) => [alarm.name, { alarmType: 'trigger', resourceIdentifier: alarm.arn }] as const),
    ];
    return {
      ...(associated.length > 0 && { associatedAlarms: Object.fromEntries(associated) }),
      ...(auto && {
        triggers: [
          {
            action: 'activate',
            targetRegion: auto.targetRegion,
            description: auto.description,
            conditions: auto.conditions.map((alarm) => ({ associatedAlarmName: alarm.name, condition: 'red' })),
            minDelayMinutesBetweenExecutions: AUTO_ACTIVATION_MIN_MINUTES_BETWEEN,
          },
        ],
      }),
    };
  }

  /** The workflow that activates `target` and deactivates `other`. */
  private activation(props: RegionSwitchProps, target: RegionSwitchRegion, other: RegionSwitchRegion): arc.CfnPlan.WorkflowProperty {
    const both = [props.primary, props.standby];
    const lambdas = (action: SwitchAction) => both.map((r) => ({ arn: r.actionFunctionArns[action] }));
    const [, fence, awaitReplication, promote, publish, scale, [dns, backup]] = SWITCH_STEPS;
    return {
      workflowTargetAction: 'activate',
      workflowTargetRegion: target.region,
      workflowDescription: `Make ${target.region} the active region and ${other.region} passive`,
      steps: [
        // A trigger starts the workflow of its target region (the trigger names only the action and
        // the region, API_Trigger), and an approval step has no ungraceful setting to skip it
        // (API_ExecutionApprovalConfiguration: approvalRole, timeoutMinutes): the triggered workflow has none.
        ...(props.autoActivation?.targetRegion === target.region ? [] : this.approvalSteps(props.approval)),
        {
          name: fence,
          description: 'The deactivated region stops taking writes at the database: no writer in its parameter, its writer read-only and unreachable',
          executionBlockType: 'CustomActionLambda',
          executionBlockConfiguration: {
            // "you're required to specify two Lambda functions ... one in each of the plan's Regions";
            // regionToRun picks the one that runs (https://docs.aws.amazon.com/r53recovery/latest/dg/custom-action-lambda-block.html).
            // Ungraceful: "must be set to skip", the mode for a region that does not answer; the
            // post-recovery workflow fences it once it answers again.
            customActionLambdaConfig: { lambdas: lambdas('fence'), regionToRun: 'deactivatingRegion', retryIntervalMinutes: 1, timeoutMinutes: STEP_TIMEOUT_MINUTES[fence], ungraceful: { behavior: 'skip' } },
          },
        },
        {
          name: awaitReplication,
          description: "Waits until the activated region's replica has received everything the fenced writer wrote, so a planned switch loses no acknowledged write",
          executionBlockType: 'CustomActionLambda',
          executionBlockConfiguration: {
            // Ungraceful: the old writer may be gone; what it wrote after the replica's last replayed second is the stated loss.
            customActionLambdaConfig: {
              lambdas: lambdas('await-replication'),
              regionToRun: 'activatingRegion',
              retryIntervalMinutes: 1,
              timeoutMinutes: STEP_TIMEOUT_MINUTES[awaitReplication],
              ungraceful: { behavior: 'skip' },
            },
          },
        },
        {
          name: promote,
          description: "Promotes the activated region's read replica to a standalone writer",
          executionBlockType: 'RdsPromoteReadReplica',
          // "Region switch promotes the read replica in the Region that you're activating"
          // (https://docs.aws.amazon.com/r53recovery/latest/dg/rds-promote-read-replica-block.html).
          executionBlockConfiguration: { rdsPromoteReadReplicaConfig: { dbInstanceArnMap: Object.fromEntries(both.map((r) => [r.region, r.dbInstanceArn])), timeoutMinutes: STEP_TIMEOUT_MINUTES[promote] } },
        },
        {
          name: publish,
          description: 'Once promoted and taking writes, the instance becomes the writer in the parameter and the secret host',
          executionBlockType: 'CustomActionLambda',
          executionBlockConfiguration: { customActionLambdaConfig: { lambdas: lambdas('publish-writer'), regionToRun: 'activatingRegion', retryIntervalMinutes: 1, timeoutMinutes: STEP_TIMEOUT_MINUTES[publish] } },
        },
        {
          name: scale,
          description: "Scales the activated region's Auto Scaling group to the other region's capacity before traffic arrives",
          executionBlockType: 'EC2AutoScaling',
          executionBlockConfiguration: {
            // sampledMaxInLast24Hours uses the groups' desired capacity at no extra cost; the other
            // approach needs CloudWatch group metrics (https://docs.aws.amazon.com/r53recovery/latest/dg/ec2-auto-scaling-block.html).
            ec2AsgCapacityIncreaseConfig: {
              asgs: both.map((r) => ({ arn: r.autoScalingGroupArn })),
              targetPercent: 100,
              capacityMonitoringApproach: 'sampledMaxInLast24Hours',
              timeoutMinutes: STEP_TIMEOUT_MINUTES[scale],
              ungraceful: { minimumSuccessPercentage: UNGRACEFUL_MINIMUM_CAPACITY_PERCENT },
            },
          },
        },
        {
          name: 'traffic-and-backup',
          description: 'DNS and the first backup of the new writer do not depend on each other',
          executionBlockType: 'Parallel',
          executionBlockConfiguration: {
            parallelConfig: {
              steps: [
                {
                  name: dns,
                  description: "Makes the activated region's plan health check healthy and the other's unhealthy",
                  executionBlockType: 'Route53HealthCheck',
                  executionBlockConfiguration: {
                    route53HealthCheckConfig: {
                      hostedZoneId: props.hostedZoneId,
                      recordName: props.recordName,
                      recordSets: both.map((r) => ({ recordSetIdentifier: r.recordSetIdentifier, region: r.region })),
                      timeoutMinutes: STEP_TIMEOUT_MINUTES[dns],
                    },
                  },
                },
                {
                  name: backup,
                  description: 'An on-demand backup of the new writer into the activated region’s vault',
                  executionBlockType: 'CustomActionLambda',
                  executionBlockConfiguration: {
                    customActionLambdaConfig: { lambdas: lambdas('backup'), regionToRun: 'activatingRegion', retryIntervalMinutes: 5, timeoutMinutes: STEP_TIMEOUT_MINUTES[backup], ungraceful: { behavior: 'skip' } },
                  },
                },
              ],
            },
          },
        },
      ],
    };
  }

  /**
   * After an ungraceful switch the old region was never fenced: it did not answer. The post-recovery
   * workflow runs in the inactive region once it answers again ("For post-recovery workflows, use
   * activeRegion ... or inactiveRegion (the Region with no customer traffic)", API_CustomActionLambdaConfiguration),
   * started with StartPlanExecution's `postRecovery` action and the recovery execution's id
   * (API_StartPlanExecution: recoveryExecutionId, "Required when starting a post-recovery execution").
   */
  private postRecovery(props: RegionSwitchProps): arc.CfnPlan.WorkflowProperty {
    return {
      workflowTargetAction: 'postRecovery',
      workflowDescription: 'Fence the region the last switch left, once it answers again: its writer stops taking writes',
      steps: [
        {
          name: POST_RECOVERY_FENCE_STEP,
          description: 'The inactive region stops taking writes at the database: no writer in its parameter, its old writer read-only and unreachable',
          executionBlockType: 'CustomActionLambda',
          executionBlockConfiguration: {
            customActionLambdaConfig: {
              lambdas: [props.primary, props.standby].map((r) => ({ arn: r.actionFunctionArns.fence })),
              regionToRun: 'inactiveRegion',
              retryIntervalMinutes: 1,
              timeoutMinutes: STEP_TIMEOUT_MINUTES[FENCE_STEP],
            },
          },
        },
      ],
    };
  }

  /** The approval step, or none when the workflows start at fencing. */
  private approvalSteps(approval: RegionSwitchApproval | false): arc.CfnPlan.StepProperty[] {
    if (!approval || !this.approvalRole) return [];
    return [
      {
        name: SWITCH_STEPS[0],
        description: 'A person confirms the switch: it promotes a database and cannot be undone by running the plan again',
        executionBlockType: 'ManualApproval',
        executionBlockConfiguration: { executionApprovalConfig: { approvalRole: this.approvalRole.roleArn, timeoutMinutes: approval.timeoutMinutes } },
      },
    ];
  }

  private createApprovalRole(planName: string, planArn: string): iam.Role {
    const role = new iam.Role(this, 'ApprovalRole', {
      description: `Approves executions of the Region switch plan ${planName}`,
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const policy = new iam.ManagedPolicy(this, 'ApprovalPolicy', {
      description: `Approve or decline steps of ${planName} and read its executions`,
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['arc-region-switch:ApprovePlanExecutionStep', 'arc-region-switch:GetPlanExecution', 'arc-region-switch:ListPlanExecutions'], resources: [planArn] })],
    });
    acknowledge(policy, {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${asNagShowsIt(this, planArn)}]`,
      reason: 'Region switch appends a six-character id it chooses to the plan ARN; the pattern names this one plan.',
    });
    return role;
  }

  private createExecutionPolicy(props: RegionSwitchProps, planArn: string): iam.ManagedPolicy {
    const both = [props.primary, props.standby];
    const alarmArns = [...(props.applicationHealthAlarms ?? []), ...(props.autoActivation?.conditions ?? [])].map((alarm) => alarm.arn);
    const policy = new iam.ManagedPolicy(this, 'ExecutionPolicy', {
      description: `What the blocks of ${props.planName} call, on its resources only`,
      roles: [this.executionRole],
      statements: [
        // Every plan: https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_complete_policy.html
        new iam.PolicyStatement({ actions: ['iam:SimulatePrincipalPolicy'], resources: [this.executionRole.roleArn] }),
        new iam.PolicyStatement({ actions: ['arc-region-switch:GetPlan', 'arc-region-switch:GetPlanExecution', 'arc-region-switch:ListPlanExecutions'], resources: [planArn] }),
        // Manual approval: security_iam_region_switch_manual_approval.html
        ...(props.approval ? [new iam.PolicyStatement({ actions: ['arc-region-switch:ApprovePlanExecutionStep'], resources: [planArn] })] : []),
        // Custom action Lambda: security_iam_region_switch_lambda.html
        new iam.PolicyStatement({ actions: ['lambda:GetFunction', 'lambda:InvokeFunction'], resources: both.flatMap((r) => Object.values(r.actionFunctionArns)) }),
        // RDS promote: security_iam_region_switch_rds.html lists these on "*"; here the two instances.
        // Its rds:CreateDBInstanceReadReplica serves the cross-Region replica block, which this plan does not use.
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:PromoteReadReplica', 'rds:ModifyDBInstance'], resources: both.map((r) => r.dbInstanceArn) }),
        // EC2 Auto Scaling: security_iam_region_switch_ec2_autoscaling.html
        new iam.PolicyStatement({ actions: ['autoscaling:UpdateAutoScalingGroup'], resources: both.map((r) => r.autoScalingGroupArn) }),
        new iam.PolicyStatement({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricStatistics'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': 'AWS/AutoScaling' } } }),
        // Application health and trigger alarms: security_iam_region_switch_cloudwatch.html
        ...(alarmArns.length > 0 ? [new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], resources: alarmArns })] : []),
        // Route 53 health check: security_iam_region_switch_route53.html
        new iam.PolicyStatement({ actions: ['route53:ListResourceRecordSets'], resources: [Arn.format({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: props.hostedZoneId }, Stack.of(this))] }),
      ],
    });
    acknowledge(
      policy,
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'autoscaling:DescribeAutoScalingGroups and cloudwatch:GetMetricStatistics have no resource-level permissions; the metric read is limited to the AWS/AutoScaling namespace by condition, as the Region switch sample policy does.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${asNagShowsIt(this, planArn)}]`,
        reason: 'Region switch appends a six-character id it chooses to the plan ARN; the pattern names this one plan.',
      },
    );
    return policy;
  }
}
