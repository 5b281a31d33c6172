import { executionPolicies, isIamAction, permissionsBoundaryArn, requiredActions, WITHHELD_ACTIONS } from '../lib/bootstrap';
import { evaluateTemplate } from '../lib/compliance/org-rules';
import { synthesized } from './support/assembly';
import { actionMatches, asList } from './support/iam';
import { ENVIRONMENT_NAME, ENVIRONMENT_NAMES } from '../lib/config';
import { ADDED_ENVIRONMENT, addedConfig, TEST_ONLY_PREFIX, variantCollisions, VARIANTS } from './support/variants';

/**
 * Adding an environment is one entry in lib/config/environments.ts. This test adds one
 * in memory, as a team would in the file, and checks that it synthesizes with no open
 * finding, that its names follow it, and that the execution policies generated for it
 * cover its resources: nothing else needs editing.
 */
describe('an environment added to the config only', () => {
  // The global setup synthesizes it as its own assembly.
  const config = addedConfig();
  const assembly = synthesized(ADDED_ENVIRONMENT);

  it('synthesizes every stack under its own name with no open finding of any rule pack', () => {
    expect(assembly.stackNames).toHaveLength(10);
    expect(assembly.stackNames.every((name) => name.startsWith(`${ADDED_ENVIRONMENT}-`))).toBe(true);
    const { plugins, open } = assembly.findings();
    expect(plugins).toEqual(expect.arrayContaining(['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard']));
    expect(open).toEqual([]);
    for (const stack of assembly.stackNames) expect(evaluateTemplate(stack, assembly.template(stack).toJSON() as Parameters<typeof evaluateTemplate>[1])).toEqual([]);
  });

  it('gets execution policies that grant every action its resources need', () => {
    const documents = executionPolicies({ environments: [ADDED_ENVIRONMENT], permissionsBoundaryArn: permissionsBoundaryArn(config.tags.project, '*') });
    const allowed = documents.flatMap((d) => d.Statement.flatMap((s) => s.Action));
    const required = requiredActions(assembly.resourceTypes).filter((a) => isIamAction(a) && !(a in WITHHELD_ACTIONS));
    expect(required.filter((action) => !allowed.some((pattern) => actionMatches(pattern, action)))).toEqual([]);
    const resources = documents.flatMap((d) => d.Statement.flatMap((s) => asList(s.Resource)));
    expect(resources).toEqual(expect.arrayContaining([`arn:aws:iam::*:role/${ADDED_ENVIRONMENT}-*`, `arn:aws:cloudformation:*:*:stack/${ADDED_ENVIRONMENT}-*`]));
  });
});

describe('a test-only environment', () => {
  it('fails loudly when a configured environment takes its name, instead of being synthesized in its place', () => {
    // The trap this replaced: a team adds `staging`, and a test-only `staging` existed.
    expect(variantCollisions(['dev', 'test', 'prod', 'staging'], ['staging', 'prod-changed'])).toEqual([expect.stringMatching(/^test-only environment "staging" .* has the name of a configured environment/)]);
  });

  it('keeps the test-only prefix out of the configured names', () => {
    expect(variantCollisions(['dev', 'zzperf'], [])).toEqual([expect.stringMatching(/^configured environment "zzperf" .* starts with "zz"/)]);
  });

  it('has a name the naming rules accept and no configured environment has', () => {
    expect(ADDED_ENVIRONMENT).toMatch(ENVIRONMENT_NAME);
    expect(ADDED_ENVIRONMENT.startsWith(TEST_ONLY_PREFIX)).toBe(true);
    expect(variantCollisions(ENVIRONMENT_NAMES, Object.keys(VARIANTS))).toEqual([]);
  });
});
