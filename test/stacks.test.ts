import { ENVIRONMENT_NAMES, PLACEHOLDER_ACCOUNT } from '../lib/config';
import { synthesized } from './support/assembly';

describe.each(ENVIRONMENT_NAMES)('%s stacks', (envName) => {
  const assembly = synthesized(envName);

  it('names every stack <environment>-<service>-<region>', () => {
    expect(assembly.stackNames).toEqual([
      `${envName}-network-us-east-1`,
      `${envName}-network-eu-west-1`,
      `${envName}-data-us-east-1`,
      `${envName}-data-eu-west-1`,
      `${envName}-app-us-east-1`,
      `${envName}-app-eu-west-1`,
    ]);
  });

  it('pins each stack to the account and the region its name ends with, with a placeholder account offline', () => {
    for (const stackName of assembly.stackNames) {
      const region = stackName.replace(/^[a-z]+-[a-z]+-/, '');
      expect(assembly.stackEnvironment(stackName)).toBe(`aws://${PLACEHOLDER_ACCOUNT}/${region}`);
    }
  });
});
