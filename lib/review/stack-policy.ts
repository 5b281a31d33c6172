import { statefulReason, type CloudFormationTemplate } from './change-safety';

/** A CloudFormation stack policy document (`aws cloudformation set-stack-policy --stack-policy-body`). */
export interface StackPolicy {
  readonly Statement: ReadonlyArray<{
    readonly Effect: 'Allow' | 'Deny';
    readonly Principal: '*';
    readonly Action: string | string[];
    readonly Resource: string | string[];
  }>;
}

/** Logical IDs of the template's stateful resources, as the change-safety gate decides them, sorted. */
export function statefulLogicalIds(template: CloudFormationTemplate): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => statefulReason(resource) !== undefined)
    .map(([logicalId]) => logicalId)
    .sort();
}

/**
 * A stack policy that lets every update through except replacing or deleting the
 * stateful resources, and `dependencies` (logical IDs of this stack that stateful
 * resources depend on, `statefulDependencies` of change-safety.ts: the VPC and subnets
 * under a database in another stack), so a deploy that would lose state fails at
 * CloudFormation even when it got past review. `exempt` lifts the deny for resources
 * whose replacement or removal is acknowledged.
 */
export function stackPolicy(template: CloudFormationTemplate, exempt: readonly string[] = [], dependencies: readonly string[] = []): StackPolicy {
  const guarded = [...new Set([...statefulLogicalIds(template), ...dependencies])].sort().filter((id) => !exempt.includes(id));
  const allow = { Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' } as const;
  if (guarded.length === 0) return { Statement: [allow] };
  return {
    Statement: [
      allow,
      { Effect: 'Deny', Principal: '*', Action: ['Update:Replace', 'Update:Delete'], Resource: guarded.map((id) => `LogicalResourceId/${id}`) },
    ],
  };
}
