/** Rewrites the tables the docs generate from the config (settings, failover timings, recovery-time budget). Usage: npm run docs */
import { GENERATED_TABLES, writeTable } from '../lib/docs/tables';

for (const table of GENERATED_TABLES) {
  writeTable(table);
  console.log(`${table.file}: ${table.name} table rewritten`);
}
