import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DefaultStackSynthesizer } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import { ENVIRONMENT_NAMES, includePipelineFrom, REGIONS } from '../lib/config';
import { PREFLIGHT_PACKAGES } from '../lib/constructs/deploy-pipeline';
import { HEALTH_ALARM_NAMES_OUTPUT } from '../lib/stacks/monitoring-stack';
import { synthesized } from './support/assembly';
import { actionMatches, asList, isServiceWildcard, roleStatements, type Statement } from './support/iam';
import { offlineConfig, testApp } from './support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

const STEPS = ['synth', 'diff', 'deploy', 'verify-standby'] as const;

/** Whether a template fragment refers to the resource with this logical id. */
const mentions = (value: unknown, logicalId: string) => JSON.stringify(value).includes(`"${logicalId}"`);

describe.each(ENVIRONMENT_NAMES)('%s pipeline', (envName) => {
  const config = offlineConfig(envName);
  const stackName = `${envName}-pipeline-us-east-1`;
  const template = synthesized(envName).template(stackName);
  const resources = template.toJSON().Resources as Resources;
  const idsOf = (type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);
  const [pipelineId] = idsOf('AWS::CodePipeline::Pipeline');
  const pipeline = resources[pipelineId].Properties;
  const stages: Array<{ Name: string; Actions: any[] }> = pipeline.Stages;
  const [keyId] = idsOf('AWS::KMS::Key').filter((id) => resources[id].Properties.Description.startsWith('Encrypts the artifacts'));
  const [artifactBucketId] = idsOf('AWS::S3::Bucket').filter((id) => resources[id].Properties.LoggingConfiguration);
  const projectIdOf = (step: string) => idsOf('AWS::CodeBuild::Project').find((id) => resources[id].Properties.Name === `${stackName}-${step}`)!;
  const project = (step: string) => resources[projectIdOf(step)].Properties;
  const buildSpec = (step: string) => JSON.parse(project(step).Source.BuildSpec);
  const commands = (step: string) => Object.values(buildSpec(step).phases).flatMap((phase: any) => phase.commands ?? []);
  const roleIdOf = (step: string) => project(step).ServiceRole['Fn::GetAtt'][0] as string;
  const bootstrapRoles = REGIONS.flatMap((region) =>
    ['deploy', 'file-publishing', 'lookup'].map(
      (kind) => `arn:aws:iam::${config.account}:role/cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-${kind}-role-${config.account}-${region}`,
    ),
  );

  it('is one CodePipeline V2 named by the naming helper, in the environment\'s account and us-east-1', () => {
    expect(idsOf('AWS::CodePipeline::Pipeline')).toHaveLength(1);
    expect(pipeline).toMatchObject({ Name: stackName, PipelineType: 'V2' });
    expect(synthesized(envName).stackEnvironment(stackName)).toBe(`aws://${config.account}/us-east-1`);
  });

  it(`runs Source, Synth, Diff, ${config.requireApproval ? 'Approve, ' : ''}then the waves, checking the standby before the primary`, () => {
    const waves = ['DeployStateful', 'DeployStandby', 'VerifyStandby', 'DeployPrimary', 'DeployGlobal'];
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Synth', 'Diff', ...(config.requireApproval ? ['Approve'] : []), ...waves]);
  });

  it('checks out the configured repository and branch through the CodeConnections connection', () => {
    expect(stages[0].Actions).toEqual([
      expect.objectContaining({
        ActionTypeId: expect.objectContaining({ Category: 'Source', Provider: 'CodeStarSourceConnection' }),
        Configuration: { ConnectionArn: config.pipeline.connectionArn, FullRepositoryId: config.pipeline.repository, BranchName: config.pipeline.branch },
      }),
    ]);
  });

  it('installs, tests, synthesizes once and lints the templates in the Synth step, exporting the assembly, the CLI and the deploy script as CloudAssembly', () => {
    expect(commands('synth')).toEqual([
      'npm ci',
      // npm test runs Python under moto and a real PostgreSQL: scripts/check-test-tools.sh fails without them.
      'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql',
      // Also installs cfn-lint, which lint-templates.py runs.
      'python3 -m pip install -q -r requirements-test.txt',
      'npm test',
      `npx cdk synth -c env=${envName} -c pipeline=false -c strict=true --output cdk.out`,
      // After synth, over the assembly it wrote: a cfn-lint finding stops the run before Diff.
      'python3 scripts/lint-templates.py cdk.out',
    ]);
    expect(buildSpec('synth').phases.install['runtime-versions']).toEqual({ nodejs: '20', python: '3.11' });
    expect(buildSpec('synth').artifacts).toEqual({ files: ['cdk.out/**/*', 'node_modules/aws-cdk/**/*', 'scripts/unprotect-failed-creates.sh'] });
    expect(stages.find((s) => s.Name === 'Synth')!.Actions[0].OutputArtifacts).toEqual([{ Name: 'CloudAssembly' }]);
  });

  it('checks the account first, as the us-east-1 lookup role, then diffs the synthesized assembly, not a new synth, and reviews it against the deployed templates', () => {
    expect(buildSpec('diff').env.shell).toBe('bash');
    const lookupRole = `arn:aws:iam::${config.account}:role/cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-lookup-role-${config.account}-us-east-1`;
    expect(commands('diff')).toEqual([
      'npm ci',
      'python3 -m pip install -q boto3==1.43.11 botocore==1.43.11',
      `python3 scripts/preflight.py --env ${envName} --role-arn ${lookupRole}`,
      'ln -sfn "$CODEBUILD_SRC_DIR_CloudAssembly/cdk.out" cdk.out',
      'set -o pipefail; npx cdk diff --app cdk.out 2>&1 | tee cdk-diff.txt',
      `bash scripts/fetch-deployed-templates.sh ${envName} deployed && npm run review -- --base deployed --head cdk.out -c env=${envName}`,
    ]);
    expect(buildSpec('diff').phases.install['runtime-versions']).toEqual({ nodejs: '20', python: '3.11' });
    expect(stages.find((s) => s.Name === 'Diff')!.Actions[0].InputArtifacts).toEqual([{ Name: 'Source' }, { Name: 'CloudAssembly' }]);
    // The Diff step's role may assume the role preflight runs as (and the other bootstrap roles, below).
    const assumable = roleStatements(template, roleIdOf('diff'))
      .filter((s) => asList(s.Action).some((a) => actionMatches(a, 'sts:AssumeRole')))
      .flatMap((s) => asList(s.Resource));
    expect(assumable).toContain(lookupRole);
  });

  it('exports cdk-diff.txt as the Diff action\'s CdkDiff artifact', () => {
    expect(buildSpec('diff').artifacts).toEqual({ files: ['cdk-diff.txt'] });
    const diffAction = stages.find((s) => s.Name === 'Diff')!.Actions[0];
    expect(diffAction.OutputArtifacts).toEqual([{ Name: 'CdkDiff' }]);
    expect(diffAction.Configuration.ProjectName).toEqual({ Ref: projectIdOf('diff') });
  });

  describe('deploy waves', () => {
    const deployActions = stages.filter((s) => s.Name.startsWith('Deploy')).map((s) => s.Actions[0]);
    const waveStacks = deployActions.map((a) => JSON.parse(a.Configuration.EnvironmentVariables).find((v: any) => v.name === 'STACKS').value.split(' ') as string[]);
    const waveOf = (stack: string) => waveStacks.findIndex((stacks) => stacks.includes(stack));
    const stageIndex = (name: string) => stages.findIndex((s) => s.Name === name);

    it('deploy the CloudAssembly artifact of the Synth step with the CLI shipped in it, no synth, the source only for the stack-policy step', () => {
      for (const action of deployActions) {
        // The assembly is the primary input (the build runs in it); the source comes second.
        expect(action.InputArtifacts).toEqual([{ Name: 'CloudAssembly' }, { Name: 'Source' }]);
        expect(action.Configuration.ProjectName).toEqual({ Ref: projectIdOf('deploy') });
      }
      expect(buildSpec('deploy').phases.install.commands).toEqual(['(cd "$CODEBUILD_SRC_DIR_Source" && npm ci)']);
      expect(buildSpec('deploy').phases.build.commands).toEqual([
        // First lets the CLI retry a failed first create of a termination-protected stack (test/unprotect-failed-creates.test.ts).
        'bash scripts/unprotect-failed-creates.sh cdk.out $STACKS',
        // Then each deployed stack's policy from the review of its deployed template (test/review-stack-policies.test.ts).
        `bash "$CODEBUILD_SRC_DIR_Source/scripts/apply-stack-policies.sh" before ${envName} cdk.out $STACKS`,
        'node node_modules/aws-cdk/bin/cdk deploy $STACKS --app cdk.out --exclusively --require-approval never --concurrency 4',
      ]);
    });

    it('set the strict stack policies after cdk deploy, in finally, so also after a failed deploy', () => {
      expect(buildSpec('deploy').phases.build.finally).toEqual([`bash "$CODEBUILD_SRC_DIR_Source/scripts/apply-stack-policies.sh" after ${envName} cdk.out $STACKS`]);
    });

    it("let the deploy step's own role set stack policies only on the waves' stacks, in the environment's account", () => {
      const statements = roleStatements(template, roleIdOf('deploy')).filter((s) => asList(s.Action).some((a) => actionMatches(a, 'cloudformation:SetStackPolicy')));
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement.Condition).toBeUndefined();
      expect([...asList(statement.Action)].sort()).toEqual(['cloudformation:DescribeStacks', 'cloudformation:SetStackPolicy']);
      const expected = waveStacks.flat().flatMap((stack) => REGIONS.map((region) => `arn:aws:cloudformation:${region}:${config.account}:stack/${stack}/*`));
      expect([...asList(statement.Resource)].sort()).toEqual(expected.sort());
      expect(asList(statement.Resource)).not.toContain('*');
      expect(asList(statement.Resource).some((r) => JSON.stringify(r).includes(stackName))).toBe(false);
    });

    it('deploy every stack of the environment but the pipeline\'s exactly once', () => {
      const expected = synthesized(envName).stackNames.filter((name) => name !== stackName).sort();
      expect(waveStacks.flat().sort()).toEqual(expected);
    });

    it('deploy no stack before a stack it depends on', () => {
      for (const stack of waveStacks.flat()) {
        for (const dependency of synthesized(envName).dependencies(stack).filter((d) => d !== stackName)) {
          expect({ stack, dependency, before: waveOf(dependency) <= waveOf(stack) }).toEqual({ stack, dependency, before: true });
        }
      }
    });

    it('go stateful stacks first, then the standby region, its check, the primary region and the global DNS', () => {
      expect(waveStacks).toEqual([
        [`${envName}-network-us-east-1`, `${envName}-data-us-east-1`, `${envName}-network-eu-west-1`, `${envName}-data-eu-west-1`],
        [`${envName}-app-eu-west-1`, `${envName}-monitoring-eu-west-1`],
        [`${envName}-app-us-east-1`, `${envName}-monitoring-us-east-1`],
        [`${envName}-dns-global`],
      ]);
      expect(stageIndex('DeployStandby')).toBeLessThan(stageIndex('VerifyStandby'));
      expect(stageIndex('VerifyStandby')).toBe(stageIndex('DeployPrimary') - 1);
    });

    it('let each wave\'s stacks deploy side by side, as many as the largest wave holds', () => {
      expect(Math.max(...waveStacks.map((stacks) => stacks.length))).toBe(4);
    });
  });

  describe('the check between the standby and the primary region', () => {
    const script = commands('verify-standby').join('\n');

    it('asks the regional name for /health through the load balancer the app stack names', () => {
      expect(script).toContain(`--stack-name ${envName}-app-eu-west-1`);
      expect(script).toContain(`--connect-to "eu-west-1.${config.dns.domainName}:443:$lb:443" https://eu-west-1.${config.dns.domainName}/health`);
    });

    it('lets the alarms watch for one evaluation window, then reads the state of each alarm the eu-west-1 monitoring stack names', () => {
      expect(script).toContain(`--stack-name ${envName}-monitoring-eu-west-1 --query "Stacks[0].Outputs[?OutputKey=='${HEALTH_ALARM_NAMES_OUTPUT}'].OutputValue"`);
      expect(script).toContain(`sleep ${config.alarms.periodSeconds * config.alarms.pagingEvaluationPeriods}`);
      expect(script).toContain('aws cloudwatch describe-alarms --region eu-west-1 --alarm-names "${alarms[@]}"');
      expect(script).not.toContain('--alarm-name-prefix');
    });

    it('needs no install and no bootstrap role', () => {
      expect(buildSpec('verify-standby').phases.install.commands).toBeUndefined();
      const [action] = stages.find((s) => s.Name === 'VerifyStandby')!.Actions;
      expect(action.Configuration.ProjectName).toEqual({ Ref: projectIdOf('verify-standby') });
    });
  });

  if (config.requireApproval) {
    it('asks the approver to review the diff and says where it is', () => {
      const [approval] = stages.find((s) => s.Name === 'Approve')!.Actions;
      expect(approval.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
      const info = JSON.stringify(approval.Configuration.CustomData);
      expect(info).toMatch(/cdk-diff\.txt/);
      expect(info).toMatch(/CdkDiff artifact/);
      expect(mentions(approval.Configuration.CustomData, artifactBucketId)).toBe(true);
    });
  }

  it.each(STEPS)('builds %s on a current standard image with Node 20, encrypted with the artifact key', (step) => {
    expect(project(step).Environment).toMatchObject({ Image: 'aws/codebuild/standard:7.0', PrivilegedMode: false });
    expect(buildSpec(step).phases.install['runtime-versions']).toMatchObject({ nodejs: '20' });
    expect(project(step).EncryptionKey).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  it.each(STEPS)('logs %s to its own KMS-encrypted log group kept for logRetentionDays', (step) => {
    const logGroupRef = project(step).LogsConfig.CloudWatchLogs.GroupName.Ref;
    expect(resources[logGroupRef].Properties).toMatchObject({
      LogGroupName: `${stackName}-${step}`,
      RetentionInDays: config.logRetentionDays,
      KmsKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
    });
  });

  describe('build roles', () => {
    const statementsOf = (step: string): Statement[] => roleStatements(template, roleIdOf(step));

    it('are one per step', () => {
      expect(new Set(STEPS.map(roleIdOf)).size).toBe(STEPS.length);
      for (const step of STEPS) expect(resources[roleIdOf(step)].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'codebuild.amazonaws.com' });
    });

    it('let diff and deploy assume exactly the CDK bootstrap roles of both regions, and synth none', () => {
      const assumable = (step: string) =>
        statementsOf(step)
          .filter((s) => asList(s.Action).some((a) => actionMatches(a, 'sts:AssumeRole')))
          .flatMap((s) => asList(s.Resource));
      expect(assumable('synth')).toEqual([]);
      expect(assumable('verify-standby')).toEqual([]);
      expect([...assumable('diff')].sort()).toEqual([...bootstrapRoles].sort());
      expect([...assumable('deploy')].sort()).toEqual([...bootstrapRoles].sort());
    });

    it.each(STEPS)('grant %s nothing beyond its logs, the artifacts, the bootstrap roles, (the check) what it reads and (deploy) the stack policies', (step) => {
      const projectId = projectIdOf(step);
      const logGroupId = project(step).LogsConfig.CloudWatchLogs.GroupName.Ref;
      const purposeOf = (s: Statement): string => {
        const actions = asList(s.Action);
        const resourceList = asList(s.Resource);
        const onlyService = (service: string) => actions.every((a) => a.startsWith(`${service}:`));
        const allMention = (...ids: string[]) => resourceList.length > 0 && resourceList.every((r) => ids.some((id) => mentions(r, id)));
        if (s.Effect !== 'Allow' || s.Condition) return 'unexpected';
        if (onlyService('logs') && allMention(logGroupId, projectId)) return 'own logs';
        if (onlyService('s3') && allMention(artifactBucketId)) return 'artifacts';
        if (onlyService('kms') && allMention(keyId)) return 'artifact key';
        if (actions.length === 1 && actions[0] === 'sts:AssumeRole' && resourceList.every((r) => bootstrapRoles.includes(r as string))) return 'bootstrap roles';
        if (step === 'deploy' && [...actions].sort().join() === 'cloudformation:DescribeStacks,cloudformation:SetStackPolicy') {
          const appStack = new RegExp(`^arn:aws:cloudformation:(${REGIONS.join('|')}):${config.account}:stack/${envName}-[a-z]+-(${REGIONS.join('|')}|global)/\\*$`);
          if (resourceList.every((r) => typeof r === 'string' && appStack.test(r))) return 'stack policies of the app';
        }
        if (step === 'verify-standby' && actions.length === 1) {
          const resource = JSON.stringify(s.Resource);
          const stackArn = (service: string) => `"arn:aws:cloudformation:eu-west-1:${config.account}:stack/${envName}-${service}-eu-west-1/*"`;
          if (actions[0] === 'cloudformation:DescribeStacks' && resource === `[${stackArn('app')},${stackArn('monitoring')}]`) return 'app and monitoring stack outputs';
          if (actions[0] === 'cloudwatch:DescribeAlarms' && resource === `"arn:aws:cloudwatch:eu-west-1:${config.account}:alarm:${envName}-monitoring-eu-west-1-*"`) return 'region alarms';
        }
        return 'unexpected';
      };
      const statements = statementsOf(step);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) expect({ statement, purpose: purposeOf(statement) }).toEqual({ statement, purpose: expect.not.stringMatching(/^unexpected$/) });
      const logsStatement = statements.find((s) => purposeOf(s) === 'own logs' && mentions(s.Resource, logGroupId));
      expect(asList(logsStatement?.Action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    });

    it('write no report groups, only read artifacts in deploy and the check', () => {
      for (const step of STEPS) expect(statementsOf(step).flatMap((s) => asList(s.Action)).filter((a) => a.startsWith('codebuild:'))).toEqual([]);
      for (const step of ['deploy', 'verify-standby']) {
        expect(statementsOf(step).flatMap((s) => asList(s.Action)).filter((a) => /^s3:(Put|Delete)/.test(a))).toEqual([]);
      }
    });
  });

  it('grants no "*" or "service:*" action in any role or managed policy', () => {
    const allows = Object.values(resources)
      .filter((r) => ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))
      .flatMap((r) => [r.Properties.PolicyDocument, ...asList(r.Properties.Policies).map((p: any) => p.PolicyDocument)])
      .filter(Boolean)
      .flatMap((doc: any) => asList<Statement>(doc.Statement))
      .filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    expect(allows.flatMap((s) => asList(s.Action)).filter(isServiceWildcard)).toEqual([]);
  });

  it('reads the connection only from the pipeline role, which may start only its own builds', () => {
    const pipelineRoleId = pipeline.RoleArn['Fn::GetAtt'][0];
    const statements = roleStatements(template, pipelineRoleId);
    // The configured connections are arn:aws:codeconnections: ARNs, which IAM matches only with the codeconnections prefix.
    expect(config.pipeline.connectionArn).toMatch(/^arn:aws:codeconnections:/);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'codeconnections:UseConnection', Resource: config.pipeline.connectionArn }));
    expect(statements.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith('codestar-connections:'))).toEqual([]);
    const builds = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('codebuild:')));
    expect(builds.flatMap((s) => asList(s.Resource))).toEqual(expect.arrayContaining(STEPS.map((step) => ({ 'Fn::GetAtt': [projectIdOf(step), 'Arn'] }))));
    expect(builds.flatMap((s) => asList(s.Resource))).toHaveLength(STEPS.length);
  });

  it('encrypts artifacts with the customer-managed key, over TLS only, with public access blocked', () => {
    expect(pipeline.ArtifactStore).toEqual({ Type: 'S3', Location: { Ref: artifactBucketId }, EncryptionKey: { Id: { 'Fn::GetAtt': [keyId, 'Arn'] }, Type: 'KMS' } });
    expect(resources[keyId].Properties.EnableKeyRotation).toBe(true);
    expect(resources[artifactBucketId].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ Status: 'Enabled', ExpirationInDays: expect.any(Number) })] },
    });
  });

  it.each(['artifact', 'access-log'])('denies every non-TLS request to the %s bucket', (kind) => {
    const bucketId = kind === 'artifact' ? artifactBucketId : resources[artifactBucketId].Properties.LoggingConfiguration.DestinationBucketName.Ref;
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('logs access to the artifacts in a second private, versioned bucket', () => {
    const logBucketId = resources[artifactBucketId].Properties.LoggingConfiguration.DestinationBucketName.Ref;
    expect(logBucketId).not.toBe(artifactBucketId);
    expect(resources[logBucketId].Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it(`${config.protectStatefulResources ? 'retains' : 'removes'} buckets, keys and logs with the stack${config.protectStatefulResources ? ' and protects the stack' : ''}`, () => {
    const policy = config.protectStatefulResources ? 'RetainExceptOnCreate' : 'Delete';
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      for (const id of idsOf(type)) expect({ id, policy: resources[id].DeletionPolicy }).toEqual({ id, policy });
    }
    expect(synthesized(envName).terminationProtection(stackName)).toBe(config.protectStatefulResources);
  });
});

describe("the standby check's buildspec, run locally with aws, curl and sleep stubbed", () => {
  const template = synthesized('dev').template('dev-pipeline-us-east-1').toJSON();
  const project = Object.values(template.Resources as Resources).find((r) => r.Type === 'AWS::CodeBuild::Project' && r.Properties.Name === 'dev-pipeline-us-east-1-verify-standby')!;
  const script: string = JSON.parse(project.Properties.Source.BuildSpec).phases.build.commands.join('\n');
  // What the eu-west-1 monitoring stack really names, and its probe of us-east-1, which is not among them.
  const monitoring = synthesized('dev').template('dev-monitoring-eu-west-1').toJSON();
  const healthAlarms: string = monitoring.Outputs?.[HEALTH_ALARM_NAMES_OUTPUT]?.Value ?? '';
  const probe = 'dev-monitoring-eu-west-1-probe-us-east-1';
  const allAlarms = Object.values(monitoring.Resources as Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties.AlarmName as string);
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'verify-standby-'));
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(dir, name), `#!/bin/bash\necho "${name} $*" >> "$STUB_LOG"\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    };
    // describe-alarms answers, as the CLI's text output does, one "name<TAB>state" line per alarm
    // it was asked for and that exists, from STUB_STATES ("name=STATE" words).
    stub(
      'aws',
      [
        '[ -n "$STUB_DENIED" ] && { echo "An error occurred (AccessDenied)" >&2; exit 254; }',
        'case "$2" in',
        '  describe-stacks) case "$*" in *dev-app-eu-west-1*) echo dev-app-lb.eu-west-1.elb.amazonaws.com ;; *dev-monitoring-eu-west-1*) echo "$STUB_OUTPUT" ;; esac ;;',
        '  describe-alarms)',
        '    asked=0; for arg in "$@"; do',
        '      if [ "$arg" = --alarm-names ]; then asked=1; continue; fi',
        '      case "$arg" in --*) asked=0 ;; esac',
        '      if [ "$asked" = 1 ]; then for pair in $STUB_STATES; do [ "${pair%%=*}" = "$arg" ] && printf "%s\\t%s\\n" "$arg" "${pair#*=}"; done; fi',
        '    done ;;',
        'esac',
      ].join('\n'),
    );
    stub('curl', 'printf %s "$STUB_STATUS"; [ "$STUB_STATUS" != 000 ]');
    stub('sleep', '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let runs = 0;
  /** Runs the check; every alarm is OK unless `states` says otherwise, and the probe of us-east-1 is in ALARM, as on a first deploy. */
  const check = ({ status = '200', states = {} as Record<string, string>, output = healthAlarms, denied = '' } = {}) => {
    const log = path.join(dir, `calls-${++runs}`);
    const all = { ...Object.fromEntries(allAlarms.map((name) => [name, 'OK'])), [probe]: 'ALARM', ...states };
    const result = spawnSync('bash', ['-c', script], {
      env: {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        STUB_LOG: log,
        STUB_STATUS: status,
        STUB_OUTPUT: output,
        STUB_STATES: Object.entries(all)
          .filter(([, state]) => state !== 'absent')
          .map(([name, state]) => `${name}=${state}`)
          .join(' '),
        STUB_DENIED: denied,
      },
      encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls: readFileSync(log, 'utf8') };
  };

  it("checks exactly the alarms the monitoring stack names: the region's own, never its probe of us-east-1 or the rotation's", () => {
    expect(allAlarms).toContain(probe);
    // Nor the credentials rotation's: it watches a function that runs only while a rotation runs, not the region's health.
    const rotationFailed = 'dev-monitoring-eu-west-1-credentials-rotation-failed';
    expect(allAlarms).toContain(rotationFailed);
    expect(healthAlarms.split(' ').sort()).toEqual(allAlarms.filter((name) => name !== probe && name !== rotationFailed).sort());
  });

  it('passes when /health answers 200 and every named alarm is OK, though the probe of us-east-1 is in ALARM', () => {
    const { status, stdout, calls } = check();
    expect(status).toBe(0);
    expect(calls).toContain('curl --silent');
    expect(calls).toContain('--connect-to eu-west-1.app.dev.example.com:443:dev-app-lb.eu-west-1.elb.amazonaws.com:443 https://eu-west-1.app.dev.example.com/health');
    expect(calls).toContain(`aws cloudwatch describe-alarms --region eu-west-1 --alarm-names ${healthAlarms} --query`);
    expect(calls).not.toContain(probe);
    expect(stdout).toContain(`All ${healthAlarms.split(' ').length} alarms of eu-west-1 are OK`);
  });

  it.each(['503', '404', '000'])('fails when /health answers %s, before reading the alarms', (answer) => {
    const { status, stderr, calls } = check({ status: answer });
    expect(status).not.toBe(0);
    expect(stderr).toContain(`answered ${answer}, not 200`);
    expect(calls).not.toContain('describe-alarms');
  });

  it('fails, without requesting /health, when it may not read the app stack', () => {
    const { status, calls } = check({ denied: 'AccessDenied' });
    expect(status).not.toBe(0);
    expect(calls).not.toContain('curl');
  });

  it('fails when an alarm of the region is in ALARM, naming it', () => {
    const { status, stderr } = check({ states: { 'dev-monitoring-eu-west-1-alb-target-5xx': 'ALARM' } });
    expect(status).not.toBe(0);
    expect(stderr).toContain('In ALARM in eu-west-1: dev-monitoring-eu-west-1-alb-target-5xx');
  });

  it('fails when an alarm of the region has INSUFFICIENT_DATA after the wait: no data has not shown the standby healthy', () => {
    const { status, stderr } = check({ states: { 'dev-monitoring-eu-west-1-asg-cpu-high': 'INSUFFICIENT_DATA' } });
    expect(status).not.toBe(0);
    expect(stderr).toContain('INSUFFICIENT_DATA in eu-west-1 after 300 s: dev-monitoring-eu-west-1-asg-cpu-high has no data to show the region healthy');
  });

  it('fails when an alarm the monitoring stack names does not exist', () => {
    const { status, stderr } = check({ states: { 'dev-monitoring-eu-west-1-rds-replica-lag': 'absent' } });
    expect(status).not.toBe(0);
    expect(stderr).toContain('No such alarm in eu-west-1: dev-monitoring-eu-west-1-rds-replica-lag');
  });

  it('fails, before the wait, when the monitoring stack names no alarms (not deployed, or without the output)', () => {
    for (const output of ['', 'None']) {
      const { status, stderr, calls } = check({ output });
      expect(status).not.toBe(0);
      expect(stderr).toContain(`dev-monitoring-eu-west-1 has no ${HEALTH_ALARM_NAMES_OUTPUT} output`);
      expect(calls).not.toContain('sleep');
    }
  });
});

describe('the Diff step\'s Python packages', () => {
  it('are the versions requirements-test.txt pins', () => {
    const pins = readFileSync(path.join(__dirname, '..', 'requirements-test.txt'), 'utf8').split('\n').map((line) => line.trim());
    for (const pin of PREFLIGHT_PACKAGES) expect(pins).toContain(pin);
  });
});

describe("the app as the pipeline's deploy step builds it (-c pipeline=false)", () => {
  const stackNames = (includePipeline: boolean): string[] => {
    const app = testApp();
    buildApp(app, offlineConfig('prod'), { includePipeline, cloudFormationValidation: false });
    return app.node.children.map((c) => c.node.id);
  };

  it('has every stack but the pipeline, so a run never updates the pipeline that runs it', () => {
    const all = stackNames(true);
    expect(all).toContain('prod-pipeline-us-east-1');
    expect(stackNames(false)).toEqual(all.filter((name) => name !== 'prod-pipeline-us-east-1'));
  });

  it('reads -c pipeline as true by default, false only when asked, and refuses anything else', () => {
    expect([undefined, true, 'true'].map(includePipelineFrom)).toEqual([true, true, true]);
    expect([false, 'false'].map(includePipelineFrom)).toEqual([false, false]);
    expect(() => includePipelineFrom('no')).toThrow('Invalid -c pipeline=no: expected true or false');
  });
});
