import type { RegionName } from './config/schema';

/** The services this app names stacks and resources after. */
export type Service = 'network' | 'data' | 'app' | 'monitoring' | 'dns' | 'pipeline';

/** A region, or `global` for what is deployed once per environment. */
export type Location = RegionName | 'global';

interface NameRule {
  /** AWS's maximum length. */
  readonly maxLength: number;
  /** Characters and shape AWS accepts. */
  readonly pattern: RegExp;
  /** What the pattern means, for the error message. */
  readonly allowed: string;
}

const ALNUM_HYPHEN = { pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, allowed: 'letters, digits and inner hyphens' };
const WORD_HYPHEN = { pattern: /^[A-Za-z0-9_-]+$/, allowed: 'letters, digits, hyphens and underscores' };

/** AWS naming limits for every kind of name this app sets. */
export const NAME_RULES = {
  stack: { maxLength: 128, pattern: /^[A-Za-z][A-Za-z0-9-]*$/, allowed: 'a letter, then letters, digits and hyphens' },
  loadBalancer: { maxLength: 32, ...ALNUM_HYPHEN },
  dbInstance: { maxLength: 63, pattern: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/, allowed: 'a lowercase letter, then lowercase letters, digits and single inner hyphens' },
  iamRole: { maxLength: 64, pattern: /^[\w+=,.@-]+$/, allowed: 'letters, digits and +=,.@_-' },
  logGroup: { maxLength: 512, pattern: /^[\w/.#-]+$/, allowed: 'letters, digits and _/.#-' },
  secret: { maxLength: 512, pattern: /^[\w/+=.@-]+$/, allowed: 'letters, digits and /_+=.@-' },
  snsTopic: { maxLength: 256, ...WORD_HYPHEN },
  alarm: { maxLength: 255, pattern: /^[\x20-\x7e]+$/, allowed: 'printable ASCII' },
  dashboard: { maxLength: 255, ...WORD_HYPHEN },
  webAcl: { maxLength: 128, ...WORD_HYPHEN },
  ssmDocument: { maxLength: 128, pattern: /^[\w.-]+$/, allowed: 'letters, digits and _.-' },
  // 1011 characters including the ARN before the name (about 60 here): 900 leaves room for every partition and account.
  ssmParameter: { maxLength: 900, pattern: /^[\w.-]+$/, allowed: 'letters, digits and _.-' },
  pipeline: { maxLength: 100, pattern: /^[A-Za-z0-9.@_-]+$/, allowed: 'letters, digits and .@_-' },
  buildProject: { maxLength: 150, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]+$/, allowed: 'a letter or digit, then letters, digits, hyphens and underscores' },
  bucket: { maxLength: 63, pattern: /^[a-z0-9](?!.*\.\.)[a-z0-9.-]*[a-z0-9]$/, allowed: 'lowercase letters, digits, dots and hyphens' },
  backupVault: { maxLength: 50, pattern: /^[A-Za-z0-9_-]{2,}$/, allowed: 'letters, digits, hyphens and underscores' },
  backupPlan: { maxLength: 50, pattern: /^[A-Za-z0-9_.-]+$/, allowed: 'letters, digits and ._-' },
  // ARC Region switch plan names (AWS::ARCRegionSwitch::Plan Name: 1-32, ^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$).
  regionSwitchPlan: { maxLength: 32, ...ALNUM_HYPHEN },
  lambdaFunction: { maxLength: 64, ...WORD_HYPHEN },
  launchTemplate: { maxLength: 128, pattern: /^[\w()./-]+$/, allowed: 'letters, digits and ()./_-' },
  nameTag: { maxLength: 256, pattern: /^[\x20-\x7e]+$/, allowed: 'printable ASCII' },
} as const satisfies Record<string, NameRule>;

/** A kind of name with its own AWS limits. */
export type NameKind = keyof typeof NAME_RULES;

/** A name that AWS would reject. */
export class NamingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamingError';
  }
}

/**
 * Checks `name` against the AWS limits for `kind`.
 * @throws NamingError saying which limit it breaks
 */
export function checkName(kind: NameKind, name: string): string {
  const rule: NameRule = NAME_RULES[kind];
  if (name.length > rule.maxLength) {
    throw new NamingError(`${kind} name "${name}" is ${name.length} characters; AWS allows at most ${rule.maxLength}`);
  }
  if (!rule.pattern.test(name)) {
    throw new NamingError(`${kind} name "${name}" is invalid: AWS allows ${rule.allowed}`);
  }
  return name;
}

/**
 * Builds `<environment>-<service>-<location>[-<purpose>]`, the one naming
 * convention of this app, for stack names and every physical name it sets.
 */
export class Naming {
  /**
   * @param environment the environment name, first part of every name
   */
  constructor(public readonly environment: string) {}

  /** `<environment>-<service>-<location>`, e.g. `prod-network-us-east-1`. */
  public stackName(service: Service, location: Location): string {
    return checkName('stack', `${this.environment}-${service}-${location}`);
  }

  /** A physical name or Name tag for one resource, checked against `kind`'s limits. */
  public name(kind: NameKind, service: Service, location: Location, purpose?: string): string {
    const parts = [this.environment, service, location, ...(purpose ? [purpose] : [])];
    return checkName(kind, parts.join('-'));
  }
}

/** Names for one service in one location: `naming.name` with the first parts fixed. */
export class ServiceNaming {
  constructor(
    private readonly naming: Naming,
    public readonly service: Service,
    public readonly location: Location,
  ) {}

  /** `<environment>-<service>-<location>[-<purpose>]`, checked against `kind`'s limits. */
  public name(kind: NameKind, purpose?: string): string {
    return this.naming.name(kind, this.service, this.location, purpose);
  }
}
