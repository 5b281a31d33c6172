import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  BackgroundCloudFormationValidation,
  controlTowerRuleFiles,
  resourceTypesIn,
  rulesFor,
  ScopedCfnGuardValidator,
  selectedResourceTypes,
  startingInBackground,
} from '../lib/compliance';
import { synthesized } from './support/assembly';
import { referenceReport } from './support/reference-reports';

// The two speed-ups of the synth's checks must not change a single finding. Each is
// compared with the stock plugin it replaces, on the prod environment's templates.

const prod = synthesized('prod');
/**
 * The prod templates the comparisons read: every stack but eu-west-1's network, app and
 * monitoring, which repeat us-east-1's resource types (the stock plugins are slow).
 */
const compared = prod.stackNames.filter((stack) => !/-(network|app|monitoring)-eu-west-1$/.test(stack));

function contextFor(stackNames: string[]): IPolicyValidationContext {
  const stackTemplates = stackNames.map((stack) => {
    const [, accountId, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(prod.stackEnvironment(stack))!;
    return { stackConstructPath: stack, templatePath: prod.templatePath(stack), accountId, region };
  });
  return { templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates, appConstruct: new App() };
}

/**
 * What a stock plugin reports on the compared templates, computed once per templates' contents
 * and lockfile (test/support/reference-reports.ts): the stock cfn-guard plugin alone takes about
 * 50 s. The plugins under test always run.
 */
function stockReport(
  plugin: string,
  validate: (context: IPolicyValidationContext) => PolicyValidationPluginReport,
  context = contextFor(compared),
): PolicyValidationPluginReport {
  return referenceReport(plugin, context.templatePaths, () => validate(context));
}

/** A report with its violations in a stable order, to compare two plugins' findings. */
function sorted(report: PolicyValidationPluginReport): PolicyValidationPluginReport {
  return { ...report, violations: [...report.violations].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) };
}

describe('cfn-guard scoped to the rules that can apply to each template', () => {
  const ruleFiles = controlTowerRuleFiles();

  it.each(ruleFiles.map((rule) => [path.basename(rule.file), rule]))('%s selects resources only by literal types', (_name, rule) => {
    // A rule whose selection is not understood runs on every template: correct, but slow.
    expect(rule.resourceTypes).toBeDefined();
  });

  it('reads the types a rule selects, and refuses any other kind of filter', () => {
    const rule = (filter: string): string => `let BUCKET = "AWS::S3::Bucket"\nlet KEY = 'AWS::KMS::Key'\nlet x = ${filter}\n`;
    expect(selectedResourceTypes(rule('Resources.*[ Type == %BUCKET ]'))).toEqual(new Set(['AWS::S3::Bucket']));
    expect(selectedResourceTypes(rule('Resources[\n  Type == %BUCKET or\n  Type == %KEY\n]'))).toEqual(new Set(['AWS::S3::Bucket', 'AWS::KMS::Key']));
    expect(selectedResourceTypes(rule('Resources.*[ Type == %BUCKET ]\nlet y = %doc.Resources[ keys == %resource_key ]'))).toEqual(new Set(['AWS::S3::Bucket']));
    expect(selectedResourceTypes(rule('Resources.*[ Type == /AWS::S3::/ ]'))).toBeUndefined();
    expect(selectedResourceTypes(rule('Resources.*[ Type == %UNBOUND ]'))).toBeUndefined();
    expect(selectedResourceTypes(rule('Resources.*[ Properties exists ]'))).toBeUndefined();
    expect(selectedResourceTypes('rule r { Resources exists }')).toBeUndefined();
  });

  it('runs on each template only the rules that select one of its types', () => {
    const rulesFor_ = (stack: string): string[] => rulesFor(ruleFiles, resourceTypesIn(prod.templatePath(stack))).map((file) => path.basename(file));
    // The DNS stack holds health checks, records, alarms, the Region switch plan and its health-check
    // lookup (a function with its role, policy, log group and key), and no bucket or database.
    expect(rulesFor_('prod-dns-global').length).toBeLessThan(20);
    expect(rulesFor_('prod-dns-global')).toEqual(expect.arrayContaining(['ct-kms-pr-1.guard']));
    expect(rulesFor_('prod-dns-global')).not.toEqual(expect.arrayContaining(['ct-s3-pr-1.guard']));
    expect(rulesFor_('prod-dns-global')).not.toEqual(expect.arrayContaining(['ct-rds-pr-1.guard']));
    expect(rulesFor_('prod-data-us-east-1')).toEqual(expect.arrayContaining(['ct-rds-pr-1.guard']));
    const runs = prod.stackNames.reduce((sum, stack) => sum + rulesFor_(stack).length, 0);
    expect(runs).toBeLessThan((ruleFiles.length * prod.stackNames.length) / 5);
  });

  it('finds in every kind of prod template exactly what the stock plugin finds with all 237 rules', () => {
    const typesOf = (stacks: string[]) => new Set(stacks.flatMap((stack) => [...resourceTypesIn(prod.templatePath(stack))]));
    expect(typesOf(compared)).toEqual(typesOf(prod.stackNames));
    const stock = stockReport('cdk-validator-cfnguard', (context) => new CfnGuardValidator().validate(context));
    const scoped = new ScopedCfnGuardValidator().validate(contextFor(compared));
    expect(stock.violations.length).toBeGreaterThan(0);
    expect(sorted(scoped)).toEqual(sorted(stock));
  });

  it('leaves out disabled rules, as the stock plugin does', () => {
    const context = contextFor(['prod-network-us-east-1']);
    const rulesOf = (report: PolicyValidationPluginReport): string[] => report.violations.map((v) => v.ruleName);
    expect(rulesOf(new ScopedCfnGuardValidator().validate(context))).toContain('lambda_inside_vpc_check');
    expect(rulesOf(new ScopedCfnGuardValidator({ disabledRules: ['ct-lambda-pr-3'] }).validate(context))).not.toContain('lambda_inside_vpc_check');
  });

  it('reports under the stock plugin name, so acknowledgements read cdk-validator-cfnguard::<rule>', () => {
    expect(new ScopedCfnGuardValidator()).toMatchObject({ name: 'cdk-validator-cfnguard', ruleIds: new CfnGuardValidator().ruleIds });
  });
});

