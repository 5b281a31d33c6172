import { actionPatternMatches, iamActionTable, type IamActionTable } from '../../lib/bootstrap';
import { asList, type Statement } from './iam';

/** One request as IAM authorizes it: an action on one resource, with the condition keys the caller's request carries. */
export interface AuthorizationRequest {
  /** `service:Action`; a pattern a handler lists (`ec2:Describe*`) is matched as written. */
  readonly action: string;
  /** The resource's ARN, or `*` for an action that supports no resource-level permissions. */
  readonly resource: string;
  /** The Service Authorization Reference's resource type of `resource` (`iam:role`), whose condition keys then apply. */
  readonly resourceType?: string;
  /** Condition keys and their values; those the action does not support are dropped, as IAM never sets them. */
  readonly context?: Readonly<Record<string, string>>;
}

/** What the evaluator decided, and why. */
export interface Decision {
  readonly allowed: boolean;
  /** Sids of the Allow statements that matched. */
  readonly allowedBy: string[];
  /** Sids of the Deny statements that matched. */
  readonly deniedBy: string[];
  /** Context keys dropped because the Service Authorization Reference lists them neither for the action nor for its resource type. */
  readonly unsupportedKeys: string[];
}

/** A condition operator this evaluator does not implement. */
export class UnevaluableConditionError extends Error {}

/** A glob of IAM's (`*` any run of characters, `?` one character) as a regular expression. */
function glob(pattern: string, flags = ''): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, flags);
}

/**
 * Whether a Resource element entry matches an ARN, as IAM compares them (ArnLike): the six
 * colon-separated parts each on their own (the last one, the resource, may hold colons), wildcards
 * within a part, case-sensitive.
 */
export function resourceMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  if (arn === '*') return false;
  const split = (value: string) => {
    const parts = value.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const [p, a] = [split(pattern), split(arn)];
  if (!p || !a) return glob(pattern).test(arn);
  return p.every((part, i) => glob(part).test(a[i]));
}

/** Whether a condition key the Service Authorization Reference writes with a placeholder (`aws:ResourceTag/${TagKey}`) covers `key`. */
export function keyMatches(listed: string, key: string): boolean {
  const body = listed
    .split(/\$\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${body}$`, 'i').test(key);
}

/** Keys of the `aws:` namespace that every request carries whatever its action (the global condition keys, less the tag keys). */
function isGlobalKey(key: string): boolean {
  return /^aws:/i.test(key) && !/^aws:(RequestTag|ResourceTag|TagKeys)/i.test(key);
}

/**
 * The condition keys IAM sets for `request`: those it carries that the Service Authorization
 * Reference lists for its action or its resource type, and the global ones. For an action the
 * reference does not describe (a pattern, a name it lacks), every key given.
 */
function requestKeys(request: AuthorizationRequest, facts: IamActionTable): { keys: Record<string, string>; unsupported: string[] } {
  const action = facts.actions[request.action];
  const context = request.context ?? {};
  if (!action) return { keys: { ...context }, unsupported: [] };
  const listed = [...action.conditions, ...(request.resourceType ? facts.resourceTypes[request.resourceType]?.conditions ?? [] : [])];
  const keys: Record<string, string> = {};
  const unsupported: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (isGlobalKey(key) || listed.some((l) => keyMatches(l, key))) keys[key] = value;
    else unsupported.push(key);
  }
  return { keys, unsupported };
}

const OPERATORS: Record<string, (value: string, pattern: string) => boolean> = {
  StringEquals: (value, pattern) => value === pattern,
  StringEqualsIgnoreCase: (value, pattern) => value.toLowerCase() === pattern.toLowerCase(),
  StringLike: (value, pattern) => glob(pattern).test(value),
  ArnEquals: (value, pattern) => value === pattern,
  ArnLike: (value, pattern) => resourceMatches(pattern, value),
};

/** Whether one condition block holds for `keys`: every operator, every key under it, any of its values. */
function conditionHolds(condition: Statement['Condition'], keys: Record<string, string>): boolean {
  for (const [rawOperator, entries] of Object.entries(condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const base = rawOperator.replace(/IfExists$/, '');
    const negated = /^(String|Arn)Not/.test(base);
    const operator = OPERATORS[base.replace(/^(String|Arn)Not/, '$1')];
    if (!operator || /^(ForAnyValue|ForAllValues):/.test(base)) throw new UnevaluableConditionError(`${rawOperator}: not evaluated`);
    for (const [key, expected] of Object.entries(entries)) {
      const present = Object.keys(keys).find((k) => k.toLowerCase() === key.toLowerCase());
      if (present === undefined) {
        if (ifExists || negated) continue;
        return false;
      }
      const matches = asList(expected as string | string[]).some((pattern) => operator(keys[present], pattern));
      if (matches === negated) return false;
    }
  }
  return true;
}

function statementMatches(statement: Statement, request: AuthorizationRequest, keys: Record<string, string>): boolean {
  if (statement.NotAction !== undefined || (statement as { NotResource?: unknown }).NotResource !== undefined) {
    throw new UnevaluableConditionError(`${statement.Sid}: NotAction and NotResource are not evaluated`);
  }
  if (!asList(statement.Action).some((pattern) => actionPatternMatches(pattern, request.action))) return false;
  if (!asList(statement.Resource as string | string[]).some((pattern) => resourceMatches(pattern, request.resource))) return false;
  return conditionHolds(statement.Condition, keys);
}

/**
 * Evaluates identity-policy statements for one request as IAM would for a principal with only
 * these policies: allowed when an Allow statement matches and no Deny statement does.
 */
export function evaluate(statements: readonly Statement[], request: AuthorizationRequest, facts: IamActionTable = iamActionTable()): Decision {
  const { keys, unsupported } = requestKeys(request, facts);
  const matching = statements.filter((s) => statementMatches(s, request, keys));
  const allowedBy = matching.filter((s) => s.Effect === 'Allow').map((s) => s.Sid ?? '');
  const deniedBy = matching.filter((s) => s.Effect === 'Deny').map((s) => s.Sid ?? '');
  return { allowed: allowedBy.length > 0 && deniedBy.length === 0, allowedBy, deniedBy, unsupportedKeys: unsupported };
}

/** Fills an ARN format of the Service Authorization Reference: partition, region and account, and each name through `name`. */
export function fillArn(format: string, values: { region: string; account: string; name: (placeholder: string) => string }): string {
  return format.replace(/\$\{([^}]+)\}/g, (_, placeholder: string) => {
    if (placeholder === 'Partition') return 'aws';
    if (placeholder === 'Region') return values.region;
    if (placeholder === 'Account') return values.account;
    return values.name(placeholder);
  });
}
