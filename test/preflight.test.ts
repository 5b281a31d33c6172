import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { offlineConfig } from './support/synth';

// scripts/preflight.py against AWS as moto serves it (botocore checks every call against the
// service model): test/support/moto_preflight.py builds each case's account from prod's settings as
// scripts/preflight-config.ts prints them, runs preflight's main() and prints what it did.
const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const RUNNER = path.join(__dirname, 'support', 'moto_preflight.py');
const GROUPS = ['account', 'zones', 'hosted-zone', 'delegation'] as const;
type Group = (typeof GROUPS)[number];
// All groups run in one python process, about 6 s of CPU (moto's EC2 and Route 53 models, tsx for
// --env), longer beside whatever else jest runs.
const TIMEOUT = 180_000;

interface Call {
  call: string;
  region: string;
  assumed: boolean;
}
interface Run {
  exitCode: number;
  stdout: string[];
  stderr: string[];
  calls: Call[];
  nameServers?: string[];
}

const run = promisify(execFile);
const prod = offlineConfig('prod');
const dir = mkdtempSync(path.join(tmpdir(), 'preflight-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let settingsPrinted: Promise<string> | undefined;
/** What `npx tsx scripts/preflight-config.ts prod` prints, written once to a file. */
function settingsFile(): Promise<string> {
  settingsPrinted ??= run(TSX, [path.join(ROOT, 'scripts', 'preflight-config.ts'), 'prod'], { cwd: ROOT, encoding: 'utf8' }).then(({ stdout }) => {
    const file = path.join(dir, 'prod.json');
    writeFileSync(file, stdout);
    return file;
  });
  return settingsPrinted;
}

let results: Promise<Record<Group, Record<string, any>>> | undefined;
/** Every group's results, from one run of the runner, started by whichever test asks first. */
function allGroups(): Promise<Record<Group, Record<string, any>>> {
  if (results === undefined) {
    results = settingsFile()
      .then((file) =>
        run('python3', [RUNNER, file, ...GROUPS], { cwd: ROOT, env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }),
      )
      .then(({ stdout }) => JSON.parse(stdout) as Record<Group, Record<string, any>>);
    // Whoever awaits it sees a failure; nobody else should.
    results.catch(() => undefined);
  }
  return results;
}
const group = async (name: Group): Promise<Record<string, any>> => (await allGroups())[name];
beforeAll(() => {
  allGroups();
});

/** The one problem a failing run names (besides its count). */
function problem(result: Run): string {
  expect(result.exitCode).toBe(1);
  expect(result.stderr.slice(1)).toEqual(['preflight prod: 1 problem']);
  return result.stderr[0];
}

describe('scripts/preflight-config.ts', () => {
  it('prints the settings preflight.py checks, as the config has them', async () => {
    expect(JSON.parse(readFileSync(await settingsFile(), 'utf8'))).toEqual({
      environment: 'prod',
      account: prod.account,
      regions: {
        'us-east-1': { availabilityZones: prod.regions['us-east-1'].availabilityZones },
        'eu-west-1': { availabilityZones: prod.regions['eu-west-1'].availabilityZones },
      },
      dns: { hostedZoneId: prod.dns.hostedZoneId, hostedZoneName: prod.dns.hostedZoneName, domainName: prod.dns.domainName },
    });
  }, TIMEOUT);

  it('refuses an unknown environment with one line', async () => {
    await expect(run(TSX, [path.join(ROOT, 'scripts', 'preflight-config.ts'), 'nope'], { cwd: ROOT, encoding: 'utf8' })).rejects.toMatchObject({
      code: 1,
      stderr: 'Unknown environment "nope": expected one of dev, test, prod\n',
    });
  }, TIMEOUT);
});

describe('preflight.py in an account that is ready', () => {
  let ready: Run, role: Run;
  beforeAll(async () => ({ ready, role } = (await group('account')) as { ready: Run; role: Run }), TIMEOUT);

  it('passes, printing the AZ IDs the names map to and the name servers the parent domain must delegate to', () => {
    expect(ready.exitCode).toBe(0);
    expect(ready.stderr).toEqual([]);
    expect(ready.stdout).toEqual([
      "account 123456789012: the credentials' own",
      // moto's AZ IDs for these names; a real account maps them its own way.
      'us-east-1: us-east-1a = use1-az6, us-east-1b = use1-az1, us-east-1c = use1-az2 (AZ IDs: the same physical zone in every account)',
      'eu-west-1: eu-west-1a = euw1-az3, eu-west-1b = euw1-az1, eu-west-1c = euw1-az2 (AZ IDs: the same physical zone in every account)',
      expect.stringMatching(new RegExp(`^hosted zone \\w+ \\(${prod.dns.hostedZoneName}\\): public, holds ${prod.dns.domainName}$`)),
      `name servers of ${prod.dns.hostedZoneName}: ${ready.nameServers!.join(', ')}. ACM validates the certificates only once the parent domain delegates ${prod.dns.hostedZoneName} to exactly these (NS records in the parent zone)`,
      'preflight prod: ready',
    ]);
  });

  it('calls only read actions: the identity, the AZs of both regions, the zone and its apex NS record', () => {
    expect(ready.calls.map((c) => [c.call, c.region])).toEqual([
      ['sts:GetCallerIdentity', 'us-east-1'],
      ['ec2:DescribeAvailabilityZones', 'us-east-1'],
      ['ec2:DescribeAvailabilityZones', 'eu-west-1'],
      // Route 53's API is global: botocore names the region of its client so.
      ['route53:GetHostedZone', 'aws-global'],
      ['route53:ListResourceRecordSets', 'aws-global'],
    ]);
    expect(ready.calls.filter((c) => c.assumed)).toEqual([]);
  });

  it('with --role-arn, assumes the role and makes every check with its credentials', () => {
    expect(role.exitCode).toBe(0);
    expect(role.calls.map((c) => [c.call, c.assumed])).toEqual([
      ['sts:AssumeRole', false],
      ...ready.calls.map((c) => [c.call, true]),
    ]);
  });
});

describe('preflight.py refuses, with one line naming the setting and what to do', () => {
  it('credentials of another account, before any other check', async () => {
    const { wrongAccount, fromEnv } = (await group('account')) as Record<string, Run>;
    // wrongAccount's settings name 111111111111; fromEnv (--env prod) reads prod's own account.
    for (const [result, account] of [[wrongAccount, '111111111111'], [fromEnv, prod.account]] as const) {
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toEqual([`prod: account: is ${account} but the credentials are for 123456789012; use credentials for the environment's own account, or set account`]);
      expect(result.calls.map((c) => c.call)).toEqual(['sts:GetCallerIdentity']);
    }
  }, TIMEOUT);

  it('an AZ name the region does not have in this account', async () => {
    const { wrongName, notInRegion } = (await group('zones')) as Record<string, Run>;
    expect(problem(wrongName)).toBe(
      'prod: regions.us-east-1.availabilityZones: us-east-1g is not an Availability Zone of us-east-1 in this account; choose from us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f',
    );
    expect(problem(notInRegion)).toBe(
      'prod: regions.eu-west-1.availabilityZones: eu-west-1d is not an Availability Zone of eu-west-1 in this account; choose from eu-west-1a, eu-west-1b, eu-west-1c',
    );
  }, TIMEOUT);

  it('an AZ that is not available', async () => {
    const { impaired } = (await group('zones')) as Record<string, Run>;
    expect(problem(impaired)).toBe('prod: regions.eu-west-1.availabilityZones: eu-west-1b is impaired, not available; choose from eu-west-1a, eu-west-1c');
  }, TIMEOUT);

  it('a private hosted zone', async () => {
    const { private: privateZone } = (await group('hosted-zone')) as Record<string, Run>;
    expect(problem(privateZone)).toMatch(
      new RegExp(`^prod: dns\\.hostedZoneId: \\w+ \\(${prod.dns.hostedZoneName}\\) is a private hosted zone; ACM validation and the failover records need a public zone: set a public zone's id$`),
    );
  }, TIMEOUT);

  it('a zone whose name is not dns.hostedZoneName', async () => {
    const { nameMismatch } = (await group('hosted-zone')) as Record<string, Run>;
    expect(problem(nameMismatch)).toMatch(
      new RegExp(`^prod: dns\\.hostedZoneName: is ${prod.dns.hostedZoneName} but hosted zone \\w+ is named app\\.${prod.dns.hostedZoneName}; set the zone's name or the id of the zone named ${prod.dns.hostedZoneName}$`),
    );
  }, TIMEOUT);

  it('a zone id the account does not have', async () => {
    const { missing } = (await group('hosted-zone')) as Record<string, Run>;
    expect(problem(missing)).toBe(
      `prod: dns.hostedZoneId: no hosted zone Z0123456789MISSING in account 123456789012; create the public zone ${prod.dns.hostedZoneName} or set the id of the one you have`,
    );
  }, TIMEOUT);

  it('an application name outside the zone', async () => {
    const { domainOutside } = (await group('hosted-zone')) as Record<string, Run>;
    expect(problem(domainOutside)).toMatch(new RegExp(`^prod: dns\\.domainName: app\\.example\\.net is not inside hosted zone \\w+ \\(${prod.dns.hostedZoneName}\\); choose a name in the zone$`));
  }, TIMEOUT);

  it("an apex NS record that no longer lists the zone's own name servers", async () => {
    const { apexNsReplaced } = (await group('hosted-zone')) as Record<string, Run>;
    expect(problem(apexNsReplaced)).toMatch(
      new RegExp(`^prod: dns\\.hostedZoneId: the NS record of ${prod.dns.hostedZoneName} in zone \\w+ lists ns1\\.previous-dns\\.example\\.net, not the zone's name servers ${apexNsReplaced.nameServers!.join(', ')}; set it back to them$`),
    );
  }, TIMEOUT);
});

describe('preflight.py --check-delegation', () => {
  let results: Record<string, any>;
  beforeAll(async () => (results = await group('delegation')), TIMEOUT);
  const servers = () => (results.nameServers as string[]).join(', ');

  it("asks the resolver for the zone's NS records and passes when it answers the hosted zone's name servers", () => {
    expect(results.delegated.asked).toEqual([{ name: prod.dns.hostedZoneName, type: 2 }]);
    expect(results.delegated.exitCode).toBe(0);
    expect(results.delegated.stdout).toContainEqual(expect.stringMatching(new RegExp(`^delegation of ${prod.dns.hostedZoneName}: public DNS \\(resolver 127\\.0\\.0\\.1:\\d+\\) answers the hosted zone's name servers$`)));
  });

  it('fails when public DNS does not know the zone: the parent does not delegate it', () => {
    expect(problem(results.notDelegated)).toBe(
      `prod: dns.hostedZoneName: public DNS does not know ${prod.dns.hostedZoneName} (NXDOMAIN): the parent domain does not delegate it; add NS records for ${prod.dns.hostedZoneName} in the parent zone: ${servers()}`,
    );
  });

  it('fails when the parent delegates to other name servers (a name compressed in the answer read too)', () => {
    expect(problem(results.delegatedElsewhere)).toBe(
      `prod: dns.hostedZoneName: public DNS answers name servers ns1.${prod.dns.hostedZoneName}, ns2.previous-dns.example.net for ${prod.dns.hostedZoneName}, not the hosted zone's ${servers()}; make the parent zone delegate to the hosted zone's servers`,
    );
  });
});
