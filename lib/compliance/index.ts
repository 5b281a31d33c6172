import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

import { BackgroundCloudFormationValidation, startingInBackground, type IBackgroundValidationPlugin } from './background-validation';
import { OrganisationRules } from './org-rules';
import { ScopedCfnGuardValidator } from './scoped-cfn-guard';

export * from './acknowledge';
export * from './background-validation';
export * from './org-rules';
export * from './scoped-cfn-guard';

/** Which checks {@link addCompliancePlugins} adds besides the rule packs, which are always on. */
export interface CompliancePluginOptions {
  /**
   * Whether to run aws-cdk-lib's built-in CloudFormation template validation. Turn it
   * off only where another check covers the templates: the tests' synth does, because CI
   * runs cfn-lint (whose rules this validation ports) on every environment's templates and
   * keeps this validation in its CLI synths. The App's `builtinCloudFormationValidation` prop does
   * not reach this plugin (it only drops aws-cdk-lib's default one): say it here too.
   * @default true, unless the environment sets CDK_VALIDATION=false (aws-cdk-lib's own switch)
   */
  readonly cloudFormationValidation?: boolean;
}

/**
 * Runs the AWS Solutions and NIST 800-53 R5 cdk-nag packs, the AWS Control Tower
 * proactive controls (cfn-guard), the organisation's own rules and CloudFormation's
 * built-in validation on every stack when the app synthesizes. Any finding not
 * acknowledged on its resource fails synth.
 *
 * cfn-guard and the built-in validation run on worker threads, started when the
 * first pack's turn comes and collected at their own turn, so they overlap the packs
 * and each other on the machine's cores; see docs/speed.md.
 */
export function addCompliancePlugins(app: App, options: CompliancePluginOptions = {}): void {
  const background: IBackgroundValidationPlugin[] = [new ScopedCfnGuardValidator()];
  if (options.cloudFormationValidation ?? process.env.CDK_VALIDATION !== 'false') background.push(new BackgroundCloudFormationValidation());
  Validations.of(app).addPlugins(
    startingInBackground(new AwsSolutionsChecks(app, { verbose: true }), background),
    new NIST80053R5Checks(app, { verbose: true }),
    new OrganisationRules(),
    ...background,
  );
}
