import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

// Runs lib/lambda/credentials_rotation.py against AWS as moto serves it (botocore validates every call
// against the service model; no call is stubbed), with Secrets Manager's part played by
// test/support/moto_credentials_rotation.py: RotateSecret records the token as a pending version
// without a value, then each of the four steps is one invocation, up to the first that fails; a
// RotateSecret the function makes is run the same way. The runner prints, per scenario, each
// invocation's outcome, the calls it made and the state of both regions (secrets, master passwords).
const RUNNER = path.join(__dirname, 'support', 'moto_credentials_rotation.py');
const SCENARIOS = ['as-created', 'after-switch', 'founding-deploy', 'peer-error', 'replica-named-writer', 'two-writers', 'still-applying', 'create-twice', 'refused'] as const;
type Scenario = (typeof SCENARIOS)[number];
// Importing moto and boto3 costs a process more than all its scenarios together: one process per core, each
// running its share of the scenarios (a second or two each).
const PROCESSES = Math.min(os.availableParallelism(), SCENARIOS.length);
const SCENARIO_TIMEOUT = 60_000;

const ACCOUNT = '123456789012'; // moto's
const INITIAL = 'initial-password-of-the-first-writer';
const SECRET = { 'us-east-1': 'prod-data-us-east-1-credentials', 'eu-west-1': 'prod-data-eu-west-1-credentials' };
const NOT_WRITER = ['not the writer: nothing to set', 'not the writer: nothing to wait for', { finished: true }];

interface Call {
  call: string;
  params: Record<string, any>;
}
interface Step {
  step: string;
  result?: { step: string; writer: boolean; result: any };
  error?: string;
  calls: Call[];
  log: string[];
  slept?: number;
}
interface Rotation {
  region: 'us-east-1' | 'eu-west-1';
  token: string;
  steps: Step[];
}
interface SecretState {
  versions: Record<string, string[]>;
  rotationEnabled: boolean;
  current: Record<string, any>;
  pending?: Record<string, any> | null;
  deleted?: true;
}
interface State {
  secrets: Record<'us-east-1' | 'eu-west-1', SecretState | null>;
  instances: Record<string, { password: string; status: string }>;
}

let outputs: Promise<Map<string, Record<string, any>>> | undefined;
/** The runner's processes, started once, whichever test asks first; each prints a line per scenario. */
function scenario(name: Scenario): Promise<Record<string, any>> {
  outputs ??= Promise.all(
    Array.from({ length: PROCESSES }, (_, i) =>
      promisify(execFile)('python3', [RUNNER, ...SCENARIOS.filter((_s, n) => n % PROCESSES === i)], {
        env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' },
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      }),
    ),
  ).then((done) => new Map(done.flatMap(({ stdout }) => stdout.trim().split('\n').map((line) => JSON.parse(line) as { scenario: string; out: Record<string, any> })).map((s) => [s.scenario, s.out])));
  // Whoever awaits it sees a failure; nobody else should.
  outputs.catch(() => undefined);
  return outputs.then((all) => all.get(name)!);
}
beforeAll(() => SCENARIOS.forEach(scenario));

/** What each step returned (its `result`), or its error. */
const results = (rotation: Rotation) => rotation.steps.map((s) => (s.error !== undefined ? s.error : s.result!.result));
/** The calls that may change something: everything but Get*, Describe* and List*, in order. */
const writes = (...steps: Step[]) => steps.flatMap((s) => s.calls.map((c) => c.call)).filter((name) => !/:(Get|Describe|List)/.test(name));
const callsTo = (step: Step, name: string) => step.calls.filter((c) => c.call === name).map((c) => c.params);
const step = (rotation: Rotation, name: string) => rotation.steps.find((s) => s.step === name)!;
const password = (state: State, region: 'us-east-1' | 'eu-west-1') => state.secrets[region]!.current.password as string;
const stagesOf = (state: State, region: 'us-east-1' | 'eu-west-1', token: string) => state.secrets[region]!.versions[token];

