import { fullDiff, ResourceImpact, type ResourceDifference, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { STATEFUL_TYPES } from '../stateful';

/** One resource of a CloudFormation template, as JSON. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly [key: string]: unknown;
}

/** A CloudFormation template, as JSON. */
export interface CloudFormationTemplate {
  readonly Resources?: Record<string, TemplateResource>;
  readonly [key: string]: unknown;
}

/** Templates by stack name. */
export type StackTemplates = Readonly<Record<string, CloudFormationTemplate>>;

/** What the gate blocks, and what an acknowledgement names. */
export const CHANGE_KINDS = ['replace', 'remove', 'widen-iam', 'widen-security-group'] as const;

/**
 * `replace`: CloudFormation will (or, per the resource spec, may) replace a stateful resource;
 * `remove`: it deletes or orphans one; `widen-iam`: a policy allows more;
 * `widen-security-group`: a security group takes or sends more traffic.
 */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Deletion and replace policies that keep or snapshot a resource, i.e. mark it as holding state. */
const KEEPING_POLICIES = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

/** Why losing this resource matters, or undefined when it holds no state. */
export function statefulReason(resource: TemplateResource): string | undefined {
  const byType = STATEFUL_TYPES[resource.Type];
  if (byType) return byType;
  const policy = [resource.DeletionPolicy, resource.UpdateReplacePolicy].find((p) => p !== undefined && KEEPING_POLICIES.has(p));
  return policy && `its ${policy} policy marks it as holding state`;
}

/** A change the gate blocks unless it is acknowledged. */
export interface UnsafeChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly kind: ChangeKind;
  /** What changes and why it matters, in a few words. */
  readonly detail: string;
}

const REPLACING = new Set([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE]);
const REMOVING = new Set([ResourceImpact.WILL_DESTROY, ResourceImpact.WILL_ORPHAN]);

/** Replacement or removal of a stateful resource, with the properties that cause it. */
function destructiveChange(stack: string, logicalId: string, change: ResourceDifference): UnsafeChange | undefined {
  const impact = change.changeImpact;
  const old = change.oldValue;
  if (old === undefined || !(REPLACING.has(impact) || REMOVING.has(impact))) return undefined;
  const reason = statefulReason(old);
  if (reason === undefined) return undefined;
  const base = { stack, logicalId, resourceType: old.Type };
  if (REMOVING.has(impact)) {
    const how = impact === ResourceImpact.WILL_ORPHAN ? 'removed from the stack and orphaned' : 'deleted';
    return { ...base, kind: 'remove', detail: `${how}; ${reason}` };
  }
  const verb = impact === ResourceImpact.WILL_REPLACE ? 'will be replaced' : 'may be replaced';
  const cause = change.resourceTypeChanged
    ? `its type becomes ${change.newResourceType}`
    : `${Object.entries(change.propertyUpdates)
        .filter(([, p]) => p.changeImpact !== undefined && REPLACING.has(p.changeImpact))
        .map(([name]) => name)
        .join(', ')} changes`;
  return { ...base, kind: 'replace', detail: `${verb} (${cause}); ${reason}` };
}

/** Elements of `part` that `whole` also holds: what a resource adds that the stack as a whole adds too. */
function alsoIn<T extends { equal(other: T): boolean }>(part: readonly T[], whole: readonly T[]): T[] {
  return part.filter((element) => whole.some((w) => w.equal(element)));
}

type Statement = TemplateDiff['iamChanges']['statements']['additions'][number];
type Rule = TemplateDiff['securityGroupChanges']['ingress']['additions'][number];

const oneLine = (text: string) => text.split('\n').join(', ');

function describeStatement(statement: Statement): string {
  const s = statement.render();
  const verb = statement.isNegativeStatement ? 'drops a deny of' : 'allows';
  return `${verb} ${oneLine(s.action)} on ${oneLine(s.resource)} to ${oneLine(s.principal)}${s.condition ? ' with a condition' : ''}`;
}

