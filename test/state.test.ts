import { ENVIRONMENT_NAMES, REGIONS } from '../lib/config';
import { RETAINED_TYPES, STATEFUL_TYPES } from '../lib/stateful';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

/**
 * Logical IDs of the resources that hold state or a fixed name, by stack kind. A
 * refactor that changes one makes CloudFormation replace the resource: a new,
 * empty database; a new key that cannot read what the old one encrypted (snapshots,
 * logs, the secret); a new secret with a new password; a new VPC under every other
 * stack; or a create that collides with the retained resource of the same name.
 */
const PINNED = {
  network: ['NetworkVpc7FB7348F', 'NetworkFlowLogKeyF785E5F9', 'NetworkFlowLogGroup4F8CEEEF'],
  'data-us-east-1': ['DatabaseInstanceAA8A5FDE', 'DatabaseKey5E5D9547', 'DatabaseCredentials24F58BE6', 'BackupVaultADF21B19'],
  'data-eu-west-1': ['ReplicaInstance639BE1BF', 'ReplicaKey29E01B67', 'ReplicaBackupVault1A18CE0D'],
  app: ['WebTierAccessLogsBucketC38B6857', 'WebAclLogKey099ABF10', 'WebAclLogs68403EB9'],
  pipeline: [
    'DeployPipelineArtifactKey844417C8',
    'DeployPipelineLogKey8743963C',
    'DeployPipelineArtifactBucket18548DAE',
    'DeployPipelineAccessLogBucket63B9001C',
    'DeployPipelineSynthLogsA2E6EEE0',
    'DeployPipelineDiffLogsEEE80CD2',
    'DeployPipelineDeployLogs7D6C79B1',
  ],
};

describe.each(ENVIRONMENT_NAMES)('%s state', (envName) => {
  const assembly = synthesized(envName);
  const stacks: Array<[string, string[]]> = [
    ...REGIONS.map((region): [string, string[]] => [`${envName}-network-${region}`, PINNED.network]),
    [`${envName}-data-us-east-1`, PINNED['data-us-east-1']],
    [`${envName}-data-eu-west-1`, PINNED['data-eu-west-1']],
    ...REGIONS.map((region): [string, string[]] => [`${envName}-app-${region}`, PINNED.app]),
    [`${envName}-pipeline-us-east-1`, PINNED.pipeline],
  ];

  it.each(stacks)('keeps the logical IDs of the stateful resources of %s', (stackName, ids) => {
    const resources = assembly.template(stackName).toJSON().Resources as Record<string, unknown>;
    const missing = ids.filter((id) => !(id in resources));
    if (missing.length > 0) {
      throw new Error(
        `${stackName} no longer has ${missing.join(', ')}. A changed logical ID makes CloudFormation create a new resource and delete ` +
          'the old one: an empty database, a key that cannot decrypt old snapshots and logs, a new secret. Keep the construct path, ' +
          'or pin the old ID with overrideLogicalId.',
      );
    }
  });
});

describe.each(ENVIRONMENT_NAMES)('removal of %s stateful resources', (envName) => {
  const assembly = synthesized(envName);
  const { protectStatefulResources } = offlineConfig(envName);
  const stateful = assembly.stackNames.flatMap((stack) =>
    Object.entries(assembly.template(stack).toJSON().Resources as Record<string, Resource>)
      .filter(([, resource]) => RETAINED_TYPES.includes(resource.Type))
      .map(([id, resource]) => ({ stack, id, resource })),
  );

  it('finds the app\'s databases, keys, secret, vaults, log groups and buckets, all of them stateful', () => {
    const types = new Set(stateful.map(({ resource }) => resource.Type));
    expect([...types].sort()).toEqual(['AWS::Backup::BackupVault', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::RDS::DBInstance', 'AWS::S3::Bucket', 'AWS::SecretsManager::Secret']);
    for (const type of RETAINED_TYPES) expect(STATEFUL_TYPES[type]).toBeDefined();
  });

  it('leaves nothing behind when a first create rolls back: no resource of the app is plainly retained', () => {
    const all = assembly.stackNames.flatMap((stack) =>
      Object.entries(assembly.template(stack).toJSON().Resources as Record<string, Resource>).map(([id, resource]) => ({ stack, id, policy: resource.DeletionPolicy })),
    );
    expect(all.filter(({ policy }) => policy === 'Retain')).toEqual([]);
  });

  if (protectStatefulResources) {
    it('retains them on delete and replacement, the databases included, except when their first create rolls back', () => {
      for (const { stack, id, resource } of stateful) {
        // The database instances too: a writer that leaves the template after a switch holds the
        // writes that had not reached the other region, and RDS takes no final snapshot of a replica.
        expect({ stack, id, deletion: resource.DeletionPolicy, replace: resource.UpdateReplacePolicy }).toEqual({
          stack,
          id,
          deletion: 'RetainExceptOnCreate',
          replace: 'Retain',
        });
      }
    });
  }
});
