/**
 * Writes the IAM policies an account needs before `cdk bootstrap`: CloudFormation's
 * execution policies (from the handler-permission table, scoped to the environments
 * the account hosts) and the permissions boundary of the app's roles; prints the
 * commands that create them and bootstrap both regions.
 * Usage: npm run bootstrap-policies -- [--env prod[,test…]] [--out <folder>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  defaultResourceTypes,
  executionPolicies,
  grantedActions,
  iamActionTable,
  permissionsBoundaryArn,
  permissionsBoundaryDocument,
  permissionsBoundaryName,
  takesNoResource,
  PERMISSIONS_BOUNDARY_PATH,
} from '../lib/bootstrap';
import { ConfigError, ENVIRONMENT_NAMES, REGIONS, loadConfig } from '../lib/config';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

try {
  const envNames = option('env')?.split(',') ?? [...ENVIRONMENT_NAMES];
  const configs = envNames.map((name) => loadConfig(name, { defaultAccount: process.env.CDK_DEFAULT_ACCOUNT || undefined }));
  const accounts = new Set(configs.map((c) => c.account));
  const projects = new Set(configs.map((c) => c.tags.project));
  if (accounts.size > 1 || projects.size > 1) {
    throw new ConfigError(`--env ${envNames.join(',')}: these environments span ${accounts.size} accounts and ${projects.size} projects; run once per account`);
  }
  const [account] = accounts;
  const [project] = projects;
  const out = option('out') ?? path.join('cdk.out', 'bootstrap-policies', account);
  mkdirSync(out, { recursive: true });

  // An action the IAM action facts do not know may support no resource-level permissions and then never be granted on an ARN pattern.
  const facts = iamActionTable();
  const unknown = grantedActions(defaultResourceTypes()).filter((a) => !(a in facts.actions) && !facts.unknown.includes(a) && !takesNoResource(a, facts));
  if (unknown.length > 0) {
    console.error(`# Not in lib/bootstrap/iam-actions.generated.json (regenerate it: npx tsx scripts/iam-actions.ts <iam-data folder>): ${unknown.join(', ')}`);
  }
  const documents = executionPolicies({ environments: envNames, permissionsBoundaryArn: permissionsBoundaryArn(project, '*') });
  const names = documents.map((_, i) => `${project}-cfn-execution-${i + 1}`);
  documents.forEach((document, i) => writeFileSync(path.join(out, `${names[i]}.json`), `${JSON.stringify(document, undefined, 2)}\n`));
  const boundaryFile = path.join(out, `${permissionsBoundaryName(project)}.json`);
  writeFileSync(boundaryFile, `${JSON.stringify(permissionsBoundaryDocument(), undefined, 2)}\n`);

  const policyArns = names.map((name) => `arn:aws:iam::${account}:policy/${name}`);
  console.log(`# Policies for account ${account} (${envNames.join(', ')}) written to ${out}. With credentials for that account:`);
  console.log(`aws iam create-policy --path ${PERMISSIONS_BOUNDARY_PATH} --policy-name ${permissionsBoundaryName(project)} --policy-document file://${boundaryFile}`);
  names.forEach((name) => console.log(`aws iam create-policy --policy-name ${name} --policy-document file://${path.join(out, `${name}.json`)}`));
  console.log(`npx cdk bootstrap ${REGIONS.map((r) => `aws://${account}/${r}`).join(' ')} --cloudformation-execution-policies ${policyArns.join(',')}`);
  console.log('# Later changes: aws iam create-policy-version --set-as-default --policy-arn <arn> --policy-document file://<file> (IAM keeps 5 versions).');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
