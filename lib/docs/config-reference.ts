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
  if (value === undefined) return '–';
  return Array.isArray(value) ? value.map(String).join(', ') : String(value);
}

/**
 * Every setting of every environment as the app loads it offline (defaults
 * applied, placeholder account), as a Markdown table: one row per setting.
 */
export function configReferenceTable(): string {
  const configs = ENVIRONMENT_NAMES.map((envName) => new Map(flatten(loadConfig(envName))));
  const settings = [...new Set(configs.flatMap((config) => [...config.keys()]))].filter((key) => key !== 'name');
  return [
    `| setting | ${ENVIRONMENT_NAMES.join(' | ')} |`,
    `|---|${ENVIRONMENT_NAMES.map(() => '---').join('|')}|`,
    ...settings.map((key) => `| \`${key}\` | ${configs.map((config) => cell(config.get(key))).join(' | ')} |`),
  ].join('\n');
}
