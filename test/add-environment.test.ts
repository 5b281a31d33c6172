import { executionPolicies, isIamAction, permissionsBoundaryArn, requiredActions, WITHHELD_ACTIONS } from '../lib/bootstrap';
import { evaluateTemplate } from '../lib/compliance/org-rules';
import { synthesized } from './support/assembly';
import { actionMatches, asList } from './support/iam';
import { stagingConfig } from './support/variants';

/**
 * Adding an environment is one entry in lib/config/environments.ts. This test adds one
 * in memory, as a team would in the file, and checks that it synthesizes with no open
 * finding, that its names follow it, and that the execution policies generated for it
 * cover its resources: nothing else needs editing.
 */
describe('an environment added to the config only', () => {
  // The global setup synthesizes it as the `staging` assembly.
  const config = stagingConfig();
  const assembly = synthesized('staging');

  it('synthesizes every stack under its own name with no open finding of any rule pack', () => {
    expect(assembly.stackNames).toHaveLength(10);
    expect(assembly.stackNames.every((name) => name.startsWith('staging-'))).toBe(true);
    const { plugins, open } = assembly.findings();
    expect(plugins).toEqual(expect.arrayContaining(['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard']));
    expect(open).toEqual([]);
    for (const stack of assembly.stackNames) expect(evaluateTemplate(stack, assembly.template(stack).toJSON() as Parameters<typeof evaluateTemplate>[1])).toEqual([]);
  });

  it('gets execution policies that grant every action its resources need', () => {
    const documents = executionPolicies({ environments: ['staging'], permissionsBoundaryArn: permissionsBoundaryArn(config.tags.project, '*') });
    const allowed = documents.flatMap((d) => d.Statement.flatMap((s) => s.Action));
    const required = requiredActions(assembly.resourceTypes).filter((a) => isIamAction(a) && !(a in WITHHELD_ACTIONS));
    expect(required.filter((action) => !allowed.some((pattern) => actionMatches(pattern, action)))).toEqual([]);
    const resources = documents.flatMap((d) => d.Statement.flatMap((s) => asList(s.Resource)));
    expect(resources).toEqual(expect.arrayContaining(['arn:aws:iam::*:role/staging-*', 'arn:aws:cloudformation:*:*:stack/staging-*']));
  });
});