describe('as created: us-east-1 holds the writer, eu-west-1 its replica', () => {
  let before: State, after: State, us: Rotation, eu: Rotation, rotations: Rotation[];
  beforeAll(async () => {
    const out = await scenario('as-created');
    ({ before, after, rotations } = out);
    [us, eu] = rotations;
  }, SCENARIO_TIMEOUT);

  it('rotating us-east-1 runs as its writer: a new password, set on its instance, applied, made current', () => {
    expect(us.region).toBe('us-east-1');
    expect(us.steps.map((s) => s.result?.writer)).toEqual([true, true, true, true]);
    expect(results(us)).toEqual(['generated', 'set', 'applied', { finished: true, peer: 'eu-west-1/prod-data-eu-west-1-credentials rotating' }]);
    const generated = password(after, 'us-east-1');
    expect(callsTo(step(us, 'createSecret'), 'secretsmanager:GetRandomPassword')).toEqual([{ PasswordLength: 32, ExcludeCharacters: `/'"@ \\` }]);
    expect(callsTo(step(us, 'setSecret'), 'rds:ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'prod-data-us-east-1', MasterUserPassword: generated, ApplyImmediately: true }]);
    expect(after.instances['prod-data-us-east-1'].password).toBe(generated);
  });

  it('generates 32 characters without any RDS refuses or a connection string would need to escape', () => {
    const generated = password(after, 'us-east-1');
    expect(generated).toHaveLength(32);
    expect(generated).not.toMatch(/[/'"@ \\]/);
    expect(generated).not.toBe(INITIAL);
  });

  it('keeps the secret’s other keys, and moves AWSCURRENT to the rotation’s version (the old one becomes AWSPREVIOUS)', () => {
    const [previous] = Object.keys(before.secrets['us-east-1']!.versions);
    expect(after.secrets['us-east-1']!.current).toEqual({ ...before.secrets['us-east-1']!.current, password: password(after, 'us-east-1') });
    expect(stagesOf(after, 'us-east-1', us.token)).toEqual(expect.arrayContaining(['AWSCURRENT']));
    expect(stagesOf(after, 'us-east-1', previous)).toEqual(['AWSPREVIOUS']);
    expect(callsTo(step(us, 'finishSecret'), 'secretsmanager:UpdateSecretVersionStage')).toEqual([
      { SecretId: expect.stringContaining(':secret:prod-data-us-east-1-credentials-'), VersionStage: 'AWSCURRENT', MoveToVersionId: us.token, RemoveFromVersionId: previous },
    ]);
  });

  it('asks eu-west-1 to rotate last, once the password is current in us-east-1; that is the rotation Secrets Manager runs next', () => {
    expect(writes(step(us, 'finishSecret'))).toEqual(['secretsmanager:UpdateSecretVersionStage', 'secretsmanager@eu-west-1:RotateSecret']);
    expect(callsTo(step(us, 'finishSecret'), 'secretsmanager@eu-west-1:RotateSecret')).toEqual([{ SecretId: SECRET['eu-west-1'], ClientRequestToken: eu.token }]);
    // The token says who started it: a region holding a writer itself refuses such a rotation.
    expect(eu.token).toMatch(/^copy-from-writer-[0-9a-f-]{36}$/);
    expect(rotations.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('eu-west-1’s rotation copies the login from us-east-1’s current version: both secrets hold the new password', () => {
    expect(eu.steps.map((s) => s.result?.writer)).toEqual([false, false, false, false]);
    expect(results(eu)).toEqual(['copied from us-east-1', ...NOT_WRITER]);
    expect(callsTo(step(eu, 'createSecret'), 'secretsmanager@us-east-1:GetSecretValue')).toEqual([{ SecretId: SECRET['us-east-1'], VersionStage: 'AWSCURRENT' }]);
    expect(after.secrets['eu-west-1']!.current).toEqual({ username: 'app', password: password(after, 'us-east-1') });
    expect(stagesOf(after, 'eu-west-1', eu.token)).toEqual(expect.arrayContaining(['AWSCURRENT']));
  });

  it('eu-west-1’s run writes only its own secret: no RDS write, no RotateSecret', () => {
    expect(writes(...eu.steps)).toEqual(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']);
  });

  it('decides at each step from AWS: the writer parameter, then (where it names a writer) the instance', () => {
    for (const s of us.steps) expect(s.calls.slice(0, 3).map((c) => c.call)).toEqual(['secretsmanager:DescribeSecret', 'ssm:GetParameter', 'rds:DescribeDBInstances']);
    for (const s of eu.steps) expect(s.calls.slice(0, 2).map((c) => c.call)).toEqual(['secretsmanager:DescribeSecret', 'ssm:GetParameter']);
    expect(eu.steps.flatMap((s) => s.calls).filter((c) => c.call.startsWith('rds'))).toEqual([]);
  });

  it('logs each step’s outcome as one JSON line, never a password', () => {
    for (const s of [...us.steps, ...eu.steps]) {
      expect(s.log.map((line) => JSON.parse(line))).toEqual([s.result]);
      expect(s.log.join('\n')).not.toContain(password(after, 'us-east-1'));
    }
  });
});

describe('after a switch: eu-west-1 holds the promoted writer, us-east-1 a replica of it', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('after-switch');
  }, SCENARIO_TIMEOUT);

  it('rotating eu-west-1 sets a new password on eu-west-1’s instance, and us-east-1 copies it', () => {
    const [eu, us] = out.writerRotations as Rotation[];
    const after = out.afterWriter as State;
    expect([eu.region, us.region]).toEqual(['eu-west-1', 'us-east-1']);
    expect(results(eu)).toEqual(['generated', 'set', 'applied', { finished: true, peer: 'us-east-1/prod-data-us-east-1-credentials rotating' }]);
    expect(callsTo(step(eu, 'setSecret'), 'rds:ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'prod-data-eu-west-1', MasterUserPassword: password(after, 'eu-west-1'), ApplyImmediately: true }]);
    expect(after.instances['prod-data-eu-west-1'].password).toBe(password(after, 'eu-west-1'));
    expect(password(after, 'eu-west-1')).not.toBe(INITIAL);
    expect(results(us)).toEqual(['copied from eu-west-1', ...NOT_WRITER]);
    expect(password(after, 'us-east-1')).toBe(password(after, 'eu-west-1'));
    expect(writes(...us.steps)).toEqual(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']);
  });

  it('us-east-1, whose parameter is "none", does not ask RDS about its replica', () => {
    for (const rotation of [...out.writerRotations, ...out.aloneRotations] as Rotation[]) {
      if (rotation.region === 'us-east-1') expect(rotation.steps.flatMap((s) => s.calls).filter((c) => c.call.startsWith('rds'))).toEqual([]);
    }
  });

  it('rotating us-east-1 alone only copies: no password changes, nothing asked of eu-west-1 but its current login', () => {
    const [us] = out.aloneRotations as Rotation[];
    expect(out.aloneRotations).toHaveLength(1);
    expect(results(us)).toEqual(['copied from eu-west-1', ...NOT_WRITER]);
    expect(writes(...us.steps)).toEqual(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']);
    expect(us.steps.flatMap((s) => s.calls).filter((c) => c.call.includes('@'))).toEqual([
      { call: 'secretsmanager@eu-west-1:GetSecretValue', params: { SecretId: SECRET['eu-west-1'], VersionStage: 'AWSCURRENT' } },
    ]);
    expect(password(out.afterAlone, 'us-east-1')).toBe(password(out.afterWriter, 'eu-west-1'));
    expect(stagesOf(out.afterAlone, 'us-east-1', us.token)).toEqual(expect.arrayContaining(['AWSCURRENT']));
    expect(out.afterAlone.secrets['eu-west-1']).toEqual(out.afterWriter.secrets['eu-west-1']);
    expect(out.afterAlone.instances).toEqual(out.afterWriter.instances);
  });
});

describe('the founding deploy: the first rotation runs before the other region’s secret exists', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('founding-deploy');
  }, SCENARIO_TIMEOUT);

  it('the writer’s rotation finishes, saying the other region’s secret does not exist yet', () => {
    const [us] = out.foundingRotations as Rotation[];
    expect(out.foundingRotations).toHaveLength(1);
    expect(results(us)).toEqual(['generated', 'set', 'applied', { finished: true, peer: 'eu-west-1/prod-data-eu-west-1-credentials does not exist yet' }]);
    expect(out.afterFounding.secrets['eu-west-1']).toBeNull();
    expect(out.afterFounding.secrets['us-east-1'].rotationEnabled).toBe(true);
    expect(out.afterFounding.instances['prod-data-us-east-1'].password).toBe(password(out.afterFounding, 'us-east-1'));
  });

  it('the standby’s first rotation replaces the password its secret was created with by the writer’s, and asks nothing back', () => {
    const [eu] = out.standbyRotations as Rotation[];
    expect(out.standbyRotations).toHaveLength(1);
    expect(results(eu)).toEqual(['copied from us-east-1', ...NOT_WRITER]);
    expect(out.afterStandby.secrets['eu-west-1'].current).toEqual({ username: 'app', password: password(out.afterFounding, 'us-east-1') });
    expect(out.afterStandby.secrets['us-east-1']).toEqual(out.afterFounding.secrets['us-east-1']);
  });
});

describe('the other region answers RotateSecret with an error', () => {
  let out: Record<string, any>, failed: Rotation;
  beforeAll(async () => {
    out = await scenario('peer-error');
    [failed] = out.failedRotations;
  }, SCENARIO_TIMEOUT);

  it('finishSecret fails, naming the command that asks the other region again', () => {
    expect(out.failedRotations).toHaveLength(1);
    const finish = step(failed, 'finishSecret');
    expect(finish.error).toMatch(/^RuntimeError: the new password is current in this region, but eu-west-1\/prod-data-eu-west-1-credentials was not told to copy it \(.*InvalidRequestException.*marked deleted.*\)/);
    expect(finish.error).toMatch(/; once eu-west-1 answers: aws secretsmanager rotate-secret --secret-id prod-data-eu-west-1-credentials --region eu-west-1$/);
  });

  it('the new password is nevertheless current in us-east-1 (and on its instance); eu-west-1 is untouched', () => {
    const after = out.afterFailure as State;
    expect(writes(step(failed, 'finishSecret'))).toEqual(['secretsmanager:UpdateSecretVersionStage', 'secretsmanager@eu-west-1:RotateSecret']);
    expect(stagesOf(after, 'us-east-1', failed.token)).toEqual(expect.arrayContaining(['AWSCURRENT']));
    expect(password(after, 'us-east-1')).not.toBe(INITIAL);
    expect(after.instances['prod-data-us-east-1'].password).toBe(password(after, 'us-east-1'));
    expect(after.secrets['eu-west-1']).toMatchObject({ deleted: true });
    expect(Object.values(after.secrets['eu-west-1']!.versions)).toEqual([['AWSCURRENT']]);
  });

  it('finishSecret run again with the same token, once eu-west-1 answers, only asks it again; its rotation then copies', () => {
    const again = out.finishAgain as Step;
    expect(again.result).toEqual({ step: 'finishSecret', writer: true, result: { finished: true, peer: 'eu-west-1/prod-data-eu-west-1-credentials rotating' } });
    expect(writes(again)).toEqual(['secretsmanager@eu-west-1:RotateSecret']);
    const [eu] = out.followingRotations as Rotation[];
    expect(results(eu)).toEqual(['copied from us-east-1', ...NOT_WRITER]);
    expect(out.afterRetry.secrets['us-east-1']).toEqual(out.afterFailure.secrets['us-east-1']);
    expect(password(out.afterRetry, 'eu-west-1')).toBe(password(out.afterFailure, 'us-east-1'));
  });
});

describe('the writer parameter names a writer, but the local instance is a replica', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('replica-named-writer');
  }, SCENARIO_TIMEOUT);

  it('every step refuses, naming the parameter and the replica’s source', () => {
    expect(out.steps.map((s: Step) => s.error)).toEqual(
      Array(4).fill(
        'RuntimeError: prod-data-us-east-1-writer-endpoint names a writer (prod-data-us-east-1.aaaaaaaaaa.us-east-1.rds.amazonaws.com) but prod-data-us-east-1-g1 is a replica of ' +
          `arn:aws:rds:eu-west-1:${ACCOUNT}:db:prod-data-eu-west-1; fix the parameter first`,
      ),
    );
  });

  it('writes nothing: the pending version keeps no value, the passwords stay', () => {
    expect(writes(...out.steps)).toEqual([]);
    expect(out.after.secrets['us-east-1'].current).toEqual(out.before.secrets['us-east-1'].current);
    expect(out.after.secrets['us-east-1'].versions[out.token]).toEqual(['AWSPENDING']);
    expect(out.after.secrets['us-east-1'].pending).toBeNull();
    expect(out.after.secrets['eu-west-1']).toEqual(out.before.secrets['eu-west-1']);
    expect(out.after.instances).toEqual(out.before.instances);
  });
});

describe('two writers: both regions name a standalone writer (an old primary back unfenced)', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('two-writers');
  }, SCENARIO_TIMEOUT);

  it('the other writer refuses the copy its peer asked for, so the rotations do not start each other without end', () => {
    const [us, eu, ...more] = out.rotations as Rotation[];
    expect(results(us)).toEqual(['generated', 'set', 'applied', { finished: true, peer: 'eu-west-1/prod-data-eu-west-1-credentials rotating' }]);
    expect(eu.region).toBe('eu-west-1');
    expect(eu.steps.map((s) => s.error)).toEqual([expect.stringMatching(/^RuntimeError: .* holds a writer too: two writers; fence the one that must stop/)]);
    expect(writes(...eu.steps)).toEqual([]);
    expect(more).toEqual([]);
  });

  it('leaves eu-west-1’s secret and instance as they were', () => {
    expect(out.after.secrets['eu-west-1'].current).toEqual(out.before.secrets['eu-west-1'].current);
    expect(out.after.instances['prod-data-eu-west-1']).toEqual(out.before.instances['prod-data-eu-west-1']);
  });
});

