import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DeployPipeline, useConnectionAction, type DeployPipelineProps } from '../../lib/constructs/deploy-pipeline';
import { NamingError } from '../../lib/naming';
import { asList, roleStatements } from '../support/iam';
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
          alarmsStackName: 'qa-alarms',
          alarmNamesOutput: 'HealthAlarmNames',
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

  it('rotates its artifact and log keys every year', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key')).map((k) => ({ rotates: k.Properties.EnableKeyRotation, days: k.Properties.RotationPeriodInDays ?? 365 }));
    expect(keys).toEqual(Array(2).fill({ rotates: true, days: 365 }));
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

  it('sets stack policies around each deploy, and may set them only on the stacks of its waves, in each target region', () => {
    const [deployId] = Object.keys(template.findResources('AWS::CodeBuild::Project', { Properties: { Name: 'qa-build-deploy' } }));
    const deploy = template.findResources('AWS::CodeBuild::Project')[deployId].Properties;
    const build = JSON.parse(deploy.Source.BuildSpec).phases.build;
    const policyStep = (phase: string) => `bash "$CODEBUILD_SRC_DIR_Source/scripts/apply-stack-policies.sh" ${phase} qa cdk.out $STACKS`;
    expect(build.commands.indexOf(policyStep('before'))).toBe(build.commands.findIndex((c: string) => c.includes(' deploy $STACKS')) - 1);
    expect(build.finally).toEqual([policyStep('after')]);
    const statements = roleStatements(template, deploy.ServiceRole['Fn::GetAtt'][0]).filter((s) => asList(s.Action).includes('cloudformation:SetStackPolicy'));
    expect(statements.flatMap((s) => asList(s.Resource)).sort()).toEqual(
      ['qa-one', 'qa-two'].flatMap((name) => ['us-east-1', 'eu-west-1'].map((region) => `arn:aws:cloudformation:${region}:${ENV.account}:stack/${name}/*`)).sort(),
    );
  });

  describe('lets the pipeline role use the connection under the service prefix of its ARN', () => {
    const arns = {
      codeconnections: `arn:aws:codeconnections:${ENV.region}:${ENV.account}:connection/00000000-0000-0000-0000-000000000001`,
      'codestar-connections': `arn:aws:codestar-connections:${ENV.region}:${ENV.account}:connection/00000000-0000-0000-0000-000000000001`,
    };
    const pipelineRoleStatements = (t: Template) => {
      const [pipeline] = Object.values(t.findResources('AWS::CodePipeline::Pipeline'));
      return roleStatements(t, pipeline.Properties.RoleArn['Fn::GetAtt'][0]);
    };
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'connection-lint-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each(Object.entries(arns))('%s: grants <that prefix>:UseConnection on the ARN, and no UseConnection of the other prefix', (service, arn) => {
      const t = pipelineIn({ source: { connectionArn: arn, repository: 'owner/repo', branch: 'main' } });
      const statements = pipelineRoleStatements(t);
      const uses = statements.filter((s) => asList(s.Action).some((a) => /:UseConnection$/.test(a)));
      expect(uses).toEqual([expect.objectContaining({ Effect: 'Allow', Action: `${service}:UseConnection`, Resource: arn })]);
      // The source action's configuration is what CDK's CodeStarConnectionsSourceAction writes.
      const [pipeline] = Object.values(t.findResources('AWS::CodePipeline::Pipeline'));
      expect(pipeline.Properties.Stages[0].Actions[0]).toMatchObject({
        ActionTypeId: { Category: 'Source', Owner: 'AWS', Provider: 'CodeStarSourceConnection', Version: '1' },
        Configuration: { ConnectionArn: arn, FullRepositoryId: 'owner/repo', BranchName: 'main' },
        OutputArtifacts: [{ Name: 'Source' }],
      });
      // And the artifact bucket, as that action grants it: read/write and PutObjectAcl.
      expect(statements.flatMap((s) => asList(s.Action))).toEqual(expect.arrayContaining(['s3:PutObject', 's3:PutObjectAcl']));
    });

    it('leaves cfn-lint nothing to say about the action and its resource (I3510), for either form', () => {
      // One cfn-lint run for both templates: it takes seconds to start.
      const files = Object.entries(arns).map(([service, arn]) => {
        const file = path.join(dir, `${service}.template.json`);
        writeFileSync(file, JSON.stringify(pipelineIn({ source: { connectionArn: arn, repository: 'owner/repo', branch: 'main' } }).toJSON()));
        return file;
      });
      const run = spawnSync('cfn-lint', ['--format', 'json', '--include-checks', 'I3510', '-t', ...files], { encoding: 'utf8' });
      expect(run.error).toBeUndefined();
      const findings = JSON.parse(run.stdout || '[]') as Array<{ Rule: { Id: string }; Filename: string; Message: string }>;
      expect(findings.filter((f) => f.Rule.Id === 'I3510').map((f) => `${path.basename(f.Filename)}: ${f.Message}`)).toEqual([]);
    }, 60_000);

    it('refuses an ARN of another service, and one it cannot read at synth', () => {
      expect(() => useConnectionAction('arn:aws:codecommit:us-east-1:123456789012:repo')).toThrow(/not a connection ARN/);
      // An environment-agnostic stack's ARN holds tokens for its partition, region and account.
      expect(() => useConnectionAction(new Stack().formatArn({ service: 'codeconnections', resource: 'connection', resourceName: 'x' }))).toThrow(/must be a literal/);
    });
  });
});
