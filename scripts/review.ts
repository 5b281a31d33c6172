/**
 * The change-safety gate (docs/change-review.md): fails when deploying the head
 * templates over the base ones would replace or remove a stateful resource or one it
 * depends on, or widen IAM or security-group access, unless
 * review/acknowledged-changes.json acknowledges it. `--help` prints the usage.
 * Exit status: 0 nothing blocked, 1 blocked changes or bad input.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CONTEXT_ENV, OUTDIR_ENV } from 'aws-cdk-lib/cx-api';
import { cliContext } from '../lib/app';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { AcknowledgementError, parseAcknowledgements, review } from '../lib/review/acknowledgements';
import { diffStacks, findUnsafeChanges, formatChange, formatStackDiff, summarizeDiff, type StackTemplates, type UnsafeChange } from '../lib/review/change-safety';
import { stackPolicies } from '../lib/review/stack-policy';
import { environmentStacks, readTemplates, TemplateError } from '../lib/review/templates';

const ROOT = path.resolve(__dirname, '..');
const ACKNOWLEDGEMENTS = path.join(ROOT, 'review', 'acknowledged-changes.json');

const USAGE = `Usage: npm run review -- --base <git ref | directory> [--head <directory>] [-c env=<env>] [-c <key>=<value>…] [--stack-policies <dir>] [--show-stale]

Compares an environment's templates at --base with those at --head and fails (exit 1) when
deploying the head would replace or remove a stateful resource or one it depends on, or widen
IAM or security-group access, unless review/acknowledged-changes.json acknowledges the change.

  --base <ref | dir>        a git commit (its tree is synthesized) or a directory: a cloud assembly,
                            or <stack>.template.json files (scripts/fetch-deployed-templates.sh)
  --head <dir>              the same for the new templates; default: synthesize the working tree
  -c, --context <k>=<v>     passed to both synths; env=<env> also picks the stacks compared (default dev)
  --stack-policies <dir>    also write a stack policy per head stack to <dir>/<stack>.json
  --show-stale              list the acknowledgements that match no change (otherwise only counted)
  -h, --help                print this and exit

See docs/change-review.md.`;

class UsageError extends Error {}

interface Options {
  readonly base: string;
  readonly head?: string;
  readonly context: string[];
  readonly envName: string;
  readonly stackPolicies?: string;
  readonly showStale: boolean;
}

/** The options, or undefined when --help asks for the usage. */
function parseArgs(args: string[]): Options | undefined {
  if (args.includes('--help') || args.includes('-h')) return undefined;
  let base: string | undefined;
  let head: string | undefined;
  let policyDir: string | undefined;
  let showStale = false;
  const context: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === '--show-stale') {
      showStale = true;
      continue;
    }
    const value = args[++i];
    if (!['--base', '--head', '-c', '--context', '--stack-policies'].includes(flag)) throw new UsageError(`unknown option ${flag} (--help lists them)`);
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--base') base = value;
    else if (flag === '--head') head = value;
    else if (flag === '--stack-policies') policyDir = value;
    else context.push(value);
  }
  if (base === undefined) throw new UsageError('--base <git ref | directory> is required (--help prints the usage)');
  const envName = [...context].reverse().find((c) => c.startsWith('env='))?.slice('env='.length) ?? 'dev';
  if (!ENVIRONMENT_NAMES.includes(envName)) {
    throw new UsageError(`unknown environment "${envName}": expected one of ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  return { base, head, context, envName, stackPolicies: policyDir, showStale };
}

/** A JSON file's content, or `{}` where there is no such file. */
function readJsonIfPresent(file: string): Record<string, unknown> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
}

/**
 * The context the CDK CLI hands an app for `cdk ls`: cdk.json's and cdk.context.json's, the
 * `-c key=value` pairs as strings, and {@link cliContext} with no stacks to bundle assets for.
 */
function listContext(cwd: string, context: string[]): Record<string, unknown> {
  const pairs = Object.fromEntries(context.filter((c) => c.includes('=')).map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
  return {
    ...(readJsonIfPresent(path.join(cwd, 'cdk.json')).context as Record<string, unknown> | undefined),
    ...readJsonIfPresent(path.join(cwd, 'cdk.context.json')),
    ...pairs,
    ...cliContext([]),
  };
}

/**
 * Synthesizes the app in `cwd`: cdk.json's app command, run as the CLI runs it for `cdk ls`
 * (the cloud assembly protocol: the context in CDK_CONTEXT_JSON, the output folder in
 * CDK_OUTDIR). The app then writes the same templates as `cdk synth` without running the rule
 * packs or the CloudFormation validation (`cliApp` in lib/app.ts): the review compares templates
 * only, and a commit's findings are the concern of CI's and the pipeline's own synth. This takes
 * seconds instead of a minute; a base from before `cliApp` runs its rule packs, and is only slower.
 */
function synthesize(cwd: string, context: string[], what: string): StackTemplates {
  const outdir = path.join(cwd, 'cdk.out', `review-${process.pid}`);
  mkdirSync(outdir, { recursive: true });
  const started = Date.now();
  const app = readJsonIfPresent(path.join(cwd, 'cdk.json')).app;
  if (typeof app !== 'string') throw new UsageError(`${what} has no app command in cdk.json`);
  const synth = spawnSync(app, {
    cwd,
    shell: true,
    env: { ...process.env, [OUTDIR_ENV]: outdir, [CONTEXT_ENV]: JSON.stringify(listContext(cwd, context)), CDK_VALIDATION: 'false' },
    encoding: 'utf8',
  });
  if (synth.status !== 0 && what.startsWith('base') && /^Unknown environment /m.test(synth.stderr)) {
    // An environment added since the base: nothing of it existed there, so nothing can be replaced or removed.
    console.log(`${what}: has no such environment`);
    return {};
  }
  if (synth.status !== 0) {
    const lastLines = synth.stderr.trim().split('\n').slice(-5).join('\n');
    throw new UsageError(`${what} does not synthesize:\n${lastLines}`);
  }
  console.log(`${what}: synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    return readTemplates(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** The templates of a commit: its tree, with this checkout's node_modules, synthesized. */
function synthesizeCommit(ref: string, context: string[]): StackTemplates {
  let commit: string;
  try {
    commit = git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new UsageError(`--base ${ref} is neither a directory nor a git commit`);
  }
  if (spawnSync('git', ['diff', '--quiet', commit, '--', 'package-lock.json'], { cwd: ROOT }).status !== 0) {
    console.log(`warning: package-lock.json differs from ${ref}; its templates come from this checkout's node_modules`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'review-base-'));
  try {
    const archive = path.join(dir, 'base.tar');
    git('archive', '--output', archive, commit);
    execFileSync('tar', ['-xf', archive, '-C', dir]);
    // npm ci would take a minute; the same packages are already here.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    return synthesize(dir, context, `base ${ref} (${commit.slice(0, 12)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function templatesOf(source: string, context: string[]): StackTemplates {
  return existsSync(source) && statSync(source).isDirectory() ? readTemplates(source) : synthesizeCommit(source, context);
}

/** Writes each head stack's policy (stackPolicies of lib/review/stack-policy.ts), acknowledged replacements and removals exempt. */
function writeStackPolicies(dir: string, base: StackTemplates, head: StackTemplates, acknowledged: UnsafeChange[]): void {
  mkdirSync(dir, { recursive: true });
  for (const [stack, policy] of Object.entries(stackPolicies(base, head, Object.keys(head), acknowledged))) {
    writeFileSync(path.join(dir, `${stack}.json`), `${JSON.stringify(policy, null, 2)}\n`);
  }
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const acknowledgements = parseAcknowledgements(JSON.parse(readFileSync(ACKNOWLEDGEMENTS, 'utf8')), path.relative(process.cwd(), ACKNOWLEDGEMENTS));
  const base = environmentStacks(templatesOf(options.base, options.context), options.envName);
  const head = environmentStacks(options.head ? readTemplates(options.head) : synthesize(ROOT, options.context, 'head (working tree)'), options.envName);
  if (Object.keys(head).length === 0) throw new UsageError(`${options.head ?? 'the working tree'} holds no stack of environment ${options.envName}`);
  if (Object.keys(base).length === 0) {
    // A first deploy: nothing is there to lose, and every grant would be new.
    console.log(`change review of ${options.envName}: skipped, the base has none of its stacks (a first deploy, nothing to compare with)`);
    return 0;
  }

  const diffs = diffStacks(base, head);
  const verdict = review(findUnsafeChanges(base, head, diffs), acknowledgements, Object.keys(diffs));
  if (options.stackPolicies) writeStackPolicies(options.stackPolicies, base, head, verdict.acknowledged);
  for (const [stack, diff] of Object.entries(diffs)) if (!diff.isEmpty) console.log(`${stack}: ${summarizeDiff(diff)}`);
  for (const change of verdict.acknowledged) console.log(`acknowledged: ${formatChange(change)}`);
  if (options.showStale) {
    for (const ack of verdict.stale) console.log(`stale: acknowledgement matches no change (delete it once deployed everywhere): ${ack.stack} ${ack.logicalId} ${ack.change}`);
  } else if (verdict.stale.length > 0) {
    console.log(`${verdict.stale.length} acknowledgement${verdict.stale.length > 1 ? 's match' : ' matches'} no change; --show-stale lists them`);
  }
  // The diff that explains each block, as `cdk diff` prints it, for the stacks with one.
  for (const stack of [...new Set(verdict.blocked.map((change) => change.stack))]) {
    console.log(`\n=== ${stack}: ${summarizeDiff(diffs[stack])}`);
    console.log(formatStackDiff(diffs[stack], process.stdout.columns).trimEnd());
  }
  for (const change of verdict.blocked) console.log(`BLOCKED: ${formatChange(change)}`);
  const listed = (label: string, stacks: string[]) => (stacks.length > 0 ? `; ${label}: ${stacks.join(', ')}` : '');
  console.log(
    `change review of ${options.envName}: ${Object.keys(diffs).length} stacks compared` +
      listed('removed', Object.keys(base).filter((stack) => !(stack in head))) +
      listed('new', Object.keys(head).filter((stack) => !(stack in base))) +
      `; ${verdict.blocked.length} blocked, ${verdict.acknowledged.length} acknowledged`,
  );
  if (verdict.blocked.length > 0) {
    console.error(`Acknowledge a reviewed change in ${path.relative(process.cwd(), ACKNOWLEDGEMENTS)} (see docs/change-review.md).`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  if (!(error instanceof UsageError || error instanceof AcknowledgementError || error instanceof TemplateError)) throw error;
  console.error(`review: ${error.message}`);
  process.exitCode = 1;
}
