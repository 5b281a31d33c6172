import { formatDifferences, fullDiff, ResourceImpact, type FormatStream, type ResourceDifference, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
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
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }>;
  readonly [key: string]: unknown;
}

/** Templates by stack name. */
export type StackTemplates = Readonly<Record<string, CloudFormationTemplate>>;

/** What the gate blocks, and what an acknowledgement names. */
export const CHANGE_KINDS = ['replace', 'remove', 'widen-iam', 'widen-security-group'] as const;

/**
 * `replace`: CloudFormation will (or, per the resource spec, may) replace a stateful resource,
 * or a resource one depends on; `remove`: it deletes or orphans one of either; `widen-iam`: a policy allows more;
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

/** Whether a change replaces or removes the resource, and how, in a few words; undefined when it does neither. */
function replacementOrRemoval(change: ResourceDifference): { kind: 'replace' | 'remove'; how: string } | undefined {
  const impact = change.changeImpact;
  if (change.oldValue === undefined) return undefined;
  if (REMOVING.has(impact)) {
    return { kind: 'remove', how: impact === ResourceImpact.WILL_ORPHAN ? 'removed from the stack and orphaned' : 'deleted' };
  }
  if (!REPLACING.has(impact)) return undefined;
  const verb = impact === ResourceImpact.WILL_REPLACE ? 'will be replaced' : 'may be replaced';
  const cause = change.resourceTypeChanged
    ? `its type becomes ${change.newResourceType}`
    : `${Object.entries(change.propertyUpdates)
        .filter(([, p]) => p.changeImpact !== undefined && REPLACING.has(p.changeImpact))
        .map(([name]) => name)
        .join(', ')} changes`;
  return { kind: 'replace', how: `${verb} (${cause})` };
}

/** Replacement or removal of a stateful resource, with the properties that cause it. */
function destructiveChange(stack: string, logicalId: string, change: ResourceDifference): UnsafeChange | undefined {
  const old = change.oldValue;
  const destructive = replacementOrRemoval(change);
  const reason = old && statefulReason(old);
  if (old === undefined || destructive === undefined || reason === undefined) return undefined;
  return { stack, logicalId, resourceType: old.Type, kind: destructive.kind, detail: `${destructive.how}; ${reason}` };
}

/** One resource of one stack. */
export interface StackResource {
  readonly stack: string;
  readonly logicalId: string;
}

/** A resource that a stateful resource references, directly or through others, in its stack or through another stack's outputs. */
export interface StatefulDependency extends StackResource {
  /** The stateful resource that depends on it; of several, the first by {@link STATEFUL_TYPES} order (a database before a log group). */
  readonly dependent: StackResource & { readonly resourceType: string; readonly reason: string };
  /** The resources between the two, nearest the dependent first; empty when it references the dependency itself. */
  readonly through: readonly StackResource[];
  /** How many other stateful resources depend on it. */
  readonly otherDependents: number;
  /** Whether the base templates (what is deployed) have it as a dependency; otherwise only the head does. */
  readonly inBase: boolean;
}

const resourceKey = (r: StackResource) => `${r.stack} ${r.logicalId}`;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a part of a template references: names in its own stack (resources, parameters, pseudo parameters), other stacks' outputs, exports. */
interface References {
  readonly names: Set<string>;
  readonly outputs: StackResource[];
  readonly exports: string[];
}

/**
 * Collects the references in `value`: `Ref`, `Fn::GetAtt`, the `${…}` of `Fn::Sub` (but its
 * own variables), `Fn::GetStackOutput` (another stack's output by name: CDK's weak cross-stack
 * references) and `Fn::ImportValue` (an export by name).
 */
function collectReferences(value: unknown, into: References): void {
  if (Array.isArray(value)) {
    for (const element of value) collectReferences(element, into);
    return;
  }
  if (!isRecord(value)) return;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [[fn, arg]] = entries;
    if (fn === 'Ref' && typeof arg === 'string') into.names.add(arg);
    else if (fn === 'Fn::GetAtt' && typeof arg === 'string') into.names.add(arg.split('.')[0]);
    else if (fn === 'Fn::GetAtt' && Array.isArray(arg) && typeof arg[0] === 'string') into.names.add(arg[0]);
    else if (fn === 'Fn::Sub') {
      const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1]] : [undefined, undefined];
      if (typeof text === 'string') {
        for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          if (!(isRecord(variables) && Object.hasOwn(variables, name.trim()))) into.names.add(name.trim().split('.')[0]);
        }
      }
    } else if (fn === 'Fn::GetStackOutput' && isRecord(arg) && typeof arg.StackName === 'string' && typeof arg.OutputName === 'string') {
      into.outputs.push({ stack: arg.StackName, logicalId: arg.OutputName });
    } else if (fn === 'Fn::ImportValue' && typeof arg === 'string') into.exports.push(arg);
  }
  for (const [, nested] of entries) collectReferences(nested, into);
}

