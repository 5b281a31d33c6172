import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ASSEMBLY_ROOT, ensureSynthesized } from './assembly-cache';

/** One finding, acknowledged or not, as validation-report.json states it. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly constructPath: string;
  readonly acknowledgedId?: string;
  readonly reason?: string;
}

interface ReportViolation {
  ruleName: string;
  violatingConstructs: Array<{ constructPath?: string }>;
  acknowledgedId?: string;
  reason?: string;
}

interface ValidationReport {
  pluginReports: Array<{ pluginName: string; violations: ReportViolation[]; suppressedViolations?: ReportViolation[] }>;
}

/** An environment's synthesized cloud assembly, from the cache of this tree's assemblies (test/support/assembly-cache.ts). */
export class SynthesizedEnvironment {
  private readonly dir: string;
  private readonly templates = new Map<string, Template>();

  constructor(public readonly envName: string) {
    this.dir = path.join(ASSEMBLY_ROOT, envName);
    ensureSynthesized(envName);
  }

  private readJson<T>(file: string): T {
    return JSON.parse(readFileSync(path.join(this.dir, file), 'utf8')) as T;
  }

  /** Names of the CloudFormation stacks, in manifest order. */
  public get stackNames(): string[] {
    const manifest = this.readJson<{ artifacts: Record<string, { type: string }> }>('manifest.json');
    return Object.entries(manifest.artifacts)
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
      .map(([id]) => id);
  }

  /** Each stack's deploy target, `aws://account/region`. */
  public stackEnvironment(stackName: string): string {
    const manifest = this.readJson<{ artifacts: Record<string, { environment: string }> }>('manifest.json');
    return manifest.artifacts[stackName].environment;
  }

  /** The stacks `cdk deploy` finishes before this one. */
  public dependencies(stackName: string): string[] {
    const manifest = this.readJson<{ artifacts: Record<string, { dependencies?: string[] }> }>('manifest.json');
    return (manifest.artifacts[stackName].dependencies ?? []).filter((d) => !d.endsWith('.assets')).sort();
  }

  /** Whether CloudFormation refuses to delete the stack. */
  public terminationProtection(stackName: string): boolean {
    const manifest = this.readJson<{ artifacts: Record<string, { properties?: { terminationProtection?: boolean } }> }>('manifest.json');
    return manifest.artifacts[stackName].properties?.terminationProtection ?? false;
  }

  /** The CloudFormation resource types of every stack, each once. */
  public get resourceTypes(): string[] {
    const types = this.stackNames.flatMap((stack) =>
      Object.values(this.template(stack).toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type),
    );
    return [...new Set(types)].sort();
  }

  /** Where the stack's template file is, for plugins that read templates from disk. */
  public templatePath(stackName: string): string {
    return path.join(this.dir, `${stackName}.template.json`);
  }

  /** The stack's template, for `Template` assertions. */
  public template(stackName: string): Template {
    if (!this.templates.has(stackName)) {
      this.templates.set(stackName, Template.fromJSON(this.readJson(`${stackName}.template.json`)));
    }
    return this.templates.get(stackName)!;
  }

  /** Every acknowledgement recorded on a construct, as `{ path, id, reason }`. */
  public acknowledgements(): Array<{ path: string; id: string; reason: string }> {
    return this.stackNames.flatMap((stack) =>
      Object.entries(this.readJson<Record<string, Array<{ type: string; data: Record<string, string> }>>>(`${stack}.metadata.json`)).flatMap(
        ([path, entries]) =>
          entries
            .filter((e) => e.type === 'aws:cdk:acknowledged-rules')
            .flatMap((e) => Object.entries(e.data).map(([id, reason]) => ({ path: path.replace(/^\//, ''), id, reason }))),
      ),
    );
  }

  /** Every finding of every validation plugin, with its acknowledgement if it has one. */
  public findings(): { plugins: string[]; open: Finding[]; acknowledged: Finding[] } {
    const report = this.readJson<ValidationReport>('validation-report.json');
    const flatten = (plugin: string, violations: ReportViolation[] = []): Finding[] =>
      violations.flatMap((v) =>
        v.violatingConstructs.map((c) => ({
          plugin,
          rule: v.ruleName,
          constructPath: c.constructPath ?? '',
          acknowledgedId: v.acknowledgedId,
          reason: v.reason,
        })),
      );
    return {
      plugins: report.pluginReports.map((r) => r.pluginName),
      open: report.pluginReports.flatMap((r) => flatten(r.pluginName, r.violations)),
      acknowledged: report.pluginReports.flatMap((r) => flatten(r.pluginName, r.suppressedViolations)),
    };
  }
}

const cache = new Map<string, SynthesizedEnvironment>();

/**
 * The environment's assembly (a configured or a test-only one), synthesized once per tree:
 * found in the cache, or synthesized now if no earlier run or global setup wrote it.
 */
export function synthesized(envName: string): SynthesizedEnvironment {
  if (!cache.has(envName)) cache.set(envName, new SynthesizedEnvironment(envName));
  return cache.get(envName)!;
}
