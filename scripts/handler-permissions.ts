// Writes lib/bootstrap/handler-permissions.generated.json: for every resource type the
// app deploys in any environment (and what those types create in nested stacks), the IAM
// actions its CloudFormation handlers call, as its public registry schema declares them
// (`handlers.{create,read,update,delete}.permissions`). The execution policies are built
// from this table; a test fails when a synthesized type is missing from it.
//
// Usage: npm run generate:handler-permissions -- <folder of registry schemas>
// The folder holds one JSON schema per type, any file names: the unzipped
// CloudformationSchema.zip that CloudFormation publishes per region, or the output of
// `aws cloudformation describe-type --type RESOURCE --type-name <type> --query Schema`.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { HANDLER_PERMISSIONS_FILE, UNREGISTERED_TYPES, handledTypes, isCustomResource, DEPLOY_HANDLERS, type HandlerPermissions } from '../lib/bootstrap/handler-permissions';
import { ENVIRONMENT_NAMES, loadConfig } from '../lib/config';

interface RegistrySchema {
  typeName?: string;
  handlers?: Partial<Record<string, { permissions?: string[] }>>;
}

const schemaDir = process.argv[2];
if (!schemaDir) {
  console.error('usage: npm run generate:handler-permissions -- <folder of CloudFormation registry schemas>');
  process.exit(1);
}

/** The resource types of every environment's templates, synthesized without AWS access. */
function appResourceTypes(): string[] {
  const cdkContext = JSON.parse(readFileSync('cdk.json', 'utf8')).context;
  const types = new Set<string>();
  for (const envName of ENVIRONMENT_NAMES) {
    const outdir = mkdtempSync(path.join(tmpdir(), `handler-permissions-${envName}-`));
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: { ...cdkContext, '@aws-cdk/core:failSynthOnValidationErrors': false } });
    buildApp(app, loadConfig(envName, { defaultAccount: undefined }), { cloudFormationValidation: false });
    for (const stack of app.synth().stacks) {
      for (const resource of Object.values(stack.template.Resources as Record<string, { Type: string }>)) types.add(resource.Type);
    }
    rmSync(outdir, { recursive: true, force: true });
  }
  return handledTypes(types).filter((type) => !isCustomResource(type) && !(type in UNREGISTERED_TYPES));
}

const schemas = new Map<string, RegistrySchema>();
for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) {
  const schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as RegistrySchema;
  if (schema.typeName) schemas.set(schema.typeName, schema);
}

const types: Record<string, HandlerPermissions> = {};
const missing: string[] = [];
for (const type of appResourceTypes()) {
  const handlers = schemas.get(type)?.handlers;
  if (!handlers) {
    missing.push(type);
    continue;
  }
  types[type] = Object.fromEntries(
    DEPLOY_HANDLERS.filter((h) => handlers[h]?.permissions).map((h) => [h, [...new Set(handlers[h]!.permissions)].sort()]),
  );
}
if (missing.length > 0) {
  console.error(`No registry schema with handlers in ${schemaDir} for: ${missing.join(', ')}.`);
  console.error('Add their schemas, or, for a type CloudFormation deploys without a registry handler, an entry in UNREGISTERED_TYPES.');
  process.exit(1);
}

const lines = Object.keys(types)
  .sort()
  .map((type) => `    ${JSON.stringify(type)}: ${JSON.stringify(types[type])}`);
const source = 'CloudFormation registry resource schemas, handlers.{create,read,update,delete}.permissions; regenerate: npm run generate:handler-permissions -- <schema folder>';
writeFileSync(HANDLER_PERMISSIONS_FILE, `{\n  "source": ${JSON.stringify(source)},\n  "types": {\n${lines.join(',\n')}\n  }\n}\n`);
console.log(`${path.relative(process.cwd(), HANDLER_PERMISSIONS_FILE)}: handler permissions of ${lines.length} resource types`);