describe('RDS still applying the password', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('still-applying');
  }, SCENARIO_TIMEOUT);

  it('testSecret looks every 10 s and fails with NotApplied when the time left is too short to look again', () => {
    const [, , test] = out.firstSteps as Step[];
    expect(test.error).toBe('NotApplied: prod-data-us-east-1 is resetting-master-credentials with [] pending');
    // 60 s left: looks at 60, 50, 40, 30 and 20 s left, after the look at whether the region holds the writer.
    expect(test.slept).toBe(40);
    expect(callsTo(test, 'rds:DescribeDBInstances')).toHaveLength(6);
    expect(writes(test)).toEqual([]);
  });

  it('meanwhile the new password is only pending: AWSCURRENT keeps the old one in both regions, and nothing asks eu-west-1', () => {
    const state = out.whileApplying as State;
    expect(state.secrets['us-east-1']!.versions[out.token]).toEqual(['AWSPENDING']);
    expect(password(state, 'us-east-1')).toBe(INITIAL);
    expect(password(state, 'eu-west-1')).toBe(INITIAL);
    expect(state.instances['prod-data-us-east-1']).toEqual({ password: state.secrets['us-east-1']!.pending!.password, status: 'resetting-master-credentials' });
    expect(writes(...out.firstSteps)).toEqual(['secretsmanager:PutSecretValue', 'rds:ModifyDBInstance']);
  });

  it('a later run of the rotation with the same token keeps the pending password, waits until RDS has applied it, and finishes', () => {
    const [us, eu] = out.retriedRotations as Rotation[];
    const pending = out.whileApplying.secrets['us-east-1'].pending.password;
    expect(us.token).toBe(out.token);
    expect(results(us)).toEqual(['exists', 'set', 'applied', { finished: true, peer: 'eu-west-1/prod-data-eu-west-1-credentials rotating' }]);
    expect(callsTo(step(us, 'setSecret'), 'rds:ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'prod-data-us-east-1', MasterUserPassword: pending, ApplyImmediately: true }]);
    expect(step(us, 'testSecret').slept).toBe(20);
    expect(results(eu)).toEqual(['copied from us-east-1', ...NOT_WRITER]);
    expect(password(out.after, 'us-east-1')).toBe(pending);
    expect(password(out.after, 'eu-west-1')).toBe(pending);
    expect(out.after.instances['prod-data-us-east-1']).toEqual({ password: pending, status: 'available' });
  });
});

