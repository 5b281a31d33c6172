import type { Template } from 'aws-cdk-lib/assertions';

/** One IAM policy statement as it appears in a template or a policy document. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A value or list of values as a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Whether an IAM action pattern (`s3:Get*`) covers `action` (`s3:GetObject`); IAM matches case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** Whether an action is `*` or a whole service (`s3:*`): what the organisation forbids. */
export function isServiceWildcard(action: string): boolean {
  return action === '*' || /^[a-z0-9-]+:\*$/i.test(action);
}

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/**
 * Every statement that applies to a role in a template: its inline policies and
 * the `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources attached to it.
 */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const resources = template.toJSON().Resources as Resources;
  const role = resources[roleId];
  const inline = asList(role.Properties.Policies).flatMap((p: any) => asList<Statement>(p.PolicyDocument.Statement));
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter((r) => asList(r.Properties.Roles).some((ref: any) => ref?.Ref === roleId))
    .flatMap((r) => asList<Statement>(r.Properties.PolicyDocument.Statement));
  return [...inline, ...attached];
}
