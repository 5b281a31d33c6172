import { checkName, Naming, NamingError } from '../lib/naming';

describe('naming', () => {
  const prod = new Naming('prod');

  it('names stacks <environment>-<service>-<location>', () => {
    expect(prod.stackName('network', 'us-east-1')).toBe('prod-network-us-east-1');
    expect(prod.stackName('data', 'eu-west-1')).toBe('prod-data-eu-west-1');
    expect(prod.stackName('dns', 'global')).toBe('prod-dns-global');
  });

  it('names resources with the same prefix and an optional purpose', () => {
    expect(prod.name('loadBalancer', 'app', 'eu-west-1')).toBe('prod-app-eu-west-1');
    expect(prod.name('logGroup', 'network', 'us-east-1', 'flow-logs')).toBe('prod-network-us-east-1-flow-logs');
  });

  it('refuses an ALB or target group name over 32 characters', () => {
    expect(() => prod.name('loadBalancer', 'app', 'us-east-1', 'internet-facing')).toThrow(
      new NamingError('loadBalancer name "prod-app-us-east-1-internet-facing" is 34 characters; AWS allows at most 32'),
    );
    expect(() => new Naming('production').name('loadBalancer', 'app', 'eu-west-1', 'web-alb1')).toThrow(/at most 32/);
  });

  it('refuses characters AWS does not allow for the kind of name', () => {
    expect(() => checkName('dbInstance', 'prod-data--us-east-1')).toThrow(/single inner hyphens/);
    expect(() => checkName('loadBalancer', 'prod-app-')).toThrow(/inner hyphens/);
    expect(() => checkName('stack', '1-prod')).toThrow(/a letter, then/);
  });

  it('accepts a name exactly at the limit', () => {
    expect(checkName('loadBalancer', 'a'.repeat(32))).toHaveLength(32);
    expect(checkName('iamRole', 'r'.repeat(64))).toHaveLength(64);
    expect(() => checkName('iamRole', 'r'.repeat(65))).toThrow(/at most 64/);
  });
});