/** The resources of a set of templates that each resource references directly, following outputs and exports into the other stacks. */
class ReferenceGraph {
  private readonly exports = new Map<string, StackResource>();

  constructor(private readonly templates: StackTemplates) {
    for (const [stack, template] of Object.entries(templates)) {
      for (const [output, { Export: exported }] of Object.entries(template.Outputs ?? {})) {
        if (typeof exported?.Name === 'string') this.exports.set(exported.Name, { stack, logicalId: output });
      }
    }
  }

  /** What `value`, a part of `stack`'s template, references: its own resources, and those the outputs it reads hold. */
  private targets(stack: string, value: unknown, outputsSeen: Set<string>): StackResource[] {
    const references: References = { names: new Set(), outputs: [], exports: [] };
    collectReferences(value, references);
    const resources = this.templates[stack]?.Resources ?? {};
    const own = [...references.names].filter((name) => Object.hasOwn(resources, name)).map((logicalId) => ({ stack, logicalId }));
    const outputs = [...references.outputs, ...references.exports.flatMap((name) => this.exports.get(name) ?? [])];
    const across = outputs.flatMap((output) => {
      const key = resourceKey(output);
      const found = this.templates[output.stack]?.Outputs?.[output.logicalId];
      if (outputsSeen.has(key) || found === undefined) return [];
      outputsSeen.add(key);
      return this.targets(output.stack, found.Value, outputsSeen);
    });
    return [...own, ...across];
  }

  /** The resources `node` references directly: through its properties, `DependsOn` and the outputs of other stacks. */
  edges(node: StackResource): StackResource[] {
    const resource = this.templates[node.stack]?.Resources?.[node.logicalId];
    if (resource === undefined) return [];
    // Metadata references nothing CloudFormation resolves; DependsOn names resources without an intrinsic.
    const references = Object.entries(resource).filter(([key]) => key !== 'Metadata' && key !== 'DependsOn');
    const dependsOn = [resource.DependsOn].flat().filter((d): d is string => typeof d === 'string');
    const targets = [...this.targets(node.stack, Object.fromEntries(references), new Set()), ...dependsOn.map((logicalId) => ({ stack: node.stack, logicalId }))];
    const unique = new Map(targets.filter((t) => resourceKey(t) !== resourceKey(node)).map((t) => [resourceKey(t), t]));
    return [...unique.values()];
  }
}

/** Stateful types first, in {@link STATEFUL_TYPES} order, then resources stateful only by their policy. */
const STATEFUL_ORDER = Object.keys(STATEFUL_TYPES);
const statefulRank = (type: string) => (STATEFUL_ORDER.includes(type) ? STATEFUL_ORDER.indexOf(type) : STATEFUL_ORDER.length);

/**
 * Walks `templates` from their stateful resources that `other` also has, transitively along
 * every reference, within a stack and across stacks through outputs. A stateful resource
 * that leaves is blocked as such, and what it leaves behind goes with it: the walk neither
 * starts nor passes there (the writer parameter reads the old writer's endpoint, but the
 * old writer's subnet group is the old writer's, not the parameter's).
 */
