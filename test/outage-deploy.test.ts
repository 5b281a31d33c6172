import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';

/** Every `Fn::GetStackOutput` in a template that reads a stack of another region, as `<resource path> <- <stack>.<output>`. */
function crossRegionReads(template: unknown, ownRegion: string): string[] {
  const reads: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (node === null || typeof node !== 'object') return;
    const reference = (node as Record<string, any>)['Fn::GetStackOutput'];
    if (reference && (reference.Region ?? ownRegion) !== ownRegion) {
      reads.push(`${path.slice(0, 3).join('/')} <- ${reference.StackName}`);
      return;
    }
    for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(template, []);
  return reads;
}

/**
 * `npx cdk deploy --exclusively <env>-{network,data,app,monitoring}-eu-west-1` (docs/disaster-recovery.md)
 * updates the standby while us-east-1 is down. CloudFormation resolves a `Fn::GetStackOutput`
 * at every create and update of the stack that holds it, so each one that reads us-east-1 is a
 * call that fails during the outage.
 */
describe.each(ENVIRONMENT_NAMES)('%s standby stacks deployed during a us-east-1 outage', (envName) => {
  const assembly = synthesized(envName);
  const standbyStacks = ['network', 'data', 'app', 'monitoring'].map((service) => `${envName}-${service}-eu-west-1`);

  it('are all deployed to eu-west-1', () => {
    for (const stack of standbyStacks) expect(assembly.stackEnvironment(stack)).toMatch(/\/eu-west-1$/);
  });

  it('read nothing from us-east-1 through CloudFormation: the replica names its source by ARN', () => {
    const reads = standbyStacks.flatMap((stack) =>
      crossRegionReads(assembly.template(stack).toJSON().Resources, 'eu-west-1').map((read) => `${stack}: ${read}`),
    );
    expect(reads).toEqual([]);
  });
});
