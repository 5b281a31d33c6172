import { App, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { acknowledge, AcknowledgementError, addCompliancePlugins } from '../lib/compliance';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { cdkJsonContext, testApp } from './support/synth';

/** The construct paths of an environment: of its CloudFormation resources (an `aws:cdk:logicalId` entry naming one), and of every construct. */
function constructPaths(envName: string): { resources: Set<string>; all: Set<string> } {
  const assembly = synthesized(envName);
  const resources = new Set<string>();
  const all = new Set<string>();
  for (const stack of assembly.stackNames) {
    const logicalIds = assembly.template(stack).toJSON().Resources as Record<string, unknown>;
    const metadataFile = assembly.templatePath(stack).replace(/\.template\.json$/, '.metadata.json');
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, Array<{ type: string; data: unknown }>>;
    for (const [constructPath, entries] of Object.entries(metadata)) {
      all.add(constructPath.replace(/^\//, ''));
      if (entries.some((e) => e.type === 'aws:cdk:logicalId' && typeof e.data === 'string' && Object.hasOwn(logicalIds, e.data))) resources.add(constructPath.replace(/^\//, ''));
    }
  }
  return { resources, all };
}

describe.each(ENVIRONMENT_NAMES)('%s compliance', (envName) => {
  const { open, acknowledged } = synthesized(envName).findings();
  const paths = constructPaths(envName);

  it('has no unacknowledged cdk-nag, cfn-guard or CloudFormation finding', () => {
    expect(open.map((f) => `${f.plugin} ${f.rule} ${f.constructPath}`)).toEqual([]);
  });

  it('has no acknowledgement left over from a finding that no longer occurs', () => {
    const used = (ack: { path: string; id: string }) =>
      acknowledged.some((f) => f.acknowledgedId === ack.id && (f.constructPath === ack.path || f.constructPath.startsWith(`${ack.path}/`)));
    // CDK acknowledges some CloudFormation-Validate rules itself, and the tests synthesize with
    // that validation off; acknowledged CDK annotations are dropped before the report is written.
    const ours = synthesized(envName)
      .acknowledgements()
      .filter((ack) => !ack.id.startsWith('CloudFormation-Validate::') && !ack.id.startsWith('Annotation::'));
    expect(ours.filter((ack) => !used(ack))).toEqual([]);
  });

  it('lists every acknowledgement: one CloudFormation resource each (a construct annotation on the construct that warns), a reason of 40+ characters, IAM5 with its exact entry', () => {
    const acks = synthesized(envName)
      .acknowledgements()
      .filter((ack) => !ack.id.startsWith('CloudFormation-Validate::'));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const where = `${ack.id} on ${ack.path}`;
      const onOne = ack.id.startsWith('Annotation::') ? paths.all.has(ack.path) && !synthesized(envName).stackNames.includes(ack.path) : paths.resources.has(ack.path);
      expect({ where, onOne }).toEqual({ where, onOne: true });
      expect({ where, reason: ack.reason.trim().length >= 40 }).toEqual({ where, reason: true });
      if (ack.id.includes('AwsSolutions-IAM5')) expect(ack.id).toMatch(/^AwsSolutions::AwsSolutions-IAM5\[(Action|Resource)::.+\]$/);
    }
  });

  it('acknowledges findings only on single resources, each with a real reason', () => {
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const finding of acknowledged) {
      expect({ finding: `${finding.acknowledgedId} on ${finding.constructPath}`, onOneResource: paths.resources.has(finding.constructPath) }).toMatchObject({ onOneResource: true });
      expect(finding.reason?.trim().length ?? 0).toBeGreaterThanOrEqual(40);
    }
  });
});

describe('the compliance harness', () => {
  // The built-in validation stays on here, as in the CLI's synth, to prove it runs once: the
  // App's default is on unless CDK_VALIDATION=false, which the test workers set (jest-setup.ts).
  const validation = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  const app = new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:failSynthOnValidationErrors': false } });
  addCompliancePlugins(app, { cloudFormationValidation: true });
  const stack = new Stack(app, 'NonCompliant', { env: { account: '111111111111', region: 'us-east-1' } });
  new s3.Bucket(stack, 'OpenBucket', { removalPolicy: RemovalPolicy.DESTROY });
  new logs.LogGroup(stack, 'ShortLogs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
  new CfnResource(stack, 'Misspelt', { type: 'AWS::SNS::Topic', properties: { TopicNmae: 'typo' } });
  const assembly = app.synth();
  process.env.CDK_VALIDATION = validation;
  const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
  const rulesBy = (plugin: string): string[] =>
    report.pluginReports.filter((r: any) => r.pluginName === plugin).flatMap((r: any) => r.violations.map((v: any) => v.ruleName));

  it('runs the AWS Solutions pack', () => {
    expect(rulesBy('AwsSolutions')).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  it('runs the NIST 800-53 R5 pack', () => {
    expect(rulesBy('NIST.800.53.R5')).toEqual(expect.arrayContaining(['NIST.800.53.R5-S3BucketLoggingEnabled', 'NIST.800.53.R5-CloudWatchLogGroupEncrypted']));
  });

  it("runs the organisation's rules", () => {
    expect(rulesBy('webtier-org-rules')).toEqual(expect.arrayContaining(['NamingConvention', 'MandatoryTags']));
  });

  it('runs the AWS Control Tower proactive controls through cfn-guard', () => {
    expect(rulesBy('cdk-validator-cfnguard')).toEqual(expect.arrayContaining(['cloudwatch_log_group_retention_period_check']));
  });

  it("runs CloudFormation's built-in validation once, on its worker thread, in place of the App's default", () => {
    const reports = report.pluginReports.filter((r: any) => r.pluginName === 'CloudFormation Validate');
    expect(reports).toHaveLength(1);
    expect(reports[0].violations).toEqual([
      expect.objectContaining({
        ruleName: 'F3002',
        severity: 'error',
        violatingConstructs: [expect.objectContaining({ constructPath: 'NonCompliant/Misspelt' })],
      }),
    ]);
  });
});

describe('acknowledge', () => {
  const reason = 'A reason that is long enough to explain why this is safe here.';

  it('refuses a stack-wide acknowledgement', () => {
    const stack = new Stack(testApp(), 'S');
    new logs.LogGroup(stack, 'Logs');
    expect(() => acknowledge(stack, { id: 'AwsSolutions::AwsSolutions-IAM4', reason })).toThrow(/must name one resource, not the stack or app at "S"/);
  });

  it('refuses a rule id without its plugin namespace, which would drop it from the report', () => {
    const stack = new Stack(testApp(), 'S');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    expect(() => acknowledge(logGroup, { id: 'AwsSolutions-IAM4', reason })).toThrow(/must start with its plugin namespace/);
  });

  it('refuses a construct that holds no resource', () => {
    const stack = new Stack(testApp(), 'S');
    expect(() => acknowledge(new Construct(stack, 'Empty'), { id: 'AwsSolutions::AwsSolutions-IAM4', reason })).toThrow(/holds no CloudFormation resource/);
  });

  it('refuses a reason under 40 characters', () => {
    const stack = new Stack(testApp(), 'S');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    expect(() => acknowledge(logGroup, { id: 'AwsSolutions::AwsSolutions-IAM4', reason: 'not needed' })).toThrow(/needs a reason of at least 40 characters/);
    // bin/app.ts prints this error class as one line, without a stack trace.
    expect(() => acknowledge(logGroup, { id: 'AwsSolutions::AwsSolutions-IAM4', reason: 'not needed' })).toThrow(AcknowledgementError);
  });
});