function walkDependencies(templates: StackTemplates, other: StackTemplates): Map<string, Omit<StatefulDependency, 'inBase' | 'otherDependents'> & { dependents: Set<string> }> {
  const graph = new ReferenceGraph(templates);
  const leaving = (r: StackResource) => {
    const resource = templates[r.stack]?.Resources?.[r.logicalId];
    return resource !== undefined && statefulReason(resource) !== undefined && other[r.stack]?.Resources?.[r.logicalId] === undefined;
  };
  const roots = Object.entries(templates)
    .flatMap(([stack, template]) =>
      Object.entries(template.Resources ?? {}).flatMap(([logicalId, resource]) => {
        const reason = statefulReason(resource);
        return reason !== undefined && !leaving({ stack, logicalId }) ? [{ stack, logicalId, resourceType: resource.Type, reason }] : [];
      }),
    )
    .sort((a, b) => statefulRank(a.resourceType) - statefulRank(b.resourceType) || resourceKey(a).localeCompare(resourceKey(b)));
  const found = new Map<string, Omit<StatefulDependency, 'inBase' | 'otherDependents'> & { dependents: Set<string> }>();
  for (const root of roots) {
    const rootKey = resourceKey(root);
    const parents = new Map<string, StackResource | undefined>([[rootKey, undefined]]);
    const queue: StackResource[] = [root];
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const next of graph.edges(node)) {
        const key = resourceKey(next);
        if (parents.has(key)) continue;
        parents.set(key, node);
        if (leaving(next)) continue;
        queue.push(next);
        const known = found.get(key);
        if (known) {
          known.dependents.add(rootKey);
          continue;
        }
        const through: StackResource[] = [];
        for (let step = parents.get(key); step !== undefined && resourceKey(step) !== rootKey; step = parents.get(resourceKey(step))) through.unshift(step);
        found.set(key, { ...next, dependent: root, through, dependents: new Set([rootKey]) });
      }
    }
  }
  return found;
}

/**
 * The resources that the stateful resources kept from `base` to `head` depend on, as the base
 * templates (deployed) and the head templates (to deploy) reference them.
 */
export function statefulDependencies(base: StackTemplates, head: StackTemplates): StatefulDependency[] {
  const fromBase = walkDependencies(base, head);
  const fromHead = walkDependencies(head, base);
  const merged = new Map<string, StatefulDependency>();
  for (const [key, { dependents, ...dependency }] of fromBase) {
    const alsoHead = fromHead.get(key)?.dependents ?? new Set<string>();
    merged.set(key, { ...dependency, inBase: true, otherDependents: new Set([...dependents, ...alsoHead]).size - 1 });
  }
  for (const [key, { dependents, ...dependency }] of fromHead) {
    if (!merged.has(key)) merged.set(key, { ...dependency, inBase: false, otherDependents: dependents.size - 1 });
  }
  return [...merged.values()];
}

/** What a resource is, for a person reading a blocked change: `subnet`, `database`… or its type. */
const NOUNS: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'VPC',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::SecurityGroup': 'security group',
  'AWS::RDS::DBSubnetGroup': 'DB subnet group',
  'AWS::RDS::DBParameterGroup': 'parameter group',
  'AWS::RDS::DBClusterParameterGroup': 'cluster parameter group',
  'AWS::RDS::OptionGroup': 'option group',
  'AWS::RDS::DBInstance': 'database',
  'AWS::RDS::DBCluster': 'database cluster',
  'AWS::KMS::Key': 'KMS key',
  'AWS::IAM::Role': 'role',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::Backup::BackupVault': 'backup vault',
  'AWS::Logs::LogGroup': 'log group',
  'AWS::S3::Bucket': 'bucket',
  'AWS::DynamoDB::Table': 'table',
  'AWS::DynamoDB::GlobalTable': 'table',
  'AWS::EFS::FileSystem': 'file system',
  'AWS::SSM::Parameter': 'parameter',
  'AWS::SNS::Topic': 'topic',
  'AWS::Route53::HostedZone': 'hosted zone',
};
const noun = (type: string) => NOUNS[type] ?? type;

/**
 * Replacement or removal of a resource a stateful resource depends on: its VPC, subnets,
 * subnet group, security groups, key, parameter group… A removal counts where the deployed
 * templates have the dependency: the head cannot reference a resource it no longer has.
 */
function dependencyChange(stack: string, logicalId: string, change: ResourceDifference, dependency: StatefulDependency | undefined): UnsafeChange | undefined {
  const old = change.oldValue;
  const destructive = replacementOrRemoval(change);
  if (dependency === undefined || old === undefined || destructive === undefined) return undefined;
  if (destructive.kind === 'remove' && !dependency.inBase) return undefined;
  const { dependent, through, otherDependents } = dependency;
  const name = (r: StackResource) => (r.stack === dependent.stack ? r.logicalId : `${r.stack} ${r.logicalId}`);
  const where = [
    ...(through.length > 0 ? [`through ${through.map(name).join(' → ')}`] : []),
    ...(otherDependents > 0 ? [`${otherDependents} more stateful resource${otherDependents > 1 ? 's depend' : ' depends'} on it`] : []),
  ];
  const under = `${noun(dependent.resourceType)} ${dependent.logicalId}${dependent.stack === stack ? '' : ` of ${dependent.stack}`}${where.length > 0 ? ` (${where.join('; ')})` : ''}`;
  const consequence = destructive.kind === 'replace' ? `the ${noun(dependent.resourceType)} must move onto the new one` : `the ${noun(dependent.resourceType)} used it`;
  return {
    stack,
    logicalId,
    resourceType: old.Type,
    kind: destructive.kind,
    detail: `${noun(old.Type)} ${logicalId}, under ${under}: ${destructive.how}; ${consequence}, and ${dependent.reason}`,
  };
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

const EMPTY: CloudFormationTemplate = { Resources: {} };

/** The template without CDK's version-reporting resource, whose analytics blob changes with every construct used and deploys nothing. */
function withoutCdkMetadata(template: CloudFormationTemplate | undefined): CloudFormationTemplate {
  if (template === undefined) return EMPTY;
  const resources = Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type !== 'AWS::CDK::Metadata');
  return { ...template, Resources: Object.fromEntries(resources) };
}

