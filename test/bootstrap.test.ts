import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { actionMatches, asList, isServiceWildcard, type Statement } from './support/iam';

const BOOTSTRAP_DIR = path.resolve(__dirname, '..', 'bootstrap');

/** AWS's limit on a customer-managed policy, counted without whitespace. */
const MANAGED_POLICY_MAX_CHARS = 6144;

/** The execution policies that `cdk bootstrap` attaches to CloudFormation's execution role. */
const policies = readdirSync(BOOTSTRAP_DIR)
  .filter((file) => /^cfn-execution-policy.*\.json$/.test(file))
  .map((file) => {
    const text = readFileSync(path.join(BOOTSTRAP_DIR, file), 'utf8');
    return { file, text, statements: asList<Statement>(JSON.parse(text).Statement) };
  });
const statements = policies.flatMap((p) => p.statements);
const allowedActions = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action));

/** CloudFormation service names whose IAM prefix is not simply the name in lower case. */
const IAM_PREFIXES: Record<string, string[]> = {
  ElasticLoadBalancingV2: ['elasticloadbalancing'],
  CertificateManager: ['acm'],
  CodeStarConnections: ['codeconnections', 'codestar-connections'],
  Serverless: ['serverlessrepo'],
};

/**
 * What the execution role must be allowed for a resource type: some action of its
 * service; for custom resources, invoking their Lambda. `AWS::CDK::Metadata` needs nothing.
 */
function requiredFor(type: string): { description: string; allowed: (action: string) => boolean } | undefined {
  if (type === 'AWS::CDK::Metadata') return undefined;
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
    return { description: 'lambda:InvokeFunction', allowed: (pattern) => actionMatches(pattern, 'lambda:InvokeFunction') };
  }
  const service = type.split('::')[1];
  const prefixes = IAM_PREFIXES[service] ?? [service.toLowerCase()];
  return { description: `${prefixes.join(' or ')} actions`, allowed: (pattern) => prefixes.some((p) => pattern.toLowerCase().startsWith(`${p}:`)) };
}

/** The resource types the policies do not cover, each with what it needs. */
function uncovered(types: string[]): string[] {
  return types.flatMap((type) => {
    const required = requiredFor(type);
    return required && !allowedActions.some(required.allowed) ? [`${type} (needs ${required.description})`] : [];
  });
}

describe('the CloudFormation execution policies in bootstrap/', () => {
  it('are the main policy and the operations policy', () => {
    expect(policies.map((p) => p.file).sort()).toEqual(['cfn-execution-policy-ops.json', 'cfn-execution-policy.json']);
  });

  it.each(policies.map((p) => [p.file, p.text] as const))('fits %s in one customer-managed policy', (_file, text) => {
    expect(text.replace(/\s/g, '').length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });

  it('allows, never denies, and names no "*" or "service:*" action', () => {
    for (const statement of statements) {
      expect({ sid: statement.Sid, effect: statement.Effect, notAction: statement.NotAction }).toEqual({ sid: statement.Sid, effect: 'Allow', notAction: undefined });
      expect({ sid: statement.Sid, wildcards: asList(statement.Action).filter(isServiceWildcard) }).toEqual({ sid: statement.Sid, wildcards: [] });
    }
  });

  it('covers the service of every resource type that dev, test and prod synthesize', () => {
    const types = [...new Set(ENVIRONMENT_NAMES.flatMap((envName) => synthesized(envName).resourceTypes))].sort();
    expect(types).toEqual(expect.arrayContaining(['AWS::EC2::VPC', 'AWS::CodePipeline::Pipeline', 'Custom::VpcRestrictDefaultSG']));
    expect(uncovered(types)).toEqual([]);
  });

  it('covers the services of the data, app, monitoring and DNS stacks being written', () => {
    expect(
      uncovered([
        'AWS::RDS::DBInstance',
        'AWS::SecretsManager::Secret',
        'AWS::ElasticLoadBalancingV2::LoadBalancer',
        'AWS::AutoScaling::AutoScalingGroup',
        'AWS::WAFv2::WebACL',
        'AWS::CertificateManager::Certificate',
        'AWS::Route53::HealthCheck',
        'AWS::Route53::RecordSet',
        'AWS::CloudWatch::Alarm',
        'AWS::CloudWatch::Dashboard',
        'AWS::SNS::Topic',
        'AWS::SSM::Document',
        'AWS::Backup::BackupPlan',
        'AWS::CodeStarConnections::Connection',
        'AWS::Serverless::Application',
      ]),
    ).toEqual([]);
  });

  it('names the resource type it misses', () => {
    expect(uncovered(['AWS::DynamoDB::Table', 'AWS::EC2::VPC'])).toEqual(['AWS::DynamoDB::Table (needs dynamodb actions)']);
  });

  it('lets CloudFormation create and pass only roles, policies and instance profiles named after an environment', () => {
    const iamStatements = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('iam:') && a !== 'iam:CreateServiceLinkedRole'));
    expect(iamStatements.length).toBeGreaterThan(0);
    const scoped = new RegExp(`^arn:aws:iam::\\*:(role|policy|instance-profile)/(${ENVIRONMENT_NAMES.join('|')})-\\*$`);
    for (const statement of iamStatements) {
      expect({ sid: statement.Sid, unscoped: asList(statement.Resource as string[]).filter((r) => !scoped.test(r)) }).toEqual({ sid: statement.Sid, unscoped: [] });
    }
    for (const envName of ENVIRONMENT_NAMES) {
      expect(iamStatements.flatMap((s) => asList(s.Resource as string[]))).toContain(`arn:aws:iam::*:role/${envName}-*`);
    }
  });

  it('passes roles only to the services that use them, and attaches only stack or service-role policies', () => {
    const passRole = statements.filter((s) => asList(s.Action).some((a) => actionMatches(a, 'iam:PassRole')));
    expect(passRole).toHaveLength(1);
    expect(passRole[0].Condition?.StringEquals?.['iam:PassedToService']).toEqual(expect.arrayContaining(['ec2.amazonaws.com', 'lambda.amazonaws.com']));
    const attach = statements.filter((s) => asList(s.Action).some((a) => actionMatches(a, 'iam:AttachRolePolicy')));
    expect(attach).toHaveLength(1);
    expect(asList(attach[0].Condition?.ArnLike?.['iam:PolicyARN'] as string[])).not.toContain('arn:aws:iam::aws:policy/AdministratorAccess');
    expect(asList(attach[0].Condition?.ArnLike?.['iam:PolicyARN'] as string[]).every((arn) => !arn.endsWith(':policy/*'))).toBe(true);
  });

  it('uses KMS data keys only through the services that encrypt for the stacks', () => {
    const dataKeyStatements = statements.filter((s) => asList(s.Action).some((a) => actionMatches(a, 'kms:Decrypt')));
    expect(dataKeyStatements).toHaveLength(1);
    expect(dataKeyStatements[0].Condition?.StringLike?.['kms:ViaService']).toEqual(expect.arrayContaining(['secretsmanager.*.amazonaws.com', 'rds.*.amazonaws.com']));
  });
});
