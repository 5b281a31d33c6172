import { ConfigError, ENVIRONMENTS, ENVIRONMENT_NAMES, REGIONS, validateConfig } from '../lib/config';

const withAmi = (region: string, amiId: unknown) => ({
  ...ENVIRONMENTS.dev,
  app: { ...ENVIRONMENTS.dev.app, amiIds: { ...ENVIRONMENTS.dev.app.amiIds, [region]: amiId } },
});

describe('app.amiIds', () => {
  it.each(ENVIRONMENT_NAMES)('pins an AMI id per region in %s', (envName) => {
    for (const region of REGIONS) expect(ENVIRONMENTS[envName].app.amiIds[region]).toMatch(/^ami-[0-9a-f]{17}$/);
  });

  it.each(['ami-0123456789abcdef0', 'ami-1a2b3c4d'])('accepts %s', (amiId) => {
    expect(validateConfig('dev', withAmi('eu-west-1', amiId) as any).app.amiIds['eu-west-1']).toBe(amiId);
  });

  it.each([
    ['an SSM parameter name', '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64'],
    ['upper-case hex', 'ami-0123456789ABCDEF0'],
    ['too few digits', 'ami-1234567'],
    ['too many digits', 'ami-0123456789abcdef01'],
    ['a snapshot id', 'snap-0123456789abcdef0'],
  ])('rejects %s with one line naming the region', (_name, amiId) => {
    const attempt = () => validateConfig('dev', withAmi('eu-west-1', amiId) as any);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^Invalid configuration for environment "dev": app\.amiIds\.eu-west-1: must be an AMI id: ami- followed by 8 to 17 lowercase hex digits[^\n]*$/);
  });

  it('is required for both regions', () => {
    const onlyStandby = { 'eu-west-1': ENVIRONMENTS.dev.app.amiIds['eu-west-1'] };
    const attempt = () => validateConfig('dev', { ...ENVIRONMENTS.dev, app: { ...ENVIRONMENTS.dev.app, amiIds: onlyStandby } } as any);
    expect(attempt).toThrow(/app\.amiIds\.us-east-1: /);
  });
});

describe('app capacity for rolling updates', () => {
  it('refuses a maximum equal to the desired capacity, which leaves no room for the next instance', () => {
    const attempt = () => validateConfig('dev', { ...ENVIRONMENTS.dev, app: { ...ENVIRONMENTS.dev.app, desiredCapacity: 3, maxCapacity: 3 } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^Invalid configuration for environment "dev": app\.maxCapacity: \(3\) must exceed app\.desiredCapacity: a rolling update[^\n]*$/);
  });

  it.each(ENVIRONMENT_NAMES)('leaves room above the desired capacity in %s', (envName) => {
    expect(ENVIRONMENTS[envName].app.maxCapacity).toBeGreaterThan(ENVIRONMENTS[envName].app.desiredCapacity);
  });
});
