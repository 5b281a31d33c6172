import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { ASSEMBLY_CACHE } from './assembly-cache';

// What a stock validation plugin reports on a template is a pure function of the template and
// of the installed packages. Some of those plugins are slow (aws-cdk-lib's stock cfn-guard plugin
// runs all 237 Control Tower rules: about 50 s on the prod templates), and the tests that compare
// the app's faster plugins with them only need the stock plugin's answer. So that answer is kept
// under a hash of the plugin's name, the templates' contents and the lockfile: a changed
// template, or any upgrade, asks the stock plugin again. The faster plugin under test always runs.

const ROOT = path.resolve(__dirname, '..', '..');
const REPORTS = path.join(ASSEMBLY_CACHE, 'reference-reports');
/** How many reports the cache keeps (most recently used first): enough for a few trees. */
const KEPT_REPORTS = 20;

function keyOf(plugin: string, templatePaths: readonly string[]): string {
  const hash = createHash('sha256').update(`${plugin}\0`);
  for (const template of templatePaths) hash.update(`${path.basename(template)}\0`).update(readFileSync(template)).update('\0');
  return hash.update(readFileSync(path.join(ROOT, 'package-lock.json'))).digest('hex').slice(0, 24);
}

/**
 * The report with each violating resource's template path mapped by `to` (the templates of a
 * kept report stand as `<i>`, their place in the list, so one report serves every copy of them).
 */
function withTemplatePaths(report: PolicyValidationPluginReport, to: (templatePath: string) => string): PolicyValidationPluginReport {
  return {
    ...report,
    violations: report.violations.map((violation) => ({
      ...violation,
      violatingResources: violation.violatingResources.map((resource) => (resource.templatePath ? { ...resource, templatePath: to(resource.templatePath) } : resource)),
    })),
  };
}

function prune(): void {
  const reports = readdirSync(REPORTS)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file: path.join(REPORTS, file), used: statSync(path.join(REPORTS, file)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { file } of reports.slice(KEPT_REPORTS)) rmSync(file, { force: true });
}

/**
 * What `plugin` (a name for the cache) reports on the templates at `templatePaths`, as
 * `validate()` computes it: computed once per templates' contents and lockfile, then read
 * from the cache.
 */
export function referenceReport(
  plugin: string,
  templatePaths: readonly string[],
  validate: () => PolicyValidationPluginReport,
): PolicyValidationPluginReport {
  mkdirSync(REPORTS, { recursive: true });
  const file = path.join(REPORTS, `${plugin.replace(/\W+/g, '-')}-${keyOf(plugin, templatePaths)}.json`);
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as PolicyValidationPluginReport;
    const now = new Date();
    utimesSync(file, now, now);
    return withTemplatePaths(kept, (index) => templatePaths[Number(index.slice(1, -1))]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const report = validate();
  const indexOf = (templatePath: string): string => {
    const index = templatePaths.indexOf(templatePath);
    if (index < 0) throw new Error(`${plugin} reported on ${templatePath}, which it was not given`);
    return `<${index}>`;
  };
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(withTemplatePaths(report, indexOf)));
  renameSync(temporary, file);
  prune();
  return report;
}
