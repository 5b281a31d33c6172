/**
 * The mutation audit of issue #23, as a command: applies each realistic bug below alone, runs the
 * test files that should catch it, reverts it, and prints one line per bug: killed (with the tests
 * that failed) or SURVIVED. Exit status 1 when any survives or a bug no longer applies (its code
 * moved: update its `from`).
 *
 * Usage: npm run mutants [-- <part of a name>…]   (default: every bug)
 *
 * A bug in bin/ or lib/ changes the tree, so the assembly tests synthesize again for it (about a
 * minute each); the assemblies go to their own cache (cdk.out.mutants) and the worktree is left as
 * it was, even when interrupted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

interface Mutant {
  /** The bug, in the words of issue #23. */
  readonly name: string;
  readonly file: string;
  /** Text that occurs exactly once in the file, and what the bug makes of it. */
  readonly from: string;
  readonly to: string;
  /** The test files that should fail. */
  readonly tests: readonly string[];
}

const MUTANTS: readonly Mutant[] = [
  {
    name: 'change gate: a replacement of a stateful resource (a renamed database) is not blocked',
    file: 'lib/review/change-safety.ts',
    from: "  if (!REPLACING.has(impact)) return undefined;\n  const verb",
    to: '  return undefined;\n  const verb',
    tests: ['test/review.test.ts'],
  },
  {
    name: 'change gate: an attached managed policy (AdministratorAccess) is ignored',
    file: 'lib/review/change-safety.ts',
    from: '      ...alsoIn(own.iamChanges.managedPolicies.additions, managedPolicies.additions).map((m) => `attaches ${m.managedPolicyArn}`),\n',
    to: '',
    tests: ['test/review.test.ts'],
  },
  {
    name: 'change gate: a removed Deny statement is ignored',
    file: 'lib/review/change-safety.ts',
    from: '      ...alsoIn(own.iamChanges.statements.removals, statements.removals).filter((s) => s.isNegativeStatement).map(describeStatement),\n',
    to: '',
    tests: ['test/review.test.ts'],
  },
  {
    name: 'execution policy: rds:ModifyDBInstance dropped from the handler table',
    file: 'lib/bootstrap/handler-permissions.generated.json',
    from: '"rds:DescribeEvents","rds:ModifyDBInstance","rds:PromoteReadReplica"',
    to: '"rds:DescribeEvents","rds:PromoteReadReplica"',
    tests: ['test/handler-permissions-registry.test.ts', 'test/bootstrap.test.ts'],
  },
  {
    name: 'execution policy: the AppRoles actions scoped to *',
    file: 'lib/bootstrap/execution-policy.ts',
    from: "return { Sid: 'AppRoles', Resource: each(ARN.role) };",
    to: "return { Sid: 'AppRoles', Resource: '*' };",
    tests: ['test/bootstrap.test.ts', 'test/bootstrap-evaluation.test.ts'],
  },
  {
    name: 'execution policy: PutRolePermissionsBoundary without the boundary condition',
    file: 'lib/bootstrap/execution-policy.ts',
    from: "  'iam:PutRolePermissionsBoundary',\n  'iam:UpdateAssumeRolePolicy',",
    to: "  'iam:UpdateAssumeRolePolicy',",
    tests: ['test/bootstrap.test.ts', 'test/bootstrap-evaluation.test.ts'],
  },
  {
    name: 'config schema: prod accepted with multiAz: false',
    file: 'lib/config/schema.ts',
    from: 'if (!config.database.multiAz) ctx.addIssue(',
    to: 'if (config.database.multiAz === undefined) ctx.addIssue(',
    tests: ['test/config.test.ts'],
  },
  {
    name: 'config schema: prod accepted with deletionProtection: false',
    file: 'lib/config/schema.ts',
    from: 'if (!config.database.deletionProtection) ctx.addIssue(',
    to: 'if (config.database.deletionProtection === undefined) ctx.addIssue(',
    tests: ['test/config.test.ts'],
  },
  {
    name: 'listener: a TLS 1.3 policy that also allows TLS 1.0',
    file: 'lib/constructs/web-tier.ts',
    from: 'sslPolicy: elbv2.SslPolicy.TLS13_RES,',
    to: 'sslPolicy: elbv2.SslPolicy.TLS13_10,',
    tests: ['test/constructs/web-tier.test.ts', 'test/app.test.ts'],
  },
  {
    name: 'acknowledgement scope: an acknowledge() lands on the whole construct, not its one resource',
    file: 'lib/compliance/acknowledge.ts',
    from: "Validations.of(id.startsWith('Annotation::') ? resource : target).acknowledge({ id, reason });",
    to: 'Validations.of(resource).acknowledge({ id, reason });',
    tests: ['test/compliance.test.ts'],
  },
  {
    name: 'tags: owner set to the cost_center value',
    file: 'lib/tagging.ts',
    from: '    owner: config.tags.owner,',
    to: '    owner: config.tags.costCenter,',
    tests: ['test/tags.test.ts'],
  },
  {
    name: 'Route 53 health-check alarms: missing data treated as not breaching',
    file: 'lib/constructs/failover-dns.ts',
    from: 'treatMissingData: cloudwatch.TreatMissingData.BREACHING,',
    to: 'treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,',
    tests: ['test/dns.test.ts'],
  },
  {
    name: 'switch handlers: publish-writer swallows a failed parameter write and reports success',
    file: 'lib/lambda/switch_actions.py',
    from: '    ssm.put_parameter(Name=name, Value=value, Overwrite=True)\n    return True',
    to: '    try:\n        ssm.put_parameter(Name=name, Value=value, Overwrite=True)\n    except ClientError:\n        return False\n    return True',
    tests: ['test/switch-actions-handler.test.ts'],
  },
  {
    name: 'switch handlers: the backup look-back window points into the future',
    file: 'lib/lambda/switch_actions.py',
    from: 'since = now - datetime.timedelta(hours=window_hours)',
    to: 'since = now + datetime.timedelta(hours=window_hours)',
    tests: ['test/switch-actions-handler.test.ts'],
  },
  {
    name: 'writer cache: a cache that never refreshes',
    file: 'lib/app-server/server.py',
    from: 'if self._read_at is None or now - self._read_at >= CACHE_SECONDS:',
    to: 'if self._read_at is None:',
    tests: ['test/app-server.test.ts'],
  },
];

