import type { z } from 'zod';
import { ENVIRONMENTS, type EnvironmentSettings } from './environments';
import { environmentConfigSchema, PLACEHOLDER_ACCOUNT, type EnvironmentConfig, type RegionName } from './schema';

/** The CDK context keys the app reads (`-c key=value`), only in `bin/app.ts`. */
export const CONTEXT_KEYS = {
  /** Which environment to build: a key of ENVIRONMENTS. */
  environment: 'env',
  /** `false` leaves the environment's pipeline stack out: the pipeline deploys everything but itself. */
  pipeline: 'pipeline',
  /** `true` refuses placeholders and a wrong account: the pipeline's synth sets it, and so does a person deploying by hand. */
  strict: 'strict',
} as const;

/** A configuration problem, worded for the person running synth: one line, or one line per setting when several are placeholders. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where the values that are not in the environment files come from. */
export interface LoadConfigOptions {
  /** The account of the credentials in use (CDK_DEFAULT_ACCOUNT), if any. @default - none */
  readonly defaultAccount?: string;
  /** The settings per environment. @default ENVIRONMENTS */
  readonly environments?: Readonly<Record<string, EnvironmentSettings>>;
  /**
   * Whether to refuse what would break or misdirect a real deploy: placeholders, and an account
   * that is not the credentials' (`-c strict=true`). `bin/app.ts` passes false unless asked, so
   * anyone can look at the templates, credentials or not.
   * @default - true when defaultAccount is set
   */
  readonly strict?: boolean;
  /** Where a one-line note goes when credentials are in use, strict is off and placeholders remain. @default - nowhere */
  readonly note?: (line: string) => void;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates one environment's settings, filling the account from `defaultAccount` or a placeholder.
 * @throws ConfigError naming the environment, each bad setting and what is wrong with it; when strict,
 *   also each placeholder, one a line
 */
export function validateConfig(
  envName: string,
  settings: EnvironmentSettings,
  defaultAccount?: string,
  options: Pick<LoadConfigOptions, 'strict' | 'note'> = {},
): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse({
    ...settings,
    account: settings.account ?? defaultAccount ?? PLACEHOLDER_ACCOUNT,
  });
  if (!result.success) {
    throw new ConfigError(`Invalid configuration for environment "${envName}": ${result.error.issues.map(describeIssue).join('; ')}`);
  }
  if (result.data.name !== envName) {
    throw new ConfigError(`Invalid configuration for environment "${envName}": name: is "${result.data.name}", expected "${envName}"`);
  }
  const strict = options.strict ?? defaultAccount !== undefined;
  if (!strict && defaultAccount === undefined) return result.data;
  const problems = deployProblems(settings, result.data, defaultAccount);
  if (problems.length === 0) return result.data;
  if (strict) {
    const credentials = defaultAccount === undefined ? 'without AWS credentials' : `with AWS credentials for ${defaultAccount}`;
    throw new ConfigError([`Environment "${envName}" is not ready to deploy (-c ${CONTEXT_KEYS.strict}=true, ${credentials}); set in lib/config/environments.ts:`, ...problems.map((p) => `  ${p}`)].join('\n'));
  }
  options.note?.(
    `note: ${envName} keeps ${problems.length} placeholder setting${problems.length > 1 ? 's' : ''} (synthesized anyway); before a deploy, \`-c ${CONTEXT_KEYS.strict}=true\` lists them and refuses them, as the pipeline does`,
  );
  return result.data;
}

/** The shape of the placeholder ids shipped in environments.ts. */
const PLACEHOLDER_HOSTED_ZONE = /^Z0+[A-Z]*$/;
const PLACEHOLDER_UUID = /\/0{8}-0{4}-0{4}-0{4}-0{11}\d$/;
const PLACEHOLDER_AMI = /^ami-0{16}\d$/;
/** RFC 2606 names, which the shipped settings use for the domain and the alert addresses. */
const RESERVED_DOMAIN = /(^|[.@])example\.(com|org|net)$/;

/**
 * What would break or misdirect a real deploy, one entry per setting, each starting with its path.
 * Refused only in strict mode (`-c strict=true`, which the pipeline sets): a plain synth, with
 * credentials or without, keeps its placeholders so anyone can look at the templates.
 */
