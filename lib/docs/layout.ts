import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * One line about each entry of the code layout in docs/architecture.md: a file, or a folder
 * described as a whole (ending in `/`). The list is drawn from the files git tracks, so a new
 * file without a line here, or a line for a file that is gone, fails `npm run docs` and its test.
 */
export const LAYOUT: Readonly<Record<string, string>> = {
  'bin/app.ts': 'reads -c env and -c strict, loads the config, calls buildApp; a bad config exits with one line',
  'lib/app.ts': 'buildApp(app, config): every stack of one environment, tags, rule packs',
  'lib/config/schema.ts': 'the zod schema: every setting, its limits and cross-checks',
  'lib/config/environments.ts': 'every environment\'s values; its keys are the environment names',
  'lib/config/load.ts': 'loadConfig / validateConfig, their one-line errors, the strict placeholder checks',
  'lib/config/dns.ts': 'the regional names under the application\'s',
  'lib/config/index.ts': 'the config module\'s exports',
  'lib/naming.ts': '<environment>-<service>-<location>[-<purpose>] and AWS name limits',
  'lib/tagging.ts': 'the mandatory tags, applied once to the whole app',
  'lib/stateful.ts': 'the stateful resource types and their removal policy',
  'lib/constructs/': 'reusable pieces: network, keys, the databases and their credentials rotation, backups, web tier, WAF, scaling, alarms, the peer-region probe, failover DNS, the Region switch plan and its actions, the pipeline',
  'lib/stacks/': 'service-stack (name, account, region, AZs from config), network, data, app, monitoring, dns, pipeline',
  'lib/lambda/': 'the Python handlers: the switch actions, the plan\'s health checks, the credentials rotation',
  'lib/app-server/': 'server.py: the instances\' web server and health endpoints, written into the user data',
  'lib/compliance/': 'rule packs, acknowledge(), the worker threads that run cfn-guard and the built-in validation, taggability',
  'lib/docs/': 'the tables, lists and figures the docs generate from the config and the code (npm run docs), the list prices, the diagram',
  'lib/report/': 'the resilience report, read from a cloud assembly, and the service quotas',
  'lib/bootstrap/': 'execution policies from CloudFormation\'s handler permissions, the permissions boundary',
  'lib/review/': 'the change-safety gate: what a diff may not do unless acknowledged, and the stack policies',
  'review/': 'the reviewed acknowledgements of destructive changes',
  'scripts/apply-stack-policies.sh': 'the pipeline\'s deploy step: stack policies before and after `cdk deploy`',
  'scripts/benchmark.ts': 'npm run benchmark: times one test file, npm test, cdk ls and synth against an empty app; writes docs/speed.md',
  'scripts/bootstrap-policies.ts': 'npm run bootstrap-policies: the IAM policies to create before `cdk bootstrap`',
  'scripts/check-findings.ts': 'fails CI on any unacknowledged finding in a synthesized assembly',
  'scripts/check-test-tools.sh': 'before npm test: python3, the pinned packages and PostgreSQL, or one line saying what to install',
  'scripts/diagram.ts': 'npm run diagram: docs/architecture-*.dot and .svg from the prod assembly',
  'scripts/docs.ts': 'npm run docs: rewrites every generated table and list',
  'scripts/empty-app.ts': 'an app with one empty stack, the floor of the synth speed budget',
  'scripts/environments.ts': 'prints the configured environment names (CI loops over them)',
  'scripts/fetch-deployed-templates.sh': 'the deployed templates, for the pipeline\'s review',
  'scripts/handler-permissions.ts': 'npm run generate:handler-permissions: the handler-permission table',
  'scripts/iam-actions.ts': 'npm run generate:iam-actions: which IAM actions take resources and conditions',
  'scripts/lint-templates.py': 'cfn-lint over the synthesized templates, with its short ignore list',
  'scripts/measure-synth.sh': 'the synth speed budget against an empty app',
  'scripts/mutants.ts': 'npm run mutants: applies each bug of the #23 mutation audit alone and names the tests that catch it',
  'scripts/preflight-config.ts': 'an environment\'s config as JSON, for scripts/preflight.py',
  'scripts/preflight.py': 'checks the AZ names and the hosted zone against the account before a deploy',
  'scripts/print-latest-ami.sh': 'the pinned AMI of each region beside the current Amazon Linux 2023 one',
  'scripts/registry-handlers.ts': 'the registry schemas\' handler lists, the second source test/handler-permissions-registry.test.ts checks the table against',
  'scripts/report.ts': 'npm run report -- -c env=<env>',
  'scripts/review.ts': 'npm run review: the change-safety gate (lib/review/, acknowledgements in review/)',
  'scripts/same-templates.ts': 'CI: the README\'s `npx cdk synth` writes the templates the tests read',
  'scripts/stack-policies.ts': 'the stack policies the deploy step sets, from the review of the deployed templates',
  'scripts/switched-app.ts': 'the app in its region roles after a Region switch, for CI',
  'scripts/synth-quietly.ts': 'the report\'s and diagram\'s synth, one line instead of the CLI\'s hints',
  'scripts/tag-information.ts': 'npm run generate:tag-information: the taggability table, after a spec upgrade',
  'scripts/unprotect-failed-creates.sh': 'the deploy step: termination protection off for a protected stack whose first create rolled back',
  'test/': 'jest tests on the synthesized templates, Python tests under moto and PostgreSQL (test/support/)',
  'docs/': 'these pages; speed.md is written by npm run benchmark',
};

const ROOT = path.resolve(__dirname, '..', '..');

/** The layout entries git tracks now: files of bin/, lib/ (top level and config/), scripts/; the other folders as a whole. */
export function trackedLayoutEntries(): string[] {
  const files = execFileSync('git', ['ls-files', 'bin', 'lib', 'scripts', 'review', 'test', 'docs'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  const entries = files.map((file) => {
    const parts = file.split('/');
    const individually = parts[0] === 'bin' || parts[0] === 'scripts' || (parts[0] === 'lib' && (parts.length === 2 || parts[1] === 'config'));
    return individually ? file : `${parts.slice(0, parts[0] === 'lib' ? 2 : 1).join('/')}/`;
  });
  return [...new Set(entries)];
}

/**
 * The layout as a code block, in the order of {@link LAYOUT}.
 * @throws Error naming each tracked entry without a line, and each line whose entry is gone
 */
export function layoutList(entries: readonly string[] = trackedLayoutEntries()): string {
  const missing = entries.filter((entry) => !(entry in LAYOUT));
  const gone = Object.keys(LAYOUT).filter((entry) => !entries.includes(entry));
  if (missing.length || gone.length) {
    throw new Error(
      [...missing.map((e) => `${e} has no line in LAYOUT (lib/docs/layout.ts): say what it is for`), ...gone.map((e) => `${e} is in LAYOUT (lib/docs/layout.ts) but not in git: remove its line`)].join('\n'),
    );
  }
  const width = Math.max(...Object.keys(LAYOUT).map((e) => e.length)) + 2;
  return ['```', ...Object.entries(LAYOUT).map(([entry, line]) => `${entry.padEnd(width)}${line}`), '```'].join('\n');
}