/**
 * The diff of each stack of `base` or `head`, as `cdk diff` computes it; a stack that one
 * side lacks is empty there. The `AWS::CDK::Metadata` resource is left out.
 */
export function diffStacks(base: StackTemplates, head: StackTemplates): Record<string, TemplateDiff> {
  const stacks = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
  return Object.fromEntries(stacks.map((stack) => [stack, fullDiff(withoutCdkMetadata(base[stack]), withoutCdkMetadata(head[stack]))]));
}

/**
 * What deploying `head` over `base` would do that the gate blocks: replacing or
 * removing a stateful resource or a resource one depends on (in its stack or, through
 * outputs, in another), and widening IAM or security-group access. A stack only in
 * `base` counts as removing every resource; a stack only in `head` is new: its
 * access is all widening. An empty `base` is a first deploy, with nothing to compare.
 * `diffs` are {@link diffStacks} of the two, when the caller has them already.
 */
export function findUnsafeChanges(base: StackTemplates, head: StackTemplates, diffs: Record<string, TemplateDiff> = diffStacks(base, head)): UnsafeChange[] {
  if (Object.keys(base).length === 0) return [];
  const dependencies = new Map(statefulDependencies(base, head).map((d) => [resourceKey(d), d]));
  return Object.keys(diffs)
    .sort()
    .flatMap((stack) => {
      const before = base[stack] ?? EMPTY;
      const after = head[stack];
      const diff = diffs[stack];
      const destructive: UnsafeChange[] = [];
      diff.resources.forEachDifference((logicalId, change) => {
        const unsafe = destructiveChange(stack, logicalId, change) ?? dependencyChange(stack, logicalId, change, dependencies.get(resourceKey({ stack, logicalId })));
        if (unsafe) destructive.push(unsafe);
      });
      // A stack that is gone grants nothing any more.
      return after === undefined ? destructive : [...destructive, ...wideningChanges(stack, before, after, diff)];
    });
}

/** How many resources a stack's diff replaces, may replace, updates, adds and removes, in one line. */
export function summarizeDiff(diff: TemplateDiff): string {
  const counts = { replaced: 0, 'may be replaced': 0, updated: 0, added: 0, removed: 0 };
  diff.resources.forEachDifference((_logicalId, change) => {
    const impact = change.changeImpact;
    if (impact === ResourceImpact.WILL_REPLACE) counts.replaced++;
    else if (impact === ResourceImpact.MAY_REPLACE) counts['may be replaced']++;
    else if (REMOVING.has(impact)) counts.removed++;
    else if (change.isAddition) counts.added++;
    else counts.updated++;
  });
  const other = diff.differenceCount - diff.resources.differenceCount;
  const resources = Object.entries(counts).map(([what, count]) => `${count} ${what}`).join(', ');
  return other > 0 ? `${resources}; ${other} other change${other > 1 ? 's' : ''} (outputs, parameters…)` : resources;
}

/** The diff as `cdk diff` prints it (`formatDifferences` of @aws-cdk/cloudformation-diff), colored where the terminal is. */
export function formatStackDiff(diff: TemplateDiff, columns?: number): string {
  const chunks: string[] = [];
  const stream = { columns, write: (chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0 };
  formatDifferences(stream as unknown as FormatStream, diff);
  return chunks.join('');
}

/** One line naming the stack, the resource, its type and why the change is unsafe. */
export function formatChange(change: UnsafeChange): string {
  return `${change.stack} ${change.logicalId} (${change.resourceType}) ${change.kind}: ${change.detail}`;
}
