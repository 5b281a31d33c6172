/** Rewrites every table and list the docs generate from the config and the code (settings, failover and recovery figures, costs, quotas, acknowledgements, layout). Usage: npm run docs */
import { RECOVERY_TABLES } from '../lib/docs/recovery-budget';
import { GENERATED_TABLES, writeTable, type GeneratedTable } from '../lib/docs/tables';

const tables: readonly GeneratedTable[] = [...GENERATED_TABLES, ...RECOVERY_TABLES.filter((t) => !GENERATED_TABLES.some((g) => g.file === t.file && g.name === t.name))];
try {
  const changed = tables.filter((table) => writeTable(table));
  for (const table of changed) console.log(`${table.file}: ${table.name} rewritten`);
  console.log(changed.length ? `${changed.length} of ${tables.length} generated tables changed` : `all ${tables.length} generated tables were current`);
} catch (error) {
  // A bad config, a missing marker, price or layout line: its message (one line, or one per problem) and no stack trace, as every other command prints.
  if (!(error instanceof Error)) throw error;
  console.error(`npm run docs: ${error.message}`);
  process.exit(1);
}
