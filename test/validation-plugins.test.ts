import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { BackgroundCloudFormationValidation, controlTowerRuleFiles, ScopedCfnGuardValidator } from '../lib/compliance';
import { synthesized } from './support/assembly';

// The two speed-ups of the synth's checks must not change a single finding. Each is
// compared with the stock plugin it replaces, on the prod environment's templates.

const prod = synthesized('prod');

function contextFor(stackNames: string[]): IPolicyValidationContext {
  const stackTemplates = stackNames.map((stack) => {
    const [, accountId, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(prod.stackEnvironment(stack))!;
    return { stackConstructPath: stack, templatePath: prod.templatePath(stack), accountId, region };
  });
  return { templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates, appConstruct: new App() };
}

/** A report with its violations in a stable order, to compare two plugins' findings. */
function sorted(report: PolicyValidationPluginReport): PolicyValidationPluginReport {
  return { ...report, violations: [...report.violations].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) };
}

describe('cfn-guard scoped to the rules that can apply to each template', () => {
  const ruleFiles = controlTowerRuleFiles();

  // A rule file may select resources only by `Type == %VAR`, with VAR a literal
  // `AWS::…` type in the same file. Two other filters occur and select nothing:
  // `keys == %resource_key` looks up a resource that a selected one references, and
  // `[*]` reads a property that happens to be called Resources (EKS EncryptionConfig).
  // Anything else fails here, to be reviewed when the package is upgraded.
  it.each(ruleFiles.map((rule) => [path.basename(rule.file), rule.file]))(
    '%s selects resources only by the literal types it names',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      const literalType = (variable: string): boolean =>
        new RegExp(`^let\\s+${variable}\\s*=\\s*(['"])AWS::[A-Za-z0-9]+::[A-Za-z0-9]+\\1`, 'm').test(source);
      const filters = [...source.matchAll(/Resources(?:\.\*)?\[([^\]]*)\]/g)].map((match) => match[1].trim());
      const typeFilters = filters.filter((filter) => filter !== '*' && !/^keys\s*==\s*%\w+$/.test(filter));
      expect(typeFilters.length).toBeGreaterThan(0);
      for (const filter of typeFilters) {
        const variables = filter.split(/\s+or\s+/).map((clause) => /^Type\s*==\s*%(\w+)$/.exec(clause.trim())?.[1]);
        expect({ filter, literal: variables.map((variable) => variable !== undefined && literalType(variable)) }).toEqual({
          filter,
          literal: variables.map(() => true),
        });
      }
    },
  );

  it('finds in every prod template exactly what the stock plugin finds with all 237 rules', () => {
    const context = contextFor(prod.stackNames);
    const stock = new CfnGuardValidator().validate(context);
    const scoped = new ScopedCfnGuardValidator().validate(context);
    expect(stock.violations.length).toBeGreaterThan(0);
    expect(sorted(scoped)).toEqual(sorted(stock));
  });

  it('reports under the stock plugin name, so acknowledgements read cdk-validator-cfnguard::<rule>', () => {
    expect(new ScopedCfnGuardValidator()).toMatchObject({ name: 'cdk-validator-cfnguard', ruleIds: new CfnGuardValidator().ruleIds });
  });
});

describe('CloudFormation validation on a worker thread', () => {
  it("reports for every prod template exactly what aws-cdk-lib's plugin reports on the main thread", () => {
    const context = contextFor(prod.stackNames);
    const background = new BackgroundCloudFormationValidation();
    background.begin(context);
    const stock = new CloudFormationValidatePlugin().validate(context);
    expect(stock.violations.length).toBeGreaterThan(0);
    expect(sorted(background.validate(context))).toEqual(sorted(stock));
  });

  it('is a CloudFormationValidatePlugin, so aws-cdk-lib runs it in place of its default and never both', () => {
    expect(new BackgroundCloudFormationValidation()).toBeInstanceOf(CloudFormationValidatePlugin);
    expect(new BackgroundCloudFormationValidation().name).toBe(CloudFormationValidatePlugin.PLUGIN_NAME);
  });
});
