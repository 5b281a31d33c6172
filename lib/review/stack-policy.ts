import { statefulDependencies, statefulReason, type CloudFormationTemplate, type StackTemplates, type UnsafeChange } from './change-safety';

/**
 * A CloudFormation stack policy document (`aws cloudformation set-stack-policy --stack-policy-body`).
 *
 * Shape, from "Prevent updates to stack resources" in the CloudFormation user guide
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html):
 * each statement needs Effect, Action (`Update:Modify`, `Update:Replace`, `Update:Delete`
 * or `Update:*`), Principal (only `*` is supported) and Resource (`*` or
 * `LogicalResourceId/<id>`; NotResource and a ResourceType Condition also exist, unused
 * here). Once a stack has a policy, every update it does not explicitly allow is denied,
 * and a policy can be replaced but never removed: so every policy here starts with
 * `Allow Update:*` on `*`, and an explicit Deny wins over it for the guarded resources.
 * Update:Delete is the removal of a resource from the template; Update:Replace a change
 * that gives it a new physical ID.
 */
export interface StackPolicy {
  readonly Statement: ReadonlyArray<{
    readonly Effect: 'Allow' | 'Deny';
    readonly Principal: '*';
    readonly Action: string | string[];
    readonly Resource: string | string[];
  }>;
}

/** SetStackPolicy's limit on StackPolicyBody, in characters (botocore's CloudFormation model: max 16384). */
export const STACK_POLICY_BODY_LIMIT = 16_384;

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
 * @throws Error when the policy is longer than SetStackPolicy accepts
 */
export function stackPolicy(template: CloudFormationTemplate, exempt: readonly string[] = [], dependencies: readonly string[] = []): StackPolicy {
  const guarded = [...new Set([...statefulLogicalIds(template), ...dependencies])].sort().filter((id) => !exempt.includes(id));
  const allow = { Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' } as const;
  const policy: StackPolicy = guarded.length === 0
    ? { Statement: [allow] }
    : {
        Statement: [
          allow,
          { Effect: 'Deny', Principal: '*', Action: ['Update:Replace', 'Update:Delete'], Resource: guarded.map((id) => `LogicalResourceId/${id}`) },
        ],
      };
  const length = JSON.stringify(policy).length;
  if (length > STACK_POLICY_BODY_LIMIT) {
    throw new Error(`the stack policy guarding ${guarded.length} resources is ${length} characters; SetStackPolicy accepts at most ${STACK_POLICY_BODY_LIMIT}`);
  }
  return policy;
}

/**
 * The stack policy of each of `stacks` for deploying `head` over `base`. Each guards what
 * is deployed and what will be (so a resource the head drops is still protected) and what
 * those depend on, in any stack; `acknowledged` (the review's acknowledged changes) lifts
 * the deny for each resource whose replacement or removal it names, in its own stack
 * only. Without acknowledgements the policies are strict.
 */
export function stackPolicies(base: StackTemplates, head: StackTemplates, stacks: readonly string[], acknowledged: readonly UnsafeChange[] = []): Record<string, StackPolicy> {
  const dependencies = statefulDependencies(base, head);
  return Object.fromEntries(
    stacks.map((stack) => {
      const resources = { ...base[stack]?.Resources, ...head[stack]?.Resources };
      const exempt = acknowledged.filter((c) => c.stack === stack && (c.kind === 'replace' || c.kind === 'remove')).map((c) => c.logicalId);
      const guardedDependencies = dependencies.filter((d) => d.stack === stack).map((d) => d.logicalId);
      return [stack, stackPolicy({ Resources: resources }, exempt, guardedDependencies)];
    }),
  );
}

/** The policies one deploy step sets: `before` its `cdk deploy`, and `after` it. */
export interface DeployStackPolicies {
  /**
   * For each stack of the step that is deployed already: its acknowledged replacements and
   * removals exempt, so CloudFormation lets exactly those through during this deploy.
   */
  readonly before: Record<string, StackPolicy>;
  /**
   * For each stack of the step: strict (no exemption), over the deployed and the new
   * template, so it holds whether the deploy succeeded or rolled back, and for a stack
   * the deploy created.
   */
  readonly after: Record<string, StackPolicy>;
}

/**
 * What a deploy step of `stacks` sets, given the templates CloudFormation holds
 * (`deployed`, every stack of the environment that exists, so dependencies across stacks
 * are seen), the synthesized `head`, and the review's acknowledged changes between them.
 * A stack not deployed yet has no `before`: a create is not an update, and a stack policy
 * guards updates only.
 */
export function deployStackPolicies(deployed: StackTemplates, head: StackTemplates, stacks: readonly string[], acknowledged: readonly UnsafeChange[]): DeployStackPolicies {
  return {
    before: stackPolicies(deployed, head, stacks.filter((stack) => stack in deployed), acknowledged),
    after: stackPolicies(deployed, head, stacks),
  };
}
