import { App, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { acknowledge, AcknowledgementError, addCompliancePlugins, MIN_REASON_LENGTH } from '../lib/compliance';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { cdkJsonContext, testApp } from './support/synth';

describe.each(ENVIRONMENT_NAMES)('%s compliance', (envName) => {
  const { open, acknowledged } = synthesized(envName).findings();

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

  it('lists every acknowledgement: one resource each, a reason of 40+ characters, IAM5 with its exact entry', () => {
    const acks = synthesized(envName)
      .acknowledgements()
      .filter((ack) => !ack.id.startsWith('CloudFormation-Validate::'));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const where = `${ack.id} on ${ack.path}`;
      expect({ where, depth: ack.path.split('/').length > 1 }).toEqual({ where, depth: true });
      expect({ where, reason: ack.reason.trim().length >= MIN_REASON_LENGTH }).toEqual({ where, reason: true });
      if (ack.id.includes('AwsSolutions-IAM5')) expect(ack.id).toMatch(/^AwsSolutions::AwsSolutions-IAM5\[(Action|Resource)::.+\]$/);
    }
  });

  it('acknowledges findings only on single resources, each with a real reason', () => {
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const finding of acknowledged) {
      expect(finding.constructPath.split('/').length).toBeGreaterThan(1);
      expect(finding.reason?.trim().length ?? 0).toBeGreaterThanOrEqual(MIN_REASON_LENGTH);
    }
  });
});

describe('the compliance harness', () => {
  // The built-in validation stays on here, as in the CLI's synth, to prove it runs once.
  const app = new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:failSynthOnValidationErrors': false } });
  addCompliancePlugins(app, { cloudFormationValidation: true });
  const stack = new Stack(app, 'NonCompliant', { env: { account: '111111111111', region: 'us-east-1' } });
  new s3.Bucket(stack, 'OpenBucket', { removalPolicy: RemovalPolicy.DESTROY });
  new logs.LogGroup(stack, 'ShortLogs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
  new CfnResource(stack, 'Misspelt', { type: 'AWS::SNS::Topic', properties: { TopicNmae: 'typo' } });
  const assembly = app.synth();
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

  it(`refuses a reason under ${MIN_REASON_LENGTH} characters`, () => {
    const stack = new Stack(testApp(), 'S');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    expect(() => acknowledge(logGroup, { id: 'AwsSolutions::AwsSolutions-IAM4', reason: 'not needed' })).toThrow(/needs a reason of at least 40 characters/);
    // bin/app.ts prints this error class as one line, without a stack trace.
    expect(() => acknowledge(logGroup, { id: 'AwsSolutions::AwsSolutions-IAM4', reason: 'not needed' })).toThrow(AcknowledgementError);
  });
});
