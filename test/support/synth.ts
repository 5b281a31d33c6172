import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildApp, cliContext } from '../../lib/app';
import { loadConfig, type EnvironmentConfig } from '../../lib/config';

export { ASSEMBLY_ROOT } from './assembly-cache';

const ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags in cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
}

/**
 * An App as `cdk synth` runs it (`cliContext`, so it writes the CLI's templates; CI checks that
 * with scripts/same-templates.ts), except that validation findings are written to
 * validation-report.json and never fail synth (so tests can count them), and the built-in
 * CloudFormation schema validation is off: CI lints every template with cfn-lint, and here it
 * would cost ~5 s per environment.
 */
export function testApp(outdir?: string): App {
  return new App({ outdir, builtinCloudFormationValidation: false, context: { ...cdkJsonContext(), ...cliContext(['**']) } });
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
