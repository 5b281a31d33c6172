/**
 * Measures the feedback loop of issue #23 and writes docs/speed.md: each command several
 * times on a warm tree (its assemblies cached, jest's transform cache filled), the median,
 * the fastest and the slowest run, and the ratio of a prod synth to an app with one empty
 * stack through the same CLI. Nothing in that page is written by hand.
 *
 * Usage: npm run benchmark -- [--runs N] [--ci] [--out FILE]
 *   --runs N  runs per command (default 3; medians need at least 3)
 *   --ci      also times `.ci/run` on a clean clone of HEAD (about 2-5 minutes a run)
 *   --out     where to write the page (default docs/speed.md); `-` prints it
 *   --no-warm-up  skips the untimed `npm test` that fills the caches first (when they are warm)
 *
 * The tests' assemblies go to their own cache (cdk.out.benchmark), so the figures do not
 * depend on, or disturb, anyone else's run in this clone.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

interface Options {
  readonly runs: number;
  readonly ci: boolean;
  readonly out: string;
  readonly warmUp: boolean;
}

function options(args: string[]): Options {
  const value = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const runs = Number(value('--runs') ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number, not ${value('--runs')}`);
  return { runs, ci: args.includes('--ci'), out: value('--out') ?? 'docs/speed.md', warmUp: !args.includes('--no-warm-up') };
}

/** What one measured command is, what it should take, and how to run it. */
interface Measure {
  readonly name: string;
  readonly command: string;
  readonly goal: string;
  readonly run: () => number;
  /** Runs before the timed ones, untimed: fills caches so that every timed run is warm. */
  readonly warmUp?: () => void;
}

const BENCHMARK_ENV = { ...process.env, CDK_TEST_ASSEMBLIES: 'cdk.out.benchmark', CDK_DEFAULT_ACCOUNT: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '' };

/** How many commands have exited non-zero: their times are kept, and the page says which failed. */
let failures = 0;

/** Runs `command` through bash in `cwd` and returns its wall time in seconds; a failure is counted, not fatal. */
function seconds(command: string, cwd = ROOT, env: NodeJS.ProcessEnv = BENCHMARK_ENV): number {
  const start = process.hrtime.bigint();
  const result = spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    failures++;
    console.error(`${command} exited ${result.status}:\n${(result.stdout ?? '').slice(-1500)}\n${(result.stderr ?? '').slice(-1500)}`);
  }
  return elapsed;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** cdk.json's app command with another entry point: the same runner and flags. */
function appCommand(entry: string): string {
  const { app } = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { app: string };
  return app.replace('bin/app.ts', entry);
}