describe('createSecret run twice with one token', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('create-twice');
  }, SCENARIO_TIMEOUT);

  it('keeps the one pending value the first run generated', () => {
    expect(out.first.result.result).toBe('generated');
    expect(out.second.result.result).toBe('exists');
    expect(writes(out.second)).toEqual([]);
    expect(callsTo(out.second, 'secretsmanager:GetRandomPassword')).toEqual([]);
    expect(out.afterSecond).toEqual(out.afterFirst);
    const pendingVersions = Object.values(out.afterSecond.secrets['us-east-1'].versions as Record<string, string[]>).filter((stages) => stages.includes('AWSPENDING'));
    expect(pendingVersions).toEqual([['AWSPENDING']]);
    expect(out.afterSecond.secrets['us-east-1'].pending.password).not.toBe(INITIAL);
  });
});

describe('invocations outside a rotation are refused, and change nothing', () => {
  let out: Record<string, any>;
  beforeAll(async () => {
    out = await scenario('refused');
  }, SCENARIO_TIMEOUT);

  it.each([
    ['rotationDisabled', /^ValueError: arn:aws:secretsmanager:us-east-1:\d+:secret:prod-data-us-east-1-credentials-\w+ does not have rotation enabled$/],
    ['unknownToken', /^ValueError: arn:aws:secretsmanager:us-east-1:\d+:secret:prod-data-us-east-1-credentials-\w+ has no version [0-9a-f-]{36}$/],
    ['previousToken', /^ValueError: version [0-9a-f-]{36} of arn:aws:secretsmanager:us-east-1:\d+:secret:prod-data-us-east-1-credentials-\w+ is neither pending nor current$/],
  ])('%s', (name, error) => {
    const { run, before, after } = out[name];
    expect(run.error).toMatch(error);
    expect(run.calls.map((c: Call) => c.call)).toEqual(['secretsmanager:DescribeSecret']);
    expect(after).toEqual(before);
  });

  it('the cases are what they say: rotation cancelled, a token the secret never had, the version AWSPREVIOUS labels', () => {
    expect(out.rotationDisabled.before.secrets['us-east-1'].rotationEnabled).toBe(false);
    expect(out.previousToken.before.secrets['us-east-1'].versions[out.previousToken.token]).toEqual(['AWSPREVIOUS']);
  });
});

describe('the runner', () => {
  it('serves every call from moto, and the function calls no more than its role allows', async () => {
    const steps: Step[] = [];
    const collect = (value: any): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        if (Array.isArray(value.calls)) steps.push(value);
        else Object.values(value).forEach(collect);
      }
    };
    collect(await Promise.all(SCENARIOS.map(scenario)));
    expect(steps.length).toBeGreaterThan(50);
    // lib/constructs/credentials-rotation.ts grants these and nothing else.
    expect([...new Set(steps.flatMap((s) => s.calls.map((c) => c.call)))].sort()).toEqual([
      'rds:DescribeDBInstances',
      'rds:ModifyDBInstance',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetRandomPassword',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager@eu-west-1:GetSecretValue',
      'secretsmanager@eu-west-1:RotateSecret',
      'secretsmanager@us-east-1:GetSecretValue',
      'secretsmanager@us-east-1:RotateSecret',
      'ssm:GetParameter',
    ]);
  }, SCENARIO_TIMEOUT);
});
