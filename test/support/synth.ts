import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import {
  ANALYTICS_REPORTING_ENABLED_CONTEXT,
  ASSET_RESOURCE_METADATA_ENABLED_CONTEXT,
  BUNDLING_STACKS,
  PATH_METADATA_ENABLE_CONTEXT,
  type CloudAssembly,
} from 'aws-cdk-lib/cx-api';
import { buildApp } from '../../lib/app';
import { loadConfig, type EnvironmentConfig } from '../../lib/config';

export { ASSEMBLY_ROOT } from './assembly-cache';

const ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags in cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
}

/**
 * The context `cdk synth` hands the app besides cdk.json's (aws-cdk's contextFromSettings): the
 * resources' construct paths and asset metadata, the CDKMetadata resource, and assets bundled
 * for every stack. With it a test synth writes the templates `cdk synth` writes; CI checks that
 * they are the same (scripts/same-templates.ts).
 */
const CLI_SYNTH_CONTEXT = {
  [PATH_METADATA_ENABLE_CONTEXT]: true,
  [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
  [ANALYTICS_REPORTING_ENABLED_CONTEXT]: true,
  [BUNDLING_STACKS]: ['**'],
};

/**
 * An App as `cdk synth` runs it, except that validation findings are written to
 * validation-report.json instead of failing synth (so tests can count them), and
 * the built-in CloudFormation schema validation is off: CI lints every template with
 * cfn-lint, and here it would cost ~5 s per environment.
 */
export function testApp(outdir?: string): App {
  return new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), ...CLI_SYNTH_CONTEXT, '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
}

/** Builds and synthesizes one environment as `bin/app.ts` does; without the rule packs only where asked. */
export function synthEnvironment(config: EnvironmentConfig, outdir?: string, options: { rulePacks?: boolean; includePipeline?: boolean } = {}): CloudAssembly {
  const app = testApp(outdir);
  buildApp(app, config, { cloudFormationValidation: false, ...options });
  return app.synth();
}

/** The environment as the app loads it without AWS credentials. */
export function offlineConfig(envName: string): EnvironmentConfig {
  return loadConfig(envName, { defaultAccount: undefined });
}
