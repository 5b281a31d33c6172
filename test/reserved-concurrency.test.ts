import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { VARIANTS } from './support/variants';

// Lambda refuses a reservation that leaves fewer unreserved executions than its minimum, and a
// new account's concurrency quota may start far below 1,000, so any reservation could fail a
// first deploy (docs/bootstrap.md, "Service quotas"). No function of the app reserves any.
describe.each([...ENVIRONMENT_NAMES, ...Object.keys(VARIANTS)])('%s Lambda functions', (envName) => {
  it('reserve no concurrency', () => {
    const assembly = synthesized(envName);
    const functions = assembly.stackNames.flatMap((stack) =>
      Object.entries(assembly.template(stack).toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([id, r]) => ({ at: `${stack}/${id}`, reserved: r.Properties?.ReservedConcurrentExecutions })),
    );
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.filter((f) => f.reserved !== undefined)).toEqual([]);
  });
});