describe('starting the background checks', () => {
  it('starts every background plugin before the wrapped plugin runs, under its name', () => {
    const calls: string[] = [];
    const background = ['guard', 'cloudformation'].map((name) => ({ name, begin: () => calls.push(`begin ${name}`), validate: () => ({ success: true, violations: [] }) }));
    const first = startingInBackground({ name: 'AwsSolutions', validate: () => (calls.push('validate AwsSolutions'), { success: true, violations: [] }) }, background);
    first.validate(contextFor(['prod-dns-global']));
    expect(first.name).toBe('AwsSolutions');
    expect(calls).toEqual(['begin guard', 'begin cloudformation', 'validate AwsSolutions']);
  });
});

describe('CloudFormation validation on a worker thread', () => {
  it("reports for every kind of prod template exactly what aws-cdk-lib's plugin reports on the main thread", () => {
    // The prod templates draw no finding (the validation spares a template that holds CDK's
    // AWS::CDK::Metadata resource), so one more template, us-east-1's app without that resource,
    // draws some (hard-coded availability zones): the two must agree on findings, not only on none.
    const bare = JSON.parse(readFileSync(prod.templatePath('prod-app-us-east-1'), 'utf8'));
    for (const [id, resource] of Object.entries(bare.Resources as Record<string, { Type: string }>)) {
      if (resource.Type === 'AWS::CDK::Metadata') delete bare.Resources[id];
    }
    const bareFile = path.join(mkdtempSync(path.join(tmpdir(), 'bare-template-')), 'prod-app-us-east-1-bare.template.json');
    writeFileSync(bareFile, JSON.stringify(bare));
    const prodContext = contextFor(compared);
    const bareStack = { ...prodContext.stackTemplates.find((s) => s.stackConstructPath === 'prod-app-us-east-1')!, stackConstructPath: 'bare', templatePath: bareFile };
    const context = { ...prodContext, templatePaths: [...prodContext.templatePaths, bareFile], stackTemplates: [...prodContext.stackTemplates, bareStack] };
    const background = new BackgroundCloudFormationValidation();
    background.begin(context);
    const stock = stockReport(CloudFormationValidatePlugin.PLUGIN_NAME, (all) => new CloudFormationValidatePlugin().validate(all), context);
    expect(stock.violations.length).toBeGreaterThan(0);
    expect(sorted(background.validate(context))).toEqual(sorted(stock));
  });

  it("fails with the worker's error instead of waiting for a report that will not come", () => {
    const context = contextFor(['prod-dns-global']);
    const missing = { ...context, stackTemplates: [{ ...context.stackTemplates[0], templatePath: '/nonexistent/template.json' }] };
    expect(() => new BackgroundCloudFormationValidation().validate(missing)).toThrow(/Validation failed on the worker thread: .*ENOENT/s);
  });

  it('is a CloudFormationValidatePlugin, so aws-cdk-lib runs it in place of its default and never both', () => {
    expect(new BackgroundCloudFormationValidation()).toBeInstanceOf(CloudFormationValidatePlugin);
    expect(new BackgroundCloudFormationValidation().name).toBe(CloudFormationValidatePlugin.PLUGIN_NAME);
  });
});
