import { executionPolicies, permissionsBoundaryArn, type PolicyDocument } from '../lib/bootstrap';
import { ENVIRONMENT_NAMES } from '../lib/config';
import { asList } from './support/iam';
import { NON_PASSING_REFERENCES, PASSED_ON_TO, ROLE_PASSING_PROPERTIES, passedTo, roleReferences, rolesOf } from './support/pass-role';

const documents = executionPolicies({ environments: ENVIRONMENT_NAMES, permissionsBoundaryArn: permissionsBoundaryArn('webtier', '*') });
const references = ENVIRONMENT_NAMES.flatMap((env) => roleReferences(env));

/** The `iam:PassedToService` values of the statement that passes the app's roles (`role/<env>-*`). */
function passedToServices(docs: PolicyDocument[]): string[] {
  const statements = docs.flatMap((d) => d.Statement).filter((s) => s.Action.includes('iam:PassRole') && asList(s.Resource).some((r) => /:role\/[a-z]+-\*$/.test(r)));
  expect(statements).toHaveLength(1);
  return asList(statements[0].Condition?.StringEquals?.['iam:PassedToService']).sort();
}

/** The services the templates' role-passing properties hand roles to. */
const servicesReceivingRoles = () => [...new Set(references.map(passedTo).filter((s): s is string => s !== undefined))].sort();

/** Where the policy's list and the templates' differ. */
function mismatch(policy: string[]): { notPassedByAnyTemplate: string[]; missingFromPolicy: string[] } {
  const needed = servicesReceivingRoles();
  return { notPassedByAnyTemplate: policy.filter((s) => !needed.includes(s)), missingFromPolicy: needed.filter((s) => !policy.includes(s)) };
}

describe('iam:PassRole of the execution policy', () => {
  it('knows every way a template refers to one of its roles: a property that passes it to a service, or one that does not', () => {
    expect(references.length).toBeGreaterThan(20);
    const unclassified = references.filter((r) => !passedTo(r) && !(`${r.type} ${r.path}` in NON_PASSING_REFERENCES)).map((r) => `${r.env} ${r.stack} ${r.resource} ${r.type} ${r.path}`);
    expect(unclassified).toEqual([]);
    // Every listed passing property is used by some template, or the list has gone stale.
    const used = new Set(references.filter((r) => passedTo(r)).map((r) => `${r.type} ${r.path}`));
    expect(Object.entries(ROLE_PASSING_PROPERTIES).flatMap(([type, paths]) => Object.keys(paths).map((p) => `${type} ${p}`)).filter((k) => !used.has(k))).toEqual([]);
  });

  it('passes roles to exactly the services the templates\' role-passing properties hand them to, no more and no fewer', () => {
    expect(servicesReceivingRoles()).toEqual(
      expect.arrayContaining(['lambda.amazonaws.com', 'ec2.amazonaws.com', 'backup.amazonaws.com', 'monitoring.rds.amazonaws.com', 'codebuild.amazonaws.com', 'codepipeline.amazonaws.com', 'arc-region-switch.amazonaws.com', 'synthetics.amazonaws.com']),
    );
    expect(mismatch(passedToServices(documents))).toEqual({ notPassedByAnyTemplate: [], missingFromPolicy: [] });
  });

  it('would notice a service too many or too few in the condition', () => {
    const policy = passedToServices(documents);
    expect(mismatch([...policy, 'glue.amazonaws.com'])).toEqual({ notPassedByAnyTemplate: ['glue.amazonaws.com'], missingFromPolicy: [] });
    expect(mismatch(policy.filter((s) => s !== 'monitoring.rds.amazonaws.com'))).toEqual({ notPassedByAnyTemplate: [], missingFromPolicy: ['monitoring.rds.amazonaws.com'] });
  });

  it('passes each role only to a service its trust policy names (or that hands it to one)', () => {
    const untrusted = references
      .filter((r) => passedTo(r))
      .filter((r) => !r.trusts.includes(passedTo(r)!) && !r.trusts.includes(PASSED_ON_TO[passedTo(r)!]))
      .map((r) => `${r.env} ${r.stack} ${r.role} passed to ${passedTo(r)} trusts ${r.trusts.join(',')}`);
    expect(untrusted).toEqual([]);
  });

  it('leaves no service principal of a role\'s trust unexplained: each receives roles through a passing property', () => {
    const receiving = new Set(servicesReceivingRoles().flatMap((s) => [s, PASSED_ON_TO[s]].filter(Boolean)));
    const roles = ENVIRONMENT_NAMES.flatMap((env) => rolesOf(env));
    expect(roles.length).toBeGreaterThan(20);
    const unexplained = roles.flatMap((r) => r.trusts.filter((s) => !receiving.has(s)).map((s) => `${r.stack} ${r.role} trusts ${s}`));
    expect(unexplained).toEqual([]);
  });
});
