import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DeployPipeline, type DeployPipelineProps } from '../../lib/constructs/deploy-pipeline';
import { NamingError } from '../../lib/naming';
import { cdkJsonContext } from '../support/synth';

const ENV = { account: '123456789012', region: 'us-east-1' };

function pipelineIn(overrides: Partial<DeployPipelineProps> = {}): Template {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Pipeline', { env: ENV });
  new DeployPipeline(stack, 'DeployPipeline', {
    pipelineName: 'qa-deploy',
    namePrefix: 'qa-build',
    source: { connectionArn: `arn:aws:codeconnections:${ENV.region}:${ENV.account}:connection/0000`, repository: 'owner/repo', branch: 'main' },
    cdkContext: { env: 'qa' },
    environmentName: 'qa',
    waves: [
      { id: 'First', stackNames: ['qa-one'] },
      {
        id: 'Second',
        stackNames: ['qa-two'],
        verify: {
          region: 'eu-west-1',
          healthUrl: 'https://eu-west-1.app.example.com/health',
          appStackName: 'qa-two',
          loadBalancerDnsOutput: 'LoadBalancerDnsName',
          alarmNamePrefix: 'qa-alarms-',
          bakeTime: Duration.minutes(5),
        },
      },
    ],
    requireApproval: false,
    targetAccount: ENV.account,
    targetRegions: ['us-east-1', 'eu-west-1'],
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    ...overrides,
  });
  return Template.fromStack(stack);
}

describe('DeployPipeline', () => {
  const template = pipelineIn();
  const values = (type: string, property: string) => Object.values(template.findResources(type)).map((r) => r.Properties[property]).sort();
  const steps = ['deploy', 'diff', 'synth', 'verify-second'];

  it('names the pipeline by its own prop', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Name: 'qa-deploy' });
  });

  it("names each step's build project and log group <namePrefix>-<step>", () => {
    expect(values('AWS::CodeBuild::Project', 'Name')).toEqual(steps.map((step) => `qa-build-${step}`));
    expect(values('AWS::Logs::LogGroup', 'LogGroupName')).toEqual(steps.map((step) => `qa-build-${step}`));
  });

  it('refuses a name prefix that makes a build project name longer than AWS allows', () => {
    expect(() => pipelineIn({ namePrefix: 'x'.repeat(140) })).toThrow(NamingError);
  });

  it('applies the removal policy to its buckets, keys and log groups', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      expect(new Set(Object.values(template.findResources(type)).map((r) => r.DeletionPolicy))).toEqual(new Set(['Delete']));
    }
    const kept = pipelineIn({ removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      expect(new Set(Object.values(kept.findResources(type)).map((r) => r.DeletionPolicy))).toEqual(new Set(['RetainExceptOnCreate']));
    }
  });
});
