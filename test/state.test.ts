import { ENVIRONMENT_NAMES, REGIONS } from '../lib/config';
import { synthesized } from './support/assembly';

/**
 * Logical IDs of the resources that hold state or a fixed name. A refactor that
 * changes one makes CloudFormation replace the resource: a new VPC under every
 * other stack, a new key that cannot read what the old one encrypted, or a
 * create that collides with the retained log group of the same name.
 */
const PINNED: Record<'network' | 'pipeline', string[]> = {
  network: ['NetworkVpc7FB7348F', 'NetworkFlowLogKeyF785E5F9', 'NetworkFlowLogGroup4F8CEEEF'],
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
    [`${envName}-pipeline-us-east-1`, PINNED.pipeline],
  ];

  it.each(stacks)('keeps the logical IDs of the stateful resources of %s', (stackName, ids) => {
    expect(Object.keys(assembly.template(stackName).toJSON().Resources)).toEqual(expect.arrayContaining(ids));
  });
});