interface JestResult {
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: Array<{ name: string; assertionResults: Array<{ status: string; fullName: string }> }>;
}

/** Runs the mutant's tests with the bug applied; the titles of the tests that failed. */
function failingTests(mutant: Mutant): string[] {
  const file = path.join(ROOT, mutant.file);
  const original = readFileSync(file, 'utf8');
  const occurrences = original.split(mutant.from).length - 1;
  if (occurrences !== 1) throw new Error(`${mutant.file}: the text to mutate occurs ${occurrences} times, not once; update the mutant "${mutant.name}"`);
  const restore = () => writeFileSync(file, original);
  const onSignal = () => {
    restore();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const dir = mkdtempSync(path.join(tmpdir(), 'mutant-'));
  try {
    writeFileSync(file, original.replace(mutant.from, mutant.to));
    const out = path.join(dir, 'jest.json');
    spawnSync('npx', ['jest', '--json', `--outputFile=${out}`, ...mutant.tests], {
      cwd: ROOT,
      env: { ...process.env, CDK_TEST_ASSEMBLIES: process.env.CDK_TEST_ASSEMBLIES || 'cdk.out.mutants' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const result = JSON.parse(readFileSync(out, 'utf8')) as JestResult;
    const failed = result.testResults.flatMap((suite) =>
      suite.assertionResults.filter((test) => test.status === 'failed').map((test) => `${path.relative(ROOT, suite.name)}: ${test.fullName}`),
    );
    if (result.numRuntimeErrorTestSuites > 0) failed.push(`${result.numRuntimeErrorTestSuites} test file(s) failed to run`);
    return failed;
  } finally {
    restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
}

const filters = process.argv.slice(2);
const selected = MUTANTS.filter((mutant) => filters.length === 0 || filters.some((f) => mutant.name.includes(f)));
let survived = 0;
for (const mutant of selected) {
  const failed = failingTests(mutant);
  if (failed.length === 0) survived++;
  console.log(failed.length > 0 ? `killed: ${mutant.name}\n  by ${failed.slice(0, 3).join('\n  by ')}${failed.length > 3 ? `\n  and ${failed.length - 3} more` : ''}` : `SURVIVED: ${mutant.name}`);
}
console.log(`${selected.length - survived} of ${selected.length} mutants killed`);
process.exitCode = survived > 0 ? 1 : 0;
