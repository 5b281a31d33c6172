import { ENVIRONMENT_NAMES } from '../lib/config';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';

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
      `${envName}-monitoring-us-east-1`,
      `${envName}-monitoring-eu-west-1`,
      `${envName}-dns-global`,
      `${envName}-pipeline-us-east-1`,
    ]);
  });

  it('pins each stack to the configured account (a placeholder offline) and the region its name ends with', () => {
    for (const stackName of assembly.stackNames) {
      const region = stackName.endsWith('-global') ? 'us-east-1' : stackName.replace(/^[a-z]+-[a-z]+-/, '');
      expect(assembly.stackEnvironment(stackName)).toBe(`aws://${offlineConfig(envName).account}/${region}`);
    }
  });

  it('deploys in a valid order: network, data (primary before standby), app, monitoring, then DNS', () => {
    const deps = (stack: string) => assembly.dependencies(`${envName}-${stack}`);
    expect(deps('network-us-east-1')).toEqual([]);
    expect(deps('network-eu-west-1')).toEqual([]);
    expect(deps('data-us-east-1')).toEqual([`${envName}-network-us-east-1`]);
    expect(deps('data-eu-west-1')).toEqual([`${envName}-data-us-east-1`, `${envName}-network-eu-west-1`]);
    expect(deps('app-us-east-1')).toEqual([`${envName}-data-us-east-1`, `${envName}-network-us-east-1`]);
    expect(deps('app-eu-west-1')).toEqual([`${envName}-data-eu-west-1`, `${envName}-network-eu-west-1`]);
    expect(deps('monitoring-us-east-1')).toEqual([`${envName}-app-us-east-1`]);
    expect(deps('monitoring-eu-west-1')).toEqual([`${envName}-app-eu-west-1`]);
    expect(deps('dns-global')).toEqual([`${envName}-app-eu-west-1`, `${envName}-app-us-east-1`, `${envName}-monitoring-us-east-1`]);
  });

  it('keeps the standby region deployable without the primary region: its app stack reads nothing from us-east-1', () => {
    const template = JSON.stringify(assembly.template(`${envName}-app-eu-west-1`).toJSON());
    expect(template).not.toContain('"Region":"us-east-1"');
  });
});
