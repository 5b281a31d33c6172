import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { BackgroundJob, transferable, ValidationWorker, type IBackgroundValidationPlugin } from './background-validation';

/** Where the package keeps the AWS Control Tower proactive controls, as its own plugin finds them. */
export const CONTROL_TOWER_RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')),
  '..',
  'rules',
  'control-tower',
  'cfn-guard',
);

/** One rule file and the resource types it selects; undefined types mean it may select anything. */
export interface GuardRuleFile {
  readonly file: string;
  readonly resourceTypes?: ReadonlySet<string>;
}

/**
 * The resource types a Guard rule file selects with its `Resources[ … ]` filters, or
 * undefined when a filter is anything but `Type == %VAR` clauses (joined by `or`)
 * over variables bound to literal `AWS::…` types in the same file. Two filters select
 * nothing and are passed over: `keys == %var` looks up a resource that a selected one
 * references, and `[*]` reads a property that happens to be called Resources (an EKS
 * cluster's EncryptionConfig). A rule that selected every resource with `[*]` and
 * no type filter would get undefined, and so run on every template.
 */
export function selectedResourceTypes(source: string): Set<string> | undefined {
  const filters = [...source.matchAll(/Resources(?:\.\*)?\[([^\]]*)\]/g)]
    .map((match) => match[1].trim())
    .filter((filter) => filter !== '*' && !/^keys\s*==\s*%\w+$/.test(filter));
  const types = new Set<string>();
  for (const clause of filters.flatMap((filter) => filter.split(/\s+or\s+/))) {
    const variable = /^Type\s*==\s*%(\w+)$/.exec(clause.trim())?.[1];
    const type = variable && new RegExp(`^let\\s+${variable}\\s*=\\s*(['"])(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\\1`, 'm').exec(source)?.[2];
    if (!type) return undefined;
    types.add(type);
  }
  return types.size > 0 ? types : undefined;
}

function ruleFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? ruleFilesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}

let controlTowerRules: readonly GuardRuleFile[] | undefined;

/** The Control Tower rule files, each with the resource types it selects; read once per process. */
export function controlTowerRuleFiles(): readonly GuardRuleFile[] {
  controlTowerRules ??= ruleFilesUnder(CONTROL_TOWER_RULES_DIR).map((file) => ({
    file,
    resourceTypes: selectedResourceTypes(readFileSync(file, 'utf8')),
  }));
  return controlTowerRules;
}

/** The resource types a synthesized template declares. */
export function resourceTypesIn(templatePath: string): Set<string> {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, { Type?: unknown }> };
  return new Set(
    Object.values(template.Resources ?? {})
      .map((resource) => resource.Type)
      .filter((type): type is string => typeof type === 'string'),
  );
}

/** The rule files that can apply to a template declaring `resourceTypes`: those that select one of them, and any whose selection is not known. */
export function rulesFor(rules: readonly GuardRuleFile[], resourceTypes: ReadonlySet<string>): string[] {
  return rules
    .filter((rule) => rule.resourceTypes === undefined || [...rule.resourceTypes].some((type) => resourceTypes.has(type)))
    .map((rule) => rule.file);
}

/** Properties of {@link ScopedCfnGuardValidator}. */
export interface ScopedCfnGuardValidatorProps {
  /** Control Tower rules to leave out, by file name without extension (`ct-s3-pr-1`). @default none */
  readonly disabledRules?: string[];
}

/**
 * The AWS Control Tower proactive controls of `@cdklabs/cdk-validator-cfnguard`, run
 * template by template with only the rules that can apply to it, on a worker thread.
 *
 * A Control Tower rule selects the resources it checks by literal `AWS::…` types
 * ({@link selectedResourceTypes}; a test checks that every rule file does), so a rule
 * whose types are absent from a template can only answer SKIP there. Leaving it out
 * gives the same findings (a test compares them with the stock plugin's) and cuts
 * the guard run to about a third of the full 237-rules-by-every-template run. Each
 * run is the package's own validator, so findings read and are acknowledged exactly
 * as the stock plugin's: `cdk-validator-cfnguard::<rule>`.
 */
export class ScopedCfnGuardValidator implements IBackgroundValidationPlugin {
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly rules: readonly GuardRuleFile[];
  private readonly job = new BackgroundJob(ValidationWorker.for('cfn-guard'), (context) => ({
    kind: 'cfn-guard',
    context: transferable(context),
    runs: context.templatePaths
      .map((templatePath) => ({ templatePath, rules: rulesFor(this.rules, resourceTypesIn(templatePath)) }))
      .filter((run) => run.rules.length > 0),
  }));

  constructor(props: ScopedCfnGuardValidatorProps = {}) {
    const stock = new CfnGuardValidator({ disabledRules: props.disabledRules });
    this.name = stock.name;
    this.version = stock.version;
    this.ruleIds = stock.ruleIds;
    const disabled = new Set(props.disabledRules);
    this.rules = controlTowerRuleFiles().filter((rule) => !disabled.has(path.parse(rule.file).name));
  }

  public begin(context: IPolicyValidationContext): void {
    this.job.begin(context);
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.job.collect(context);
  }
}
