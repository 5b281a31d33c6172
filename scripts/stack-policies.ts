/**
 * Writes the stack policies one deploy step sets (deployStackPolicies of
 * lib/review/stack-policy.ts), for scripts/apply-stack-policies.sh:
 *
 *   npx tsx scripts/stack-policies.ts <env> <deployed dir> <assembly dir> <out dir> <stack>...
 *
 * <deployed dir> holds the templates CloudFormation has (scripts/fetch-deployed-templates.sh),
 * <assembly dir> the synthesized cloud assembly the step deploys. It reviews one against the
 * other as the change-safety gate does, with review/acknowledged-changes.json, and writes
 * <out>/before/<stack>.json for each named stack that is deployed (acknowledged replacements
 * and removals exempt), <out>/after/<stack>.json for each named stack (strict), and
 * <out>/regions.tsv (stack, region). It does not fail on a blocked change: the Diff step
 * already has, and the policy leaves such a change denied, so CloudFormation refuses it.
 * Exit status: 0 written, 1 bad input.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AcknowledgementError, parseAcknowledgements, review } from '../lib/review/acknowledgements';
import { findUnsafeChanges, formatChange } from '../lib/review/change-safety';
import { deployStackPolicies, type StackPolicy } from '../lib/review/stack-policy';
import { environmentStacks, readTemplates, TemplateError } from '../lib/review/templates';

const ACKNOWLEDGEMENTS = path.join(__dirname, '..', 'review', 'acknowledged-changes.json');
const USAGE = 'usage: npx tsx scripts/stack-policies.ts <env> <deployed dir> <assembly dir> <out dir> <stack>...';

class UsageError extends Error {}

/** Each stack's region, from the assembly's manifest (`aws://<account>/<region>`). */
function stackRegions(assembly: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(assembly, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; environment?: string; properties?: { stackName?: string } }>;
  };
  return new Map(
    Object.entries(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
      .map(([id, artifact]) => [artifact.properties?.stackName ?? id, artifact.environment?.split('/').pop() ?? '']),
  );
}

/** What a policy guards, for the log: the logical IDs its Deny names. */
function guarded(policy: StackPolicy): string[] {
  return policy.Statement.filter((s) => s.Effect === 'Deny').flatMap((s) => [s.Resource].flat()).map((r) => r.replace(/^LogicalResourceId\//, ''));
}

function main(): void {
  const [envName, deployedDir, assembly, out, ...stacks] = process.argv.slice(2);
  if (!out || stacks.length === 0) throw new UsageError(USAGE);
  const head = environmentStacks(readTemplates(assembly), envName);
  const deployed = environmentStacks(readTemplates(deployedDir), envName);
  const regions = stackRegions(assembly);
  const unknown = stacks.filter((stack) => !(stack in head) || !regions.get(stack));
  if (unknown.length > 0) throw new UsageError(`${assembly} has no stack ${unknown.join(', ')} of environment ${envName} with a region`);

  const acknowledgements = parseAcknowledgements(JSON.parse(readFileSync(ACKNOWLEDGEMENTS, 'utf8')), path.relative(process.cwd(), ACKNOWLEDGEMENTS));
  const verdict = review(findUnsafeChanges(deployed, head), acknowledgements, Object.keys(deployed));
  const policies = deployStackPolicies(deployed, head, stacks, verdict.acknowledged);

  rmSync(out, { recursive: true, force: true });
  for (const [phase, byStack] of Object.entries(policies)) {
    mkdirSync(path.join(out, phase), { recursive: true });
    for (const [stack, policy] of Object.entries(byStack as Record<string, StackPolicy>)) {
      writeFileSync(path.join(out, phase, `${stack}.json`), `${JSON.stringify(policy)}\n`);
    }
  }
  writeFileSync(path.join(out, 'regions.tsv'), stacks.map((stack) => `${stack}\t${regions.get(stack)}\n`).join(''));

  for (const stack of stacks) {
    const strict = guarded(policies.after[stack]);
    const before = policies.before[stack];
    const exempt = before ? strict.filter((id) => !guarded(before).includes(id)) : [];
    const during = before ? (exempt.length > 0 ? `during this deploy allows replacing or deleting ${exempt.join(', ')} (acknowledged)` : 'no exemption during this deploy') : 'not deployed yet: its policy is set after its create';
    console.log(`${stack}: guards ${strict.length} resources; ${during}`);
  }
  const stepStacks = new Set(stacks);
  for (const change of verdict.blocked.filter((c) => stepStacks.has(c.stack) && (c.kind === 'replace' || c.kind === 'remove'))) {
    console.log(`not acknowledged, so the stack policy denies it: ${formatChange(change)}`);
  }
}

try {
  main();
} catch (error) {
  if (!(error instanceof UsageError || error instanceof AcknowledgementError || error instanceof TemplateError)) throw error;
  console.error(`stack-policies: ${error.message}`);
  process.exitCode = 1;
}