function deployProblems(settings: EnvironmentSettings, config: EnvironmentConfig, credentialsAccount: string | undefined): string[] {
  const problems: string[] = [];
  if (credentialsAccount === undefined) {
    if (config.account === PLACEHOLDER_ACCOUNT) problems.push(`account: is the placeholder ${PLACEHOLDER_ACCOUNT}; set the environment's account, or synthesize with its credentials`);
  } else {
    if (settings.account === undefined && config.protectStatefulResources) {
      problems.push(`account: must be set for ${config.name}, which protects state: falling back to the credentials' account could deploy it into another environment's account`);
    }
    if (config.account !== credentialsAccount) {
      problems.push(`account: is ${config.account} but the credentials are for ${credentialsAccount}; use credentials for the environment's own account`);
    }
  }
  if (PLACEHOLDER_HOSTED_ZONE.test(config.dns.hostedZoneId)) problems.push('dns.hostedZoneId: is a placeholder; set the hosted zone the records and certificates go in');
  if (RESERVED_DOMAIN.test(config.dns.hostedZoneName)) problems.push('dns.hostedZoneName: is a placeholder domain; set your hosted zone\'s name');
  if (config.alertEmails.some((email) => RESERVED_DOMAIN.test(email))) problems.push('alertEmails: holds a placeholder address; set who gets the alarms');
  for (const [region, ami] of Object.entries(config.app.amiIds)) {
    if (PLACEHOLDER_AMI.test(ami)) problems.push(`app.amiIds.${region}: is a placeholder; pin the current image (bash scripts/print-latest-ami.sh)`);
  }
  if (PLACEHOLDER_UUID.test(config.pipeline.connectionArn)) problems.push('pipeline.connectionArn: is a placeholder; create and approve the connection, then set its ARN');
  return problems;
}

/**
 * Loads the environment that `-c env=…` names.
 * @throws ConfigError when the name is unknown or its settings are invalid
 */
export function loadConfig(envName: unknown, options: LoadConfigOptions = {}): EnvironmentConfig {
  const environments = options.environments ?? ENVIRONMENTS;
  if (typeof envName !== 'string' || !Object.hasOwn(environments, envName)) {
    throw new ConfigError(`Unknown environment ${JSON.stringify(envName)} (from -c env=…): expected one of ${Object.keys(environments).join(', ')}`);
  }
  return validateConfig(envName, environments[envName], options.defaultAccount, options);
}

/**
 * The environment with other region roles: the config change after a Region switch
 * (docs/disaster-recovery.md, "After a switch"), validated like any other.
 * @throws ConfigError when the roles are impossible (e.g. the founding region as standby with its first writer)
 */
export function withRegionRoles(config: EnvironmentConfig, primaryRegion: RegionName, generations: Partial<Record<RegionName, number>>): EnvironmentConfig {
  const settings = ENVIRONMENTS[config.name];
  return validateConfig(config.name, { ...settings, account: config.account, primaryRegion, database: { ...settings.database, generations } });
}

/** Reads a `-c <key>=true|false` switch: the CLI passes strings, a test may pass booleans; unset is `unset`. */
function booleanContext(key: string, value: unknown, unset: boolean): boolean {
  if (value === undefined) return unset;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(`Invalid -c ${key}=${String(value)}: expected true or false`);
}

/**
 * Reads `-c strict=…`: whether to refuse placeholders (false unless asked).
 * @throws ConfigError when the value is neither true nor false
 */
export function strictFrom(value: unknown): boolean {
  return booleanContext(CONTEXT_KEYS.strict, value, false);
}

/**
 * Reads `-c pipeline=…`: whether to build the environment's pipeline stack.
 * @throws ConfigError when the value is neither true nor false
 */
export function includePipelineFrom(value: unknown): boolean {
  return booleanContext(CONTEXT_KEYS.pipeline, value, true);
}

/** Variables through which the AWS CLI and SDKs find credentials. */
const CREDENTIAL_VARIABLES = ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/**
 * A one-line warning when credentials are configured but the CDK CLI resolved no account
 * from them (expired, wrong profile): the checks that guard a real deploy run only with an
 * account, so they are skipped, and the person should know. Undefined otherwise.
 */
export function unresolvedCredentialsWarning(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.CDK_DEFAULT_ACCOUNT) return undefined;
  const set = CREDENTIAL_VARIABLES.filter((name) => env[name]);
  if (set.length === 0) return undefined;
  return `warning: ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set but no AWS account resolved from it; synthesizing with placeholders and without the deploy-time checks (run \`aws sts get-caller-identity\` to see why)`;
}
