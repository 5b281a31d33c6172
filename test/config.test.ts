import { ConfigError, ENVIRONMENT_NAMES, ENVIRONMENTS, loadConfig, strictFrom, unresolvedCredentialsWarning, PLACEHOLDER_ACCOUNT, validateConfig, type EnvironmentSettings } from '../lib/config';

/** A deep copy of one environment's settings with `change` applied. */
function settingsWith(envName: 'dev' | 'test' | 'prod', change: (s: any) => void): EnvironmentSettings {
  const copy = structuredClone(ENVIRONMENTS[envName]);
  change(copy);
  return copy;
}

describe('loading an environment', () => {
  it.each(['dev', 'test', 'prod'] as const)('accepts the shipped %s settings', (envName) => {
    expect(loadConfig(envName).name).toBe(envName);
  });

  it('uses a placeholder account offline, when the settings name none', () => {
    expect(loadConfig('dev').account).toBe(PLACEHOLDER_ACCOUNT);
  });

  it('defaults to one NAT gateway per AZ', () => {
    const config = loadConfig('dev');
    expect(config.regions['us-east-1'].natGateways).toBe(3);
    expect(config.regions['eu-west-1'].natGateways).toBe(3);
  });
});

describe('a bad configuration', () => {
  const us = (s: any) => s.regions['us-east-1'];
  const cases: Array<[string, 'dev' | 'test' | 'prod', (s: any) => void, RegExp]> = [
    ['a malformed CIDR', 'dev', (s) => (us(s).vpcCidr = '10.10.0.0/33'), /regions\.us-east-1\.vpcCidr: is not a valid IPv4 network CIDR/],
    ['a CIDR too small for the subnets', 'dev', (s) => (us(s).vpcCidr = '10.10.0.0/24'), /regions\.us-east-1\.vpcCidr: must have a prefix between \/16 and \/18/],
    ['overlapping region CIDRs', 'test', (s) => (s.regions['eu-west-1'].vpcCidr = '10.20.0.0/17'), /regions\.eu-west-1\.vpcCidr: overlaps us-east-1's 10\.20\.0\.0\/16/],
    ['two AZs instead of three', 'dev', (s) => us(s).availabilityZones.pop(), /regions\.us-east-1\.availabilityZones: must list exactly 3 Availability Zones/],
    ['an AZ of another region', 'dev', (s) => (us(s).availabilityZones[2] = 'eu-west-1c'), /regions\.us-east-1\.availabilityZones\.2: "eu-west-1c" is not an Availability Zone of us-east-1/],
    ['the same AZ twice', 'dev', (s) => (us(s).availabilityZones[1] = 'us-east-1a'), /regions\.us-east-1\.availabilityZones: lists the same Availability Zone twice/],
    ['no NAT gateway', 'dev', (s) => (us(s).natGateways = 0), /regions\.us-east-1\.natGateways: must be at least 1/],
    ['min above max capacity', 'dev', (s) => (s.app.minCapacity = 5), /app\.minCapacity: \(5\) exceeds app\.maxCapacity \(3\)/],
    ['desired outside min and max', 'dev', (s) => (s.app.desiredCapacity = 4), /app\.desiredCapacity: \(4\) must lie between minCapacity 1 and maxCapacity 3/],
    ['a single instance in prod', 'prod', (s) => Object.assign(s.app, { minCapacity: 1, desiredCapacity: 1 }), /app\.minCapacity: must be at least 2 in prod/],
    ['an invalid e-mail', 'dev', (s) => (s.alertEmails = ['oncall.example.com']), /alertEmails\.0: is not a valid e-mail address/],
    ['an alarm threshold out of range', 'dev', (s) => (s.alarms.cpuHighPercent = 150), /alarms\.cpuHighPercent: must be a percentage between 0 and 100/],
    ['a scale-in threshold above scale-out', 'dev', (s) => (s.alarms.cpuLowPercent = 80), /alarms\.cpuLowPercent: \(80\) must be below alarms\.cpuHighPercent \(70\)/],
    ['a paging alarm needing more bad periods than it looks at', 'dev', (s) => (s.alarms.pagingDatapointsToAlarm = 6), /alarms\.pagingDatapointsToAlarm: \(6\) must be at most alarms\.pagingEvaluationPeriods \(5\): M out of N periods/],
    ['a paging alarm needing no bad period', 'dev', (s) => (s.alarms.pagingDatapointsToAlarm = 0), /alarms\.pagingDatapointsToAlarm: must be at least 1/],
    ['a 5xx rate threshold over 100 %', 'prod', (s) => (s.alarms.target5xxPercent = 120), /alarms\.target5xxPercent: must be a percentage between 0 and 100/],
    ['backup retention over 35 days', 'dev', (s) => (s.database.backupRetentionDays = 40), /database\.backupRetentionDays: must be 7-35 days \(RDS keeps at most 35\)/],
    ['backup retention under a week', 'dev', (s) => (s.database.backupRetentionDays = 3), /database\.backupRetentionDays: must be 7-35 days \(AWS Control Tower CT\.RDS\.PR\.8 asks for at least 7\)/],
    ['an unknown instance type', 'dev', (s) => (s.app.instanceTypes = ['c7g.medium', 't3.huge']), /app\.instanceTypes\.1: is not a known EC2 instance type/],
    ['a single instance type', 'dev', (s) => (s.app.instanceTypes = ['c7g.medium']), /app\.instanceTypes: must list at least 2 instance types/],
    ['instance types of two architectures', 'dev', (s) => (s.app.instanceTypes = ['c7g.medium', 'm7i.large']), /app\.instanceTypes: mixes CPU architectures/],
    ['a certificate from another region', 'dev', (s) => (s.app.certificateArns = { 'us-east-1': 'arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012' }), /app\.certificateArns\.us-east-1: is not an ACM certificate ARN of account 111111111111 in us-east-1/],
    ['a WAF rate limit under the minimum', 'dev', (s) => (s.app.wafRateLimitPer5Minutes = 10), /app\.wafRateLimitPer5Minutes: must be at least 100/],
    ['an RDS class without db.', 'dev', (s) => (s.database.instanceType = 'r7g.large'), /database\.instanceType: is not a known RDS instance class/],
    ['a single-AZ database in prod', 'prod', (s) => (s.database.multiAz = false), /database\.multiAz: must be true in prod: a single-AZ writer stops taking writes/],
    ['a database without deletion protection in prod', 'prod', (s) => (s.database.deletionProtection = false), /database\.deletionProtection: must be true in prod: no stack deletion or mistaken call may delete the writer/],
    ['prod without approval', 'prod', (s) => (s.requireApproval = false), /requireApproval: must be true in prod/],
    ['a malformed account', 'dev', (s) => (s.account = '12345'), /account: must be a 12-digit AWS account id/],
    ['a malformed hosted zone id', 'dev', (s) => (s.dns.hostedZoneId = 'example.com'), /dns\.hostedZoneId: must be a Route 53 hosted zone id/],
    ['a domain outside the hosted zone', 'dev', (s) => (s.dns.domainName = 'app.example.org'), /dns\.domainName: "app\.example\.org" is not inside hosted zone dev\.example\.com/],
    ['a health-check interval Route 53 lacks', 'dev', (s) => (s.dns.healthCheckIntervalSeconds = 20), /dns\.healthCheckIntervalSeconds: must be 10 or 30/],
    ['log retention under a year', 'dev', (s) => (s.logRetentionDays = 30), /logRetentionDays: must be a CloudWatch Logs retention period of at least a year/],
    ['a misspelt setting', 'dev', (s) => (us(s).vpcCidrs = '10.0.0.0/16'), /regions\.us-east-1: Unrecognized key: "vpcCidrs"/],
    ['automatic activation after one minute', 'prod', (s) => (s.dns.regionSwitch.autoActivation = { afterMinutes: 1 }), /dns\.regionSwitch\.autoActivation\.afterMinutes: must be a whole number of minutes from 2 to 60: one failed probe is not an outage/],
    ['automatic activation after a fraction of a minute', 'test', (s) => (s.dns.regionSwitch.autoActivation = { afterMinutes: 2.5 }), /dns\.regionSwitch\.autoActivation\.afterMinutes: must be a whole number of minutes from 2 to 60/],
    ['automatic activation set to true', 'dev', (s) => (s.dns.regionSwitch.autoActivation = true), /dns\.regionSwitch\.autoActivation: must be \{ afterMinutes \} or false/],
    ['automatic activation with a misspelt key', 'test', (s) => (s.dns.regionSwitch.autoActivation = { afterMinute: 5 }), /dns\.regionSwitch\.autoActivation/],
    ['automatic activation slower than the objective', 'test', (s) => Object.assign(s.dns.regionSwitch, { autoActivation: { afterMinutes: 60 }, recoveryTimeObjectiveMinutes: 45 }), /dns\.regionSwitch\.autoActivation\.afterMinutes: \(60\) must be below dns\.regionSwitch\.recoveryTimeObjectiveMinutes \(45\)/],
    ['overlapping backup and maintenance windows', 'dev', (s) => (s.database.maintenanceWindow = 'wed:03:30-wed:04:30'), /database\.maintenanceWindow: overlaps database\.backupWindow \(03:00-04:00\) on some day/],
    ['a malformed maintenance window', 'dev', (s) => (s.database.maintenanceWindow = 'sunday 5am'), /database\.maintenanceWindow: must be ddd:hh:mm-ddd:hh:mm in UTC/],
    ['an Enhanced Monitoring interval RDS lacks', 'dev', (s) => (s.database.monitoringIntervalSeconds = 20), /database\.monitoringIntervalSeconds: must be 1, 5, 10, 15, 30 or 60/],
    ['unprotected state in prod', 'prod', (s) => (s.protectStatefulResources = false), /protectStatefulResources: must be true in prod/],
    [
      'a Region switch without approval where state is protected',
      'prod',
      (s) => (s.dns.regionSwitch.approval = false),
      /dns\.regionSwitch\.approval: must be \{ timeoutMinutes \} where protectStatefulResources is true: a switch promotes a database and cannot be undone, so a second person approves it/,
    ],
    ['a Region switch approval that is neither settings nor false', 'dev', (s) => (s.dns.regionSwitch.approval = true), /dns\.regionSwitch\.approval: must be \{ timeoutMinutes \} or false/],
    ['a Region switch approval with no time to answer', 'test', (s) => (s.dns.regionSwitch.approval = { timeoutMinutes: 0 }), /dns\.regionSwitch\.approval\.timeoutMinutes: Too small/],
    ['a pipeline source that is not a connection', 'dev', (s) => (s.pipeline.connectionArn = 'arn:aws:codecommit:us-east-1:111111111111:webtier'), /pipeline\.connectionArn: must be a CodeConnections connection ARN/],
    ['a repository without its owner', 'dev', (s) => (s.pipeline.repository = 'webtier-infra'), /pipeline\.repository: must be owner\/name/],
    ['a branch name git refuses', 'dev', (s) => (s.pipeline.branch = 'release..1'), /pipeline\.branch: must be a git branch name/],
  ];

  it.each(cases)('rejects %s with one line naming the environment and setting', (_name, envName, change, message) => {
    const attempt = () => validateConfig(envName, settingsWith(envName, change));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^Invalid configuration for environment "${envName}": ${message.source}`));
    expect(attempt).toThrow(/^[^\n]+$/);
  });

  it('has a distinct message for every case', () => {
    const messages = cases.map(([, envName, change]) => {
      try {
        validateConfig(envName, settingsWith(envName, change));
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(new Set(messages).size).toBe(cases.length);
  });

  it('rejects an unknown environment name', () => {
    expect(() => loadConfig('no-such-env')).toThrow(new ConfigError(`Unknown environment "no-such-env" (from -c env=…): expected one of ${ENVIRONMENT_NAMES.join(', ')}`));
    expect(() => loadConfig('toString')).toThrow(/Unknown environment "toString"/);
    expect(() => loadConfig(42)).toThrow(/Unknown environment 42/);
  });

  it('lets an environment that does not protect state switch regions without approval, as dev ships', () => {
    expect(loadConfig('dev').dns.regionSwitch.approval).toBe(false);
    expect(validateConfig('test', settingsWith('test', (s) => (s.dns.regionSwitch.approval = false))).dns.regionSwitch.approval).toBe(false);
  });

  it('lists every problem when there are several', () => {
    const attempt = () => validateConfig('prod', settingsWith('prod', (s) => Object.assign(s, { requireApproval: false, logRetentionDays: 1 })));
    expect(attempt).toThrow(/logRetentionDays: .*; requireApproval: must be true in prod/);
  });
});

describe('a configuration about to meet real AWS credentials', () => {
  const credentials = '222222222222';
  /** The shipped settings with real values where they ship placeholders. */
  const real = (envName: 'dev' | 'prod', change: (s: any) => void = () => undefined) =>
    settingsWith(envName, (s) => {
      Object.assign(s, { account: credentials, alertEmails: ['oncall@corp.internal'] });
      Object.assign(s.dns, { hostedZoneId: 'Z1D633PJN98FT9', hostedZoneName: 'corp.internal', domainName: `app.${envName}.corp.internal` });
      s.pipeline.connectionArn = 'arn:aws:codeconnections:us-east-1:222222222222:connection/4f1e2d3c-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
      s.app.amiIds = { 'us-east-1': 'ami-0c1a7f8e2b9d3a401', 'eu-west-1': 'ami-0e5b2d9c7a1f4b602' };
      change(s);
    });
  const load = (envName: 'dev' | 'prod', settings: EnvironmentSettings) =>
    loadConfig(envName, { defaultAccount: credentials, environments: { ...ENVIRONMENTS, [envName]: settings } });

  it('accepts real values for the credentials\' own account', () => {
    expect(load('prod', real('prod')).account).toBe(credentials);
  });

  it('lets dev fall back to the credentials\' account', () => {
    expect(load('dev', real('dev', (s) => delete s.account)).account).toBe(credentials);
  });

  it('refuses prod without its own account, rather than deploy it wherever the credentials point', () => {
    expect(() => load('prod', real('prod', (s) => delete s.account))).toThrow(/^Environment "prod" is not ready to deploy \(-c strict=true, with AWS credentials for 222222222222\); set in lib\/config\/environments\.ts:\n {2}account: must be set for prod/);
  });

  it('refuses credentials for another account', () => {
    expect(() => load('prod', real('prod', (s) => (s.account = '333333333333')))).toThrow(/account: is 333333333333 but the credentials are for 222222222222/);
  });

  it('refuses the placeholder hosted zone, domain, alert addresses, connection and AMIs', () => {
    expect(() => load('dev', real('dev', (s) => (s.dns.hostedZoneId = 'Z0000000000000000DEV')))).toThrow(/dns\.hostedZoneId: is a placeholder/);
    expect(() => load('dev', real('dev', (s) => Object.assign(s.dns, { hostedZoneName: 'example.com', domainName: 'app.example.com' })))).toThrow(/dns\.hostedZoneName: is a placeholder domain/);
    expect(() => load('dev', real('dev', (s) => (s.alertEmails = ['a@example.com'])))).toThrow(/alertEmails: holds a placeholder address/);
    expect(() => load('dev', real('dev', (s) => (s.pipeline.connectionArn = ENVIRONMENTS.dev.pipeline.connectionArn)))).toThrow(/pipeline\.connectionArn: is a placeholder/);
    expect(() => load('dev', real('dev', (s) => (s.app.amiIds = ENVIRONMENTS.dev.app.amiIds)))).toThrow(/app\.amiIds\.us-east-1: is a placeholder.*print-latest-ami/);
  });

  it('keeps every placeholder working offline', () => {
    expect(() => loadConfig('prod')).not.toThrow();
  });
});

describe('placeholders and -c strict=true', () => {
  const credentials = '222222222222';
  const problemLines = (attempt: () => unknown): string[] => {
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message.split('\n').slice(1);
    }
    throw new Error('accepted');
  };

  it('lets anyone with credentials look at the templates, with a one-line note that placeholders remain', () => {
    const notes: string[] = [];
    expect(loadConfig('dev', { defaultAccount: credentials, strict: false, note: (line) => notes.push(line) }).account).toBe(credentials);
    expect(notes).toEqual(['note: dev keeps 6 placeholder settings (synthesized anyway); before a deploy, `-c strict=true` lists them and refuses them, as the pipeline does']);
  });

  it('says nothing offline', () => {
    const notes: string[] = [];
    loadConfig('dev', { strict: false, note: (line) => notes.push(line) });
    expect(notes).toEqual([]);
  });

  it('refuses every placeholder when strict, one a line, each with the setting\'s path', () => {
    expect(problemLines(() => loadConfig('dev', { defaultAccount: credentials, strict: true }))).toEqual([
      '  dns.hostedZoneId: is a placeholder; set the hosted zone the records and certificates go in',
      "  dns.hostedZoneName: is a placeholder domain; set your hosted zone's name",
      '  alertEmails: holds a placeholder address; set who gets the alarms',
      '  app.amiIds.us-east-1: is a placeholder; pin the current image (bash scripts/print-latest-ami.sh)',
      '  app.amiIds.eu-west-1: is a placeholder; pin the current image (bash scripts/print-latest-ami.sh)',
      '  pipeline.connectionArn: is a placeholder; create and approve the connection, then set its ARN',
    ]);
  });

  it('refuses the placeholder account too when strict without credentials', () => {
    expect(problemLines(() => loadConfig('prod', { strict: true }))[0]).toBe("  account: is the placeholder 111111111111; set the environment's account, or synthesize with its credentials");
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    [true, true],
  ])('reads -c strict=%s as %s', (value, strict) => {
    expect(strictFrom(value)).toBe(strict);
  });

  it('rejects any other -c strict value in one line', () => {
    expect(() => strictFrom('yes')).toThrow(new ConfigError('Invalid -c strict=yes: expected true or false'));
  });
});

describe('credentials that resolve no account', () => {
  it('are named in one warning line, since the deploy-time checks then cannot run', () => {
    expect(unresolvedCredentialsWarning({ AWS_PROFILE: 'prod-admin', CDK_DEFAULT_ACCOUNT: '' })).toBe(
      'warning: AWS_PROFILE is set but no AWS account resolved from it; synthesizing with placeholders and without the deploy-time checks (run `aws sts get-caller-identity` to see why)',
    );
  });

  it('stay quiet offline and when the account resolved', () => {
    expect(unresolvedCredentialsWarning({})).toBeUndefined();
    expect(unresolvedCredentialsWarning({ AWS_PROFILE: 'prod-admin', CDK_DEFAULT_ACCOUNT: '222222222222' })).toBeUndefined();
  });
});