function describeRule(direction: 'ingress' | 'egress', rule: Rule): string {
  return `${direction} ${rule.describeProtocol()} ${direction === 'ingress' ? 'from' : 'to'} ${rule.describePeer()}`;
}

/** Summary of what a resource widens: the first item and how many more. */
function summary(items: string[]): string {
  return items.length > 1 ? `${items[0]} (and ${items.length - 1} more)` : items[0];
}

/** Resources that only attach a policy to something else, which stays when they go: `AWS::IAM::Policy`, `AWS::S3::BucketPolicy`, `AWS::Lambda::Permission`… */
const POLICY_RESOURCE_TYPE = /Policy$|::Permission$/;

const only = (template: CloudFormationTemplate, logicalId: string): CloudFormationTemplate => {
  const resource = template.Resources?.[logicalId];
  return { Resources: resource ? { [logicalId]: resource } : {} };
};

/**
 * IAM and security-group widening per resource. The stack's diff says whether access
 * widens; each changed resource's own diff says where. Only what the stack's diff also
 * adds counts, so a statement or rule that moves from one resource to another widens nothing.
 */
function wideningChanges(stack: string, base: CloudFormationTemplate, head: CloudFormationTemplate, diff: TemplateDiff): UnsafeChange[] {
  if (!diff.iamChanges.permissionsBroadened && !diff.securityGroupChanges.rulesAdded) return [];
  const { statements, managedPolicies } = diff.iamChanges;
  const changes: UnsafeChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const resourceType = (change.newValue ?? change.oldValue)?.Type ?? 'unknown';
    // A deleted key or secret takes its own policy with it: dropping that policy's denies opens nothing.
    if (change.isRemoval && !POLICY_RESOURCE_TYPE.test(resourceType)) return;
    const own = fullDiff(only(base, logicalId), only(head, logicalId));
    const iam = [
      ...alsoIn(own.iamChanges.statements.additions, statements.additions).filter((s) => !s.isNegativeStatement).map(describeStatement),
      ...alsoIn(own.iamChanges.statements.removals, statements.removals).filter((s) => s.isNegativeStatement).map(describeStatement),
      ...alsoIn(own.iamChanges.managedPolicies.additions, managedPolicies.additions).map((m) => `attaches ${m.managedPolicyArn}`),
    ];
    if (iam.length > 0) changes.push({ stack, logicalId, resourceType, kind: 'widen-iam', detail: summary(iam) });
    const rules = [
      ...alsoIn(own.securityGroupChanges.ingress.additions, diff.securityGroupChanges.ingress.additions).map((r) => describeRule('ingress', r)),
      ...alsoIn(own.securityGroupChanges.egress.additions, diff.securityGroupChanges.egress.additions).map((r) => describeRule('egress', r)),
    ];
    if (rules.length > 0) changes.push({ stack, logicalId, resourceType, kind: 'widen-security-group', detail: `adds ${summary(rules)}` });
  });
  return changes;
}

/**
 * What deploying `head` over `base` would do that the gate blocks: replacing or
 * removing a stateful resource, and widening IAM or security-group access. A stack
 * only in `base` counts as removing every resource; a stack only in `head` is new
 * and has nothing to lose.
 */
export function findUnsafeChanges(base: StackTemplates, head: StackTemplates): UnsafeChange[] {
  return Object.keys(base)
    .sort()
    .flatMap((stack) => {
      const before = base[stack];
      const after = head[stack];
      const diff = fullDiff(before, after ?? { Resources: {} });
      const destructive: UnsafeChange[] = [];
      diff.resources.forEachDifference((logicalId, change) => {
        const unsafe = destructiveChange(stack, logicalId, change);
        if (unsafe) destructive.push(unsafe);
      });
      // A stack that is gone grants nothing any more.
      return after === undefined ? destructive : [...destructive, ...wideningChanges(stack, before, after, diff)];
    });
}

/** One line naming the stack, the resource, its type and why the change is unsafe. */
export function formatChange(change: UnsafeChange): string {
  return `${change.stack} ${change.logicalId} (${change.resourceType}) ${change.kind}: ${change.detail}`;
}
