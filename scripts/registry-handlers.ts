// Keeps lib/bootstrap/registry-handlers.generated.json: the `handlers` sections of the
// CloudFormation registry schemas of the types in the handler table, the independent
// source that test/handler-permissions-registry.test.ts checks the table against.
//
// Usage:
//   npx tsx scripts/registry-handlers.ts extract <folder of registry schemas> [<where they come from>]
//     rewrites the data file from a folder of schemas (one JSON schema per type, any file names:
//     the unzipped CloudformationSchema.zip, or a checkout holding such a folder)
//   npx tsx scripts/registry-handlers.ts table
//     regenerates lib/bootstrap/handler-permissions.generated.json from the data file
//     (through npm run generate:handler-permissions, which adds the types the app newly deploys)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEPLOY_HANDLERS, handlerPermissionTable, type HandlerPermissions } from '../lib/bootstrap/handler-permissions';

/** The handlers sections of the registry schemas, as the schemas list them. */
export interface RegistryHandlers {
  /** Which schemas, from where, and how to regenerate the file. */
  readonly source: string;
  readonly types: Readonly<Record<string, Partial<Record<string, { readonly permissions?: readonly string[] }>>>>;
}

export const REGISTRY_HANDLERS_FILE = path.join(__dirname, '..', 'lib', 'bootstrap', 'registry-handlers.generated.json');

export function registryHandlers(file = REGISTRY_HANDLERS_FILE): RegistryHandlers {
  return JSON.parse(readFileSync(file, 'utf8')) as RegistryHandlers;
}

/** The handler table as npm run generate:handler-permissions writes it from these schemas: each deploy handler's permissions, unique and sorted. */
export function handlerTableFrom(registry: RegistryHandlers): Record<string, HandlerPermissions> {
  return Object.fromEntries(
    Object.entries(registry.types).map(([type, handlers]) => [
      type,
      Object.fromEntries(DEPLOY_HANDLERS.filter((h) => handlers[h]?.permissions).map((h) => [h, [...new Set(handlers[h]!.permissions)].sort()])),
    ]),
  );
}

function extract(schemaDir: string, origin: string): void {
  const wanted = new Set(Object.keys(handlerPermissionTable().types));
  const found: Record<string, RegistryHandlers['types'][string]> = {};
  for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as { typeName?: string; handlers?: Record<string, { permissions?: string[] }> };
    if (!schema.typeName || !wanted.has(schema.typeName) || !schema.handlers) continue;
    found[schema.typeName] = Object.fromEntries(DEPLOY_HANDLERS.filter((h) => schema.handlers![h]).map((h) => [h, { permissions: schema.handlers![h].permissions ?? [] }]));
  }
  const missing = [...wanted].filter((type) => !(type in found));
  if (missing.length > 0) {
    console.error(`No registry schema with handlers in ${schemaDir} for: ${missing.join(', ')}`);
    process.exit(1);
  }
  const source =
    `CloudFormation registry resource schemas, handlers.{create,read,update,delete}.permissions of the types in handler-permissions.generated.json, ${origin}; ` +
    'regenerate: npx tsx scripts/registry-handlers.ts extract <schema folder> <where they come from>';
  const lines = Object.keys(found)
    .sort()
    .map((type) => `    ${JSON.stringify(type)}: ${JSON.stringify(found[type])}`);
  writeFileSync(REGISTRY_HANDLERS_FILE, `{\n  "source": ${JSON.stringify(source)},\n  "types": {\n${lines.join(',\n')}\n  }\n}\n`);
  console.log(`${path.relative(process.cwd(), REGISTRY_HANDLERS_FILE)}: handlers of ${lines.length} resource types`);
}

/** Writes the data file back out as one schema per type and lets the table's own generator read them. */
function regenerateTable(): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'registry-handlers-'));
  for (const [typeName, handlers] of Object.entries(registryHandlers().types)) {
    writeFileSync(path.join(dir, `${typeName.replace(/::/g, '-').toLowerCase()}.json`), JSON.stringify({ typeName, handlers }));
  }
  const run = spawnSync('npm', ['run', '--silent', 'generate:handler-permissions', '--', dir], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

if (require.main === module) {
  const [command, folder, origin] = process.argv.slice(2);
  if (command === 'extract' && folder) extract(folder, origin ?? `as found in ${folder}`);
  else if (command === 'table') regenerateTable();
  else {
    console.error('usage: npx tsx scripts/registry-handlers.ts extract <folder of registry schemas> [<where they come from>] | table');
    process.exit(1);
  }
}