/** A clean clone of HEAD beside a copy of ../shared, as CI gets it; removed afterwards. */
function ciRun(): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'benchmark-ci-'));
  try {
    spawnSync('git', ['clone', '-q', ROOT, path.join(dir, 'main')], { stdio: 'inherit' });
    cpSync(path.join(ROOT, '..', 'shared'), path.join(dir, 'shared'), { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
    delete env.CDK_TEST_ASSEMBLIES;
    return seconds('bash .ci/run >/dev/null 2>&1', path.join(dir, 'main'), env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A command timed as it is shown. */
const timed = (name: string, command: string, goal = ''): Measure => ({ name, command, goal, run: () => seconds(command) });

function measures(opts: Options): Measure[] {
  const out = mkdtempSync(path.join(tmpdir(), 'benchmark-synth-'));
  const list: Measure[] = [
    timed('one small test file', 'npx jest test/naming.test.ts', '≤ 3 s'),
    timed('one assembly test file', 'npx jest test/stacks.test.ts'),
    timed('unit tests', 'npx jest --selectProjects unit', 'seconds'),
    { ...timed('every test', 'npm test', '≤ 30 s'), warmUp: () => void seconds('npm test') },
    timed('list the stacks', 'npx cdk ls', '≤ 5 s'),
    { ...timed('prod synth', 'npx cdk synth -q -c env=prod'), run: () => seconds(`npx cdk synth -q -c env=prod --output ${out}/app`) },
    {
      ...timed('empty-app floor', 'npx cdk synth -q --app "<cdk.json runner> scripts/empty-app.ts"'),
      run: () => seconds(`npx cdk synth -q --app '${appCommand('scripts/empty-app.ts')}' --output ${out}/empty`),
    },
  ];
  if (opts.ci) list.push({ name: 'CI on a clean clone', command: 'CI=true bash .ci/run', goal: '≤ 150 s', run: ciRun });
  return list;
}

function main(): void {
  const opts = options(process.argv.slice(2));
  const load = loadavg()[0];
  const results = new Map<string, number[]>();
  const failedRuns = new Map<string, number>();
  const all = measures(opts);
  for (const measure of all) {
    console.error(`${measure.name}: ${measure.command}`);
    if (opts.warmUp) measure.warmUp?.();
  }
  // Runs interleave the commands, so that a burst of load from elsewhere spreads over all of them.
  for (let run = 1; run <= opts.runs; run++) {
    for (const measure of all) {
      const failuresBefore = failures;
      const time = measure.run();
      if (failures > failuresBefore) failedRuns.set(measure.name, (failedRuns.get(measure.name) ?? 0) + 1);
      results.set(measure.name, [...(results.get(measure.name) ?? []), time]);
      console.error(`run ${run}: ${measure.name} ${time.toFixed(1)} s`);
    }
  }
  const loadAfter = loadavg()[0];

  const ratios = results.get('prod synth')!.map((app, i) => app / results.get('empty-app floor')![i]);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'bin', 'lib', 'test', 'scripts', 'jest.config.js', 'package.json', '.ci'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const row = (m: Measure): string => {
    const times = results.get(m.name)!;
    const failed = failedRuns.get(m.name) ?? 0;
    const note = failed ? ` (exited non-zero in ${failed} of ${times.length} runs)` : '';
    return `| ${m.name} | \`${m.command}\`${note} | **${median(times).toFixed(1)} s** | ${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} s | ${m.goal} |`;
  };
  const page = `${HEADER}
## Figures

Generated by \`npm run benchmark -- --runs ${opts.runs}${opts.ci ? " --ci" : ""}${opts.warmUp ? "" : " --no-warm-up"}\` (scripts/benchmark.ts) on ${new Date().toISOString().slice(0, 10)},
commit ${commit}${dirty ? ' with uncommitted changes' : ''}, ${cpus().length} cores, load average ${load.toFixed(1)} before and
${loadAfter.toFixed(1)} after (the machine is shared: other people's jest runs land in the figures). Wall
time of ${opts.runs} runs of each command, interleaved, ${opts.warmUp ? 'after one untimed run of npm test that fills' : 'on'} the
assembly cache${opts.warmUp ? '' : ' left warm by an earlier run'}; the tests use their own cache (\`CDK_TEST_ASSEMBLIES=cdk.out.benchmark\`).

| what | command | median | range | goal |
|---|---|---|---|---|
${all.map(row).join('\n')}
| prod synth / empty-app floor | the two rows above, run by run | **${median(ratios).toFixed(2)}** | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} | ≤ 1.5 |
`;
  if (opts.out === '-') process.stdout.write(page);
  else writeFileSync(path.resolve(ROOT, opts.out), page);
}

const HEADER = `# Tests and speed

What keeps \`npm test\`, \`cdk ls\` and \`cdk synth\` fast, and how fast they are. This page is
generated by \`npm run benchmark\` (scripts/benchmark.ts); edit the script, not the page.

## Tests

\`npm test\` runs jest with ts-jest (transpile only: \`tsc --noEmit\` type-checks in CI), in three
projects (jest.config.js), so that a run pays only for what its tests need:

- **unit** reads no synthesized assembly and runs no Python: it synthesizes nothing and takes
  seconds (\`npx jest --selectProjects unit\`).
- **integration** runs the Lambda handlers under moto, a real PostgreSQL or cfn-lint, or builds
  whole environments in memory.
- **assembly** (every other file) reads the environments' cloud assemblies.

**Assemblies are cached by the content of what synth reads.** The assembly project's global
setup hashes bin/, lib/, cdk.json, cdk.context.json, the lockfile, tsconfig.json and the test
support that synthesizes (\`SYNTH_INPUTS\` in test/support/assembly-cache.ts). An unchanged tree
finds its assemblies in \`cdk.out.test/<hash>/\` and starts no synth; a changed one synthesizes
the configured environments, one process per core, with every rule pack (findings written to
\`validation-report.json\` for the tests to read) and with the context \`cdk synth\` hands the app,
so the templates are the CLI's (CI checks that, scripts/same-templates.ts). The built-in
CloudFormation validation is off there: CI runs cfn-lint, whose rules it ports, on these templates. Test-only environments are synthesized when a test first reads one
(\`synthesized(name)\`). Each synth writes into a temporary folder renamed into place when
complete, and a lock file makes a second jest worker that asks for the same environment wait
for the first, so no one reads half an assembly. The cache keeps the last four trees.
\`CDK_TEST_ASSEMBLIES\` moves it, so two runs in one clone need not share it.

**The rule packs run once per environment and tree**, in that cached synth: every test that
asserts findings reads its \`validation-report.json\`, none runs the packs itself.

**No test pays for the schema validation it does not assert.** aws-cdk-lib validates every
synthesized template against the CloudFormation schemas unless \`CDK_VALIDATION=false\`, about 2 s
of CPU per \`app.synth()\`; the jest workers set it (test/support/jest-setup.ts), and the one test
that asserts the validation runs once unsets it for its synth.

**The stock plugins' answers are kept.** test/validation-plugins.test.ts compares the scoped
cfn-guard and the worker-thread CloudFormation validation with the stock plugins on the prod
templates; the stock cfn-guard alone takes about 50 s. Their reports are kept under a hash of
the templates and the lockfile (test/support/reference-reports.ts); the plugins under test
always run.

## Synth

- **\`cdk ls\` skips the rule packs.** Every CLI command that can write, compare or deploy
  templates (synth, diff, deploy, watch, import, publish-assets, refactor) tells the app which
  stacks it bundles assets for (\`aws:cdk:bundling-stacks\`, at least one pattern); \`cdk ls\`,
  \`cdk destroy\` and the other commands pass none. Only then does the app leave out the rule
  packs and the CloudFormation validation (\`cliApp()\` in lib/app.ts). A test runs \`cdk synth\`
  of an app with a non-compliant bucket and sees it fail, and \`cdk ls\` of the same app list it.
- **\`node --import tsx\`** runs the app transpile-only in one Node process (\`npx tsx\` starts
  three); \`tsc --noEmit\` type-checks in CI.
- **cfn-guard is scoped.** Every Control Tower rule selects the resources it checks by literal
  \`AWS::…\` types, so \`ScopedCfnGuardValidator\` runs each rule only on the templates that hold
  one of them. A rule whose selection it cannot read runs everywhere, and a test checks that none
  does. Findings are identical to the stock plugin's (tested on the prod templates).
- **The slow checks run on worker threads, side by side**
  (lib/compliance/background-validation.ts): the first pack's turn hands the templates to one
  worker running cfn-guard and one running aws-cdk-lib's own \`CloudFormationValidatePlugin\`,
  while the cdk-nag packs run on the main thread. Registering that plugin replaces the App's
  default instance, so templates are still validated exactly once.
- **WebAssembly stays on V8's baseline compiler** (\`--wasm-tiering-budget=1000000000\` in
  cdk.json's app command): for a synth this short, tiering up the 9 MB validation module costs
  more CPU than it saves.
- **Tag information comes from a generated table** (\`npm run generate:tag-information\`)
  instead of loading the whole AWS service spec on every synth.

## CI

\`.ci/run\` type-checks and lints side by side, then runs \`npm test\` with the tests' assembly
cache in \`cdk.out/tests\`: the global setup synthesizes every configured environment there once,
with every rule pack, with the context \`cdk synth\` hands the app, so the checks that follow read
the same assemblies: no open finding (scripts/check-findings.ts) and cfn-lint on every template.
Through the CLI, with the CloudFormation validation as well, it synthesizes the README's
\`npx cdk synth\` (whose templates must equal the tests', scripts/same-templates.ts) and prod
after a Region switch and after the switch back. The change review synthesizes the previous
commit and this one without the rule packs (docs/change-review.md), beside the cfn-lint run.
`;

main();
