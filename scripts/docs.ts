/** Rewrites the tables the docs generate from the config (settings, failover timings, recovery-time budget, outage timeline). Usage: npm run docs */
import { RECOVERY_TABLES } from '../lib/docs/recovery-budget';
import { GENERATED_TABLES, writeTable, type GeneratedTable } from '../lib/docs/tables';

const tables: readonly GeneratedTable[] = [...GENERATED_TABLES, ...RECOVERY_TABLES.filter((t) => !GENERATED_TABLES.some((g) => g.file === t.file && g.name === t.name))];
for (const table of tables) {
  writeTable(table);
  console.log(`${table.file}: ${table.name} table rewritten`);
}
