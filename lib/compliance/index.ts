import { Validations, type App } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

export * from './acknowledge';

/**
 * Runs the AWS Solutions and NIST 800-53 R5 cdk-nag packs and the AWS Control Tower
 * proactive controls (cfn-guard) on every stack when the app synthesizes. Any
 * finding not acknowledged on its resource fails synth.
 */
export function addCompliancePlugins(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new NIST80053R5Checks(app, { verbose: true }),
    new CfnGuardValidator(),
  );
}
