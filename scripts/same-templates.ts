/**
 * Fails unless two cloud assemblies hold the same templates, but for the analytics string of
 * their `AWS::CDK::Metadata` resources, which records how the app was run. CI compares the
 * README's `npx cdk synth` with the tests' synth of the same environment, so that the tests
 * and CI's checks read what the CLI writes.
 * Usage: tsx scripts/same-templates.ts <assembly dir> <assembly dir>
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as path from 'node:path';

type Template = { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> };

const [first, second] = process.argv.slice(2);
if (!first || !second) {
  console.error('usage: tsx scripts/same-templates.ts <assembly dir> <assembly dir>');
  process.exit(2);
}

const templatesIn = (dir: string): string[] => readdirSync(dir).filter((file) => file.endsWith('.template.json')).sort();

/** The template without what says how the app was run. */
function comparable(dir: string, file: string): Template {
  const template = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Template;
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type === 'AWS::CDK::Metadata') delete resource.Properties?.Analytics;
  }
  return template;
}

/** The first place where two JSON values differ, as a path. */
function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return at;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const key of keys) {
    const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}/${key}`);
    if (found) return found;
  }
  return at;
}

const files = templatesIn(first);
const problems: string[] = [];
if (!isDeepStrictEqual(files, templatesIn(second))) problems.push(`different stacks: ${files.join(' ')} | ${templatesIn(second).join(' ')}`);
for (const file of files.filter((f) => templatesIn(second).includes(f))) {
  const difference = firstDifference(comparable(first, file), comparable(second, file), '');
  if (difference !== undefined) problems.push(`${file}: differs at ${difference || '/'}`);
}
if (problems.length > 0) {
  console.error(`${first} and ${second} hold different templates:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`${first} and ${second}: the same ${files.length} templates`);
