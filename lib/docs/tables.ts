import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES, failoverTimings, loadConfig } from '../config';
import { acknowledgementsTable, accountQuotasTable, rulePacksTable } from './compliance-tables';
import { configReferenceTable } from './config-reference';
import { costDriversTable, monthlyCostTable, priceSourcesList } from './cost';
import { layoutList } from './layout';
import { automaticRecoveryTable, recoveryBudgetTable, recoverySummaryTable } from './recovery-budget';

/** A table generated from the config into a Markdown file, between two marker comments. */
export interface GeneratedTable {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** The name in the markers `<!-- <name>:start -->` and `<!-- <name>:end -->`. */
  readonly name: string;
  /** The table as the config gives it now. */
  readonly render: () => string;
}

/** Failover detection, and detection plus one alias TTL, per environment, from the health-check settings. */
export function failoverTable(): string {
  const rows = ENVIRONMENT_NAMES.map((envName) => {
    const { dns } = loadConfig(envName);
    const { detectionSeconds, cutoverSeconds } = failoverTimings(dns.healthCheckIntervalSeconds, dns.healthCheckFailureThreshold);
    return `| ${envName} | ${dns.healthCheckIntervalSeconds} s | ${dns.healthCheckFailureThreshold} | ${detectionSeconds} s | ≤ ${cutoverSeconds} s |`;
  });
  return ['| environment | interval | threshold | detection | detection + one TTL |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Every generated table of the docs; `npm run docs` rewrites them, a test checks they are current. */
export const GENERATED_TABLES: readonly GeneratedTable[] = [
  { file: 'docs/configuration.md', name: 'config-reference', render: configReferenceTable },
  { file: 'docs/architecture.md', name: 'failover-timings', render: failoverTable },
  { file: 'docs/architecture.md', name: 'layout', render: () => layoutList() },
  { file: 'docs/architecture.md', name: 'cost-drivers', render: costDriversTable },
  { file: 'docs/cost.md', name: 'monthly-cost', render: () => monthlyCostTable() },
  { file: 'docs/cost.md', name: 'price-sources', render: () => priceSourcesList() },
  { file: 'docs/compliance.md', name: 'rule-packs', render: rulePacksTable },
  { file: 'docs/compliance.md', name: 'acknowledgements', render: () => acknowledgementsTable() },
  { file: 'docs/bootstrap.md', name: 'account-quotas', render: accountQuotasTable },
  { file: 'docs/disaster-recovery.md', name: 'recovery-budget', render: recoveryBudgetTable },
  { file: 'docs/disaster-recovery.md', name: 'recovery-summary', render: recoverySummaryTable },
  { file: 'README.md', name: 'automatic-recovery', render: automaticRecoveryTable },
];

const ROOT = path.resolve(__dirname, '..', '..');

/** Where the table sits in its file's text: after the start marker, before the end marker. @throws Error when the file lacks the markers */
function tableSpan(table: GeneratedTable, text: string): { from: number; to: number } {
  const [start, end] = [`<!-- ${table.name}:start -->`, `<!-- ${table.name}:end -->`];
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${table.file} lacks the markers ${start} … ${end}`);
  return { from: from + start.length, to };
}

/** The table as the file holds it now. @throws Error when the file lacks the markers */
export function embeddedTable(table: GeneratedTable): string {
  const text = readFileSync(path.join(ROOT, table.file), 'utf8');
  const { from, to } = tableSpan(table, text);
  return text.slice(from, to).trim();
}

/** Rewrites the table between its markers from the config (an empty span too). @returns whether the file changed */
export function writeTable(table: GeneratedTable): boolean {
  const file = path.join(ROOT, table.file);
  const text = readFileSync(file, 'utf8');
  const { from, to } = tableSpan(table, text);
  const rewritten = `${text.slice(0, from)}\n${table.render()}\n${text.slice(to)}`;
  if (rewritten === text) return false;
  writeFileSync(file, rewritten);
  return true;
}
