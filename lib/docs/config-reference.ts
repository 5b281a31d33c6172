import { ENVIRONMENT_NAMES, loadConfig } from '../config';

/** `{ a: { b: 1 } }` as `[['a.b', 1]]`; arrays stay values. */
function flatten(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if (Object.keys(value).length === 0) return [[prefix, undefined]];
    return Object.entries(value).flatMap(([key, child]) => flatten(child, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, value]];
}

function cell(value: unknown): string {
  if (value === undefined || (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)) return '–';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([key, child]) => `${key}: ${cell(child)}`).join(', ')} }`;
  return String(value);
}

/** The value at a dotted path. */
function at(value: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), value);
}

/**
 * Every setting of every environment as the app loads it offline (defaults
 * applied, placeholder account), as a Markdown table: one row per setting.
 */
export function configReferenceTable(): string {
  const loaded = ENVIRONMENT_NAMES.map((envName) => loadConfig(envName));
  const keys = [...new Set(loaded.flatMap((config) => flatten(config).map(([key]) => key)))].filter((key) => key !== 'name');
  // A setting that is a value in one environment and an object in another (`approval: false` or
  // `{ timeoutMinutes }`) is one row, the object written inline.
  const mixed = keys.filter((key) => keys.some((other) => other.startsWith(`${key}.`)));
  const settings = keys.filter((key) => !mixed.some((prefix) => key.startsWith(`${prefix}.`)));
  return [
    `| setting | ${ENVIRONMENT_NAMES.join(' | ')} |`,
    `|---|${ENVIRONMENT_NAMES.map(() => '---').join('|')}|`,
    ...settings.map((key) => `| \`${key}\` | ${loaded.map((config) => cell(at(config, key))).join(' | ')} |`),
  ].join('\n');
}
