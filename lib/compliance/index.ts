import { Validations, type App } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

import { OrganisationRules } from './org-rules';

export * from './acknowledge';
export * from './org-rules';

/**
 * Runs the AWS Solutions and NIST 800-53 R5 cdk-nag packs, the AWS Control Tower
 * proactive controls (cfn-guard) and the organisation's own rules on every stack
 * when the app synthesizes. Any finding not acknowledged on its resource fails synth.
 */
export function addCompliancePlugins(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new NIST80053R5Checks(app, { verbose: true }),
    new CfnGuardValidator(),
    new OrganisationRules(),
  );
}
