import { SUPPLEMENTARY_PERMISSIONS, handlerPermissionTable, type HandlerPermissions } from '../lib/bootstrap/handler-permissions';
import { handlerTableFrom, registryHandlers } from '../scripts/registry-handlers';

/**
 * The handler table (lib/bootstrap/handler-permissions.generated.json) against an independent
 * copy of the registry schemas' handlers sections (lib/bootstrap/registry-handlers.generated.json,
 * extracted from a public snapshot by scripts/registry-handlers.ts): an action dropped from the
 * table, or a type's handler lost, fails here, not at a deploy that is refused half-way.
 */

/**
 * What the snapshot's schemas declare beyond the committed table: newer schema revisions than the
 * table was made from. Adopting them (`npx tsx scripts/registry-handlers.ts table`) widens the
 * execution policies and needs the IAM facts of the new actions (s3tables, S3 ABAC…), so it is a
 * change of its own; until then they are listed here, and the test fails when one is adopted.
 */
const NOT_YET_IN_TABLE: Readonly<Record<string, HandlerPermissions>> = {
  'AWS::EC2::LaunchTemplate': { update: ['ec2:CreateTags', 'ec2:DeleteTags'] },
  'AWS::Lambda::Function': { create: ['kms:DescribeKey'], update: ['kms:DescribeKey'] },
  'AWS::Logs::LogGroup': {
    create: ['logs:DescribeIndexPolicies', 'logs:PutBearerTokenAuthentication', 'logs:PutIndexPolicy'],
    read: ['logs:DescribeIndexPolicies', 'logs:DescribeResourcePolicies'],
    update: [
      'logs:DeleteIndexPolicy',
      'logs:DeleteResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:ListTagsForResource',
      'logs:PutBearerTokenAuthentication',
      'logs:PutIndexPolicy',
      'logs:PutLogGroupDeletionProtection',
      'logs:PutResourcePolicy',
    ],
  },
  'AWS::S3::Bucket': {
    create: ['s3:PutBucketAbac', 's3:TagResource', 's3tables:CreateTableBucket', 's3tables:PutTableBucketPolicy', 's3tables:PutTableEncryption'],
    read: ['s3:GetBucketAbac', 's3:ListTagsForResource'],
    update: [
      's3:PutBucketAbac',
      's3:TagResource',
      's3:UntagResource',
      's3:UpdateBucketMetadataAnnotationTableConfiguration',
      's3:UpdateBucketMetadataInventoryTableConfiguration',
      's3:UpdateBucketMetadataJournalTableConfiguration',
      's3tables:CreateTableBucket',
      's3tables:PutTableBucketPolicy',
      's3tables:PutTableEncryption',
    ],
  },
};

/** `permissions` without the actions `pending` lists, handler by handler. */
const without = (permissions: HandlerPermissions, pending: HandlerPermissions = {}): HandlerPermissions =>
  Object.fromEntries(Object.entries(permissions).map(([handler, actions]) => [handler, actions!.filter((a) => !pending[handler as keyof HandlerPermissions]?.includes(a))]));

describe('the handler table, against the registry schemas', () => {
  const registry = registryHandlers();
  const regenerated = handlerTableFrom(registry);
  const table = handlerPermissionTable().types;

  it('names the public snapshot its schemas come from', () => {
    expect(registry.source).toContain('pulumi/pulumi-aws-native keeps them in aws-cloudformation-schema/ at commit 43eed3b017fff3b41e0ceeae37ee943afce53275');
  });

  it('has the schema of every type in the table, and no other', () => {
    expect(Object.keys(regenerated).sort()).toEqual(Object.keys(table).sort());
  });

  it('equals the regeneration from the schemas, but for the newer revisions listed as not yet adopted', () => {
    const mismatches = Object.keys(table).filter((type) => JSON.stringify(without(regenerated[type], NOT_YET_IN_TABLE[type])) !== JSON.stringify(table[type]));
    expect(mismatches.map((type) => ({ type, table: table[type], schemas: regenerated[type] }))).toEqual([]);
  });

  it.each(Object.entries(NOT_YET_IN_TABLE))('lists for %s only what the schemas declare and the table lacks', (type, pending) => {
    for (const [handler, actions] of Object.entries(pending)) {
      const h = handler as keyof HandlerPermissions;
      expect({ handler, declared: actions!.filter((a) => regenerated[type][h]?.includes(a)) }).toEqual({ handler, declared: actions });
      expect({ handler, inTable: actions!.filter((a) => table[type][h]?.includes(a)) }).toEqual({ handler, inTable: [] });
    }
  });

  // What the app's templates set (tags, log-group resource policies and deletion protection) is
  // granted already through SUPPLEMENTARY_PERMISSIONS; the rest waits for a change of its own.
  it.each(['AWS::EC2::LaunchTemplate', 'AWS::Lambda::Function', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket'])('grants now, for %s, only newer actions the schemas declare', (type) => {
    const adopted = SUPPLEMENTARY_PERMISSIONS[type].handlers;
    expect(Object.keys(adopted).length).toBeGreaterThan(0);
    for (const [handler, actions] of Object.entries(adopted)) {
      expect({ handler, undeclared: actions!.filter((a) => !NOT_YET_IN_TABLE[type][handler as keyof HandlerPermissions]?.includes(a)) }).toEqual({ handler, undeclared: [] });
    }
  });

  it('lets the database\'s update handler modify and reboot the instance (the issue #23 mutant dropped rds:ModifyDBInstance)', () => {
    expect(table['AWS::RDS::DBInstance'].update).toEqual(expect.arrayContaining(['rds:ModifyDBInstance', 'rds:RebootDBInstance', 'rds:PromoteReadReplica']));
  });
});
