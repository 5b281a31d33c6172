import { ENVIRONMENT_NAMES, PLACEHOLDER_ACCOUNT } from '../lib/config';
import { synthesized } from './support/assembly';

describe.each(ENVIRONMENT_NAMES)('%s stacks', (envName) => {
  const assembly = synthesized(envName);

  it('names every stack <environment>-<service>-<region>', () => {
    expect(assembly.stackNames).toEqual([`${envName}-network-us-east-1`, `${envName}-network-eu-west-1`, `${envName}-pipeline-us-east-1`]);
  });

  it('pins each stack to the account and its region, with a placeholder account offline', () => {
    expect(assembly.stackEnvironment(`${envName}-network-us-east-1`)).toBe(`aws://${PLACEHOLDER_ACCOUNT}/us-east-1`);
    expect(assembly.stackEnvironment(`${envName}-network-eu-west-1`)).toBe(`aws://${PLACEHOLDER_ACCOUNT}/eu-west-1`);
    expect(assembly.stackEnvironment(`${envName}-pipeline-us-east-1`)).toBe(`aws://${PLACEHOLDER_ACCOUNT}/us-east-1`);
  });
});
