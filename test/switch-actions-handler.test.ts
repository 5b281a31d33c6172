import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

// Runs the handlers of lib/lambda/switch_actions.py against AWS as moto serves it (botocore validates
// every call against the service model), with botocore's Stubber only for what moto 5.2.1 lacks: AWS
// Backup jobs (answered from the jobs that ListBackupJobs' filters select), ARC Region switch
// GetPlanExecution, DB instance states moto never shows (it keeps instances "available" and applies
// changes at once), and writes that AWS refuses.
// test/support/moto_switch_actions.py builds each case's state and prints each run's outcome, the
// calls it made and the state after it.
const RUNNER = path.join(__dirname, 'support', 'moto_switch_actions.py');
const SCENARIOS = ['fence', 'await-replication', 'publish-writer', 'backup'] as const;
type Scenario = (typeof SCENARIOS)[number];
// The runner takes a few seconds per scenario; all four run at once.
const SCENARIO_TIMEOUT = 60_000;

const ACCOUNT = '123456789012'; // moto's
const WRITER_PARAMETER = { fence: 'prod-data-us-east-1-writer-endpoint', publish: 'prod-data-eu-west-1-writer-endpoint' };
const PRIMARY_ADDRESS = 'prod-data-us-east-1.aaaaaaaaaa.us-east-1.rds.amazonaws.com';

interface Call {
  call: string;
  params: Record<string, any>;
  stubbed?: true;
}
interface Run {
  result?: Record<string, any>;
  notReady?: string;
  error?: string;
  calls: Call[];
  unusedStubs?: string[];
  [more: string]: any;
}

const runs = new Map<Scenario, Promise<Record<string, any>>>();
/** One python invocation per scenario, started once, whichever test asks first. */
function scenario(name: Scenario): Promise<Record<string, any>> {
  if (!runs.has(name)) {
    const run = promisify(execFile)('python3', [RUNNER, name], {
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    }).then(({ stdout }) => JSON.parse(stdout) as Record<string, any>);
    // Whoever awaits it sees a failure; nobody else should.
    run.catch(() => undefined);
    runs.set(name, run);
  }
  return runs.get(name)!;
}
beforeAll(() => SCENARIOS.forEach(scenario));

const names = (run: Run) => run.calls.map((c) => c.call);
/** The calls that may change something: everything but Get*, Describe* and List*. */
const writes = (run: Run) => names(run).filter((name) => !/:(Get|Describe|List)/.test(name));
const callsTo = (run: Run, name: string) => run.calls.filter((c) => c.call === name).map((c) => c.params);

describe('fence: the region being deactivated stops taking writes', () => {
  // DB_INSTANCE_IDS lists every generation: g0 is gone, g1 is the standalone (stale) writer, g2 a read replica of the other region.
  const [GONE, WRITER, REPLICA] = ['prod-data-us-east-1', 'prod-data-us-east-1-g1', 'prod-data-us-east-1-g2'];
  let before: any, first: Run, second: Run, third: Run, foreign: Run, applying: Record<string, Run>;
  beforeAll(async () => {
    const out = await scenario('fence');
    before = out.threeRuns.before;
    [first, second, third] = out.threeRuns.runs;
    foreign = out.foreignParameterGroup;
    applying = out.stillApplying;
  }, SCENARIO_TIMEOUT);

  it('writes "none" into the writer parameter', () => {
    expect(before.writerParameter).toBe(`${WRITER}.aaaaaaaaaa.us-east-1.rds.amazonaws.com`);
    expect(callsTo(first, 'ssm:PutParameter')).toEqual([{ Name: WRITER_PARAMETER.fence, Value: 'none', Overwrite: true }]);
    expect(first.state.writerParameter).toBe('none');
  });

  it('sets default_transaction_read_only = 1, applied immediately, in the standalone writer’s own parameter group', () => {
    expect(before.instances[WRITER]).toMatchObject({ parameterGroup: 'prod-data-us-east-1-databasesupportparameters-abc', userParameters: [] });
    expect(first.state.instances[WRITER].userParameters).toEqual([{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }]);
  });

  it('replaces the writer’s security groups by the fenced group alone, at once', () => {
    expect(before.instances[WRITER].securityGroups).toEqual(['database (active)']);
    expect(callsTo(first, 'rds:ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: WRITER, VpcSecurityGroupIds: [expect.stringMatching(/^sg-/)], ApplyImmediately: true }]);
    expect(first.state.instances[WRITER].securityGroups).toEqual(['fenced (active)']);
  });

  it('is not ready on the run that requests the fence, and returns on the next run, which confirms it in force', () => {
    expect(first.notReady).toBe(`fence requested, not yet in force on ${WRITER}: {"${WRITER}": ["read-only", "security-group"]}`);
    expect(second.result).toEqual({ action: 'fence', writer: 'none', parameterChanged: false, fenced: [WRITER] });
  });

  it('stays not ready, asking for nothing again, while RDS still applies the parameter group or swaps the security groups', () => {
    expect(applying.requested.notReady).toMatch(/^fence requested/);
    for (const run of [applying.parameterGroupApplying, applying.securityGroupsSwapping]) {
      expect(run.notReady).toBe(`fence requested, not yet in force on ${WRITER}: {"${WRITER}": []}`);
      expect(writes(run)).toEqual([]);
    }
    expect(applying.applied.result).toEqual({ action: 'fence', writer: 'none', parameterChanged: false, fenced: [WRITER] });
  });

  it('changes nothing once the fence is in force: no write call, the same state', () => {
    expect(writes(first)).toEqual(['ssm:PutParameter', 'rds:ModifyDBParameterGroup', 'rds:ModifyDBInstance']);
    for (const rerun of [second, third]) {
      expect(writes(rerun)).toEqual([]);
      expect(rerun.state).toEqual(first.state);
    }
    expect(third.result).toEqual(second.result);
  });

  it('leaves a read replica untouched', () => {
    for (const run of [first, second, third]) {
      expect(run.state.instances[REPLICA]).toEqual(before.instances[REPLICA]);
      expect(run.calls.filter((c) => JSON.stringify(c.params).includes(REPLICA) || JSON.stringify(c.params).includes(before.instances[REPLICA].parameterGroup))).toEqual([
        { call: 'rds:DescribeDBInstances', params: { DBInstanceIdentifier: REPLICA } },
      ]);
    }
    expect(before.instances[REPLICA]).toEqual({ securityGroups: ['database (active)'], parameterGroup: 'prod-data-us-east-1-databasesupportparameters-def', userParameters: [] });
  });

  it('skips an instance that no longer exists (a previous generation)', () => {
    expect(first.calls.filter((c) => c.params.DBInstanceIdentifier === GONE)).toEqual([{ call: 'rds:DescribeDBInstances', params: { DBInstanceIdentifier: GONE } }]);
    expect(second.result?.fenced).toEqual([WRITER]);
  });

  it('refuses an instance whose parameter group is not one of this stack’s, and changes nothing on it', () => {
    expect(foreign.error).toBe(
      `RuntimeError: ${WRITER} uses parameter group postgres16-made-by-hand, not one of this stack's (prod-data-us-east-1-*): fence it by hand (docs/disaster-recovery.md)`,
    );
    expect(writes(foreign)).toEqual(['ssm:PutParameter']);
    expect(foreign.state.instances[WRITER]).toEqual({ securityGroups: ['database (active)'], parameterGroup: 'postgres16-made-by-hand', userParameters: [] });
  });
});

describe('await-replication: before the promotion, the replica has received everything the fenced writer wrote', () => {
  const SOURCE = 'prod-data-us-east-1';
  const EVENT = { planArn: `arn:aws:arc-region-switch::${ACCOUNT}:plan/prod-dns-global-switch:abc123`, executionId: 'execution-1' };
  const minute = (run: Run, after: number) => new Date(Date.parse(run.fenceEnd) + after * 60_000).toISOString().replace('.000Z', '+00:00');
  // SETTLE_SECONDS is 30: the first minute that counts is the one that begins a minute after the fence step's end.
  const since = (run: Run) => new Date(Date.parse(run.fenceEnd) + 30_000).toISOString().replace('.000Z', '+00:00');
  const waiting = (run: Run, minima: string) => `us-east-1/${SOURCE} OldestReplicationSlotLag since ${since(run)}: ${minima}; waiting for a minute at 0`;
  let out: Record<string, Run>;
  beforeAll(async () => {
    out = (await scenario('await-replication')) as Record<string, Run>;
  }, SCENARIO_TIMEOUT);

  it('succeeds once the source’s OldestReplicationSlotLag reached 0 in a minute that began after the fence step’s end plus SETTLE_SECONDS', () => {
    const { caughtUp } = out;
    expect(caughtUp.result).toEqual({ action: 'await-replication', caughtUp: true, source: `us-east-1/${SOURCE}`, since: since(caughtUp), caughtUpAt: minute(caughtUp, 2) });
  });

  it('reads the minimum per minute of the source instance’s metric, in the source’s region', () => {
    expect(out.caughtUp.clients).toEqual(['rds', 'arc-region-switch', 'cloudwatch@us-east-1']);
    expect(callsTo(out.caughtUp, 'cloudwatch@us-east-1:GetMetricStatistics')).toEqual([
      {
        Namespace: 'AWS/RDS',
        MetricName: 'OldestReplicationSlotLag',
        Dimensions: [{ Name: 'DBInstanceIdentifier', Value: SOURCE }],
        StartTime: since(out.caughtUp),
        EndTime: expect.any(String),
        Period: 60,
        Statistics: ['Minimum'],
      },
    ]);
  });

  it('reads the fence step’s end from the execution the Lambda event names, following nextToken', () => {
    expect(callsTo(out.caughtUp, 'arc-region-switch:GetPlanExecution')).toEqual([EVENT, { ...EVENT, nextToken: 'page-2' }]);
  });

  it('waits while no minute since then reached 0 (zeros of the replica itself, of other instances or in this region do not count)', () => {
    expect(out.notYet.notReady).toBe(waiting(out.notYet, '[8192.0, 2048.0]'));
  });

  it('waits while the metric has no datapoint since then', () => {
    expect(out.noDatapoints.notReady).toBe(waiting(out.noDatapoints, '[]'));
  });

  it('does not count minutes at 0 from before the fence step ended, nor the one in the settle time', () => {
    expect(out.zeroOnlyBeforeFence.notReady).toBe(waiting(out.zeroOnlyBeforeFence, '[512.0]'));
    expect(out.zeroOnlyInSettleTime.notReady).toBe(waiting(out.zeroOnlyInSettleTime, '[512.0]'));
  });

  it('waits for SAMPLES minutes at 0', () => {
    expect(out.fewerZeroMinutesThanSamples.notReady).toBe(waiting(out.fewerZeroMinutesThanSamples, '[0.0, 512.0]'));
    expect(out.asManyZeroMinutesAsSamples.result).toMatchObject({ caughtUp: true, caughtUpAt: minute(out.asManyZeroMinutesAsSamples, 1) });
  });

  it.each(['fenceRunning', 'fenceFailed'])('fails, rather than waits, when the fence step has not completed (%s)', (name) => {
    expect(out[name].error).toBe('RuntimeError: step fence-deactivating-region of execution execution-1 has not completed: this step waits for what the fence froze');
    expect(out[name].clients).toEqual(['rds', 'arc-region-switch']);
  });

  it('succeeds at once, without asking ARC, when the local instance is no longer a replica', () => {
    expect(out.notAReplica.result).toEqual({ action: 'await-replication', caughtUp: true, reason: 'prod-data-eu-west-1 is not a replica: nothing to wait for' });
    expect(out.notAReplica.clients).toEqual(['rds']);
  });
});

describe('publish-writer: the promoted instance becomes the region’s writer', () => {
  const ADDRESS = 'prod-data-eu-west-1.aaaaaaaaaa.eu-west-1.rds.amazonaws.com';
  const SECRET = 'prod-data-eu-west-1-credentials';
  const LOGIN = { username: 'app', password: 'not-a-real-password' };
  let out: Record<string, { address: string; key: string; runs: Run[] }>;
  let first: Run, second: Run;
  beforeAll(async () => {
    out = await scenario('publish-writer');
    [first, second] = out.promoted.runs;
  }, SCENARIO_TIMEOUT);

  it('waits while the instance is still a read replica, and changes nothing', () => {
    const [run] = out.stillReplica.runs;
    expect(run.notReady).toBe(`prod-data-eu-west-1 is still a read replica of arn:aws:rds:us-east-1:${ACCOUNT}:db:prod-data-us-east-1`);
    expect(names(run)).toEqual(['rds:DescribeDBInstances']);
    expect(run.state).toEqual({
      writerParameter: 'none',
      secret: { KmsKeyId: out.stillReplica.key, value: LOGIN },
      otherSecret: { KmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:/), value: { ...LOGIN, host: PRIMARY_ADDRESS } },
    });
  });

  it.each(['backing-up', 'modifying', 'configuring-enhanced-monitoring'])('publishes an instance that is %s: it already takes writes', (status) => {
    const [run] = out[status].runs;
    expect(run.result).toMatchObject({ writer: ADDRESS, parameterChanged: true, secretChanged: true });
    expect(run.state.writerParameter).toBe(ADDRESS);
  });

  it.each(['rebooting', 'storage-full'])('waits while the instance is %s, and changes nothing', (status) => {
    const [run] = out[status].runs;
    expect(run.notReady).toBe(`prod-data-eu-west-1 is ${status}, not yet taking writes`);
    expect(names(run)).toEqual(['rds:DescribeDBInstances']);
    expect(run.state.writerParameter).toBe('none');
  });

  it('publishes the instance’s endpoint in the writer parameter', () => {
    expect(out.promoted.address).toBe(ADDRESS);
    expect(callsTo(first, 'ssm:PutParameter')).toEqual([{ Name: WRITER_PARAMETER.publish, Value: ADDRESS, Overwrite: true }]);
    expect(first.state.writerParameter).toBe(ADDRESS);
  });

  it('writes this region’s own secret, still encrypted with this region’s key, and nothing in the other region', () => {
    expect(names(first).filter((name) => name.startsWith('secretsmanager'))).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']);
    expect(callsTo(first, 'secretsmanager:PutSecretValue')).toEqual([{ SecretId: SECRET, SecretString: expect.any(String), ClientRequestToken: expect.any(String) }]);
    expect(first.state.secret.KmsKeyId).toBe(out.promoted.key);
    expect(out.promoted.key).toMatch(/^arn:aws:kms:eu-west-1:/);
    expect(first.calls.filter((c) => c.call.includes('@'))).toEqual([]);
    expect(first.state.otherSecret.value).toEqual({ ...LOGIN, host: PRIMARY_ADDRESS });
  });

  it('sets the secret’s host to the instance, keeping the login the rotation copied', () => {
    expect(first.state.secret.value).toEqual({ ...LOGIN, host: ADDRESS });
    expect(first.result).toEqual({ action: 'publish-writer', writer: ADDRESS, parameterChanged: true, secretChanged: true });
  });

  it('fails the run when AWS refuses the parameter write, leaving the parameter and the secret as they were; the rerun publishes', () => {
    const [refused, rerun] = out.parameterRefused.runs;
    expect(refused.error).toBe('AccessDeniedException: An error occurred (AccessDeniedException) when calling the PutParameter operation: not authorized to perform PutParameter');
    expect(refused.result).toBeUndefined();
    expect(refused.state).toMatchObject({ writerParameter: 'none', secret: { value: LOGIN } });
    expect(rerun.result).toEqual({ action: 'publish-writer', writer: ADDRESS, parameterChanged: true, secretChanged: true });
  });

  it('fails the run when AWS refuses the secret write, after publishing the parameter; the rerun writes the secret only', () => {
    const [refused, rerun] = out.secretRefused.runs;
    expect(refused.error).toBe('ClientError: An error occurred (AccessDeniedException) when calling the PutSecretValue operation: not authorized to perform PutSecretValue');
    expect(refused.result).toBeUndefined();
    expect(refused.state).toMatchObject({ writerParameter: ADDRESS, secret: { value: LOGIN } });
    expect(rerun.result).toEqual({ action: 'publish-writer', writer: ADDRESS, parameterChanged: false, secretChanged: true });
    expect(rerun.state.secret.value).toEqual({ ...LOGIN, host: ADDRESS });
  });

  it('only reads on a second run', () => {
    expect(names(second)).toEqual(['rds:DescribeDBInstances', 'ssm:GetParameter', 'secretsmanager:GetSecretValue']);
    expect(second.result).toEqual({ action: 'publish-writer', writer: ADDRESS, parameterChanged: false, secretChanged: false });
    expect(second.state).toEqual(first.state);
  });
});

describe('backup: one on-demand backup of the promoted instance', () => {
  const VAULT = 'prod-data-eu-west-1-vault';
  const INSTANCE_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:db:prod-data-eu-west-1`;
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/prod-data-eu-west-1-backup`;
  let out: Record<string, Run>;
  beforeAll(async () => {
    out = (await scenario('backup')) as Record<string, Run>;
  }, SCENARIO_TIMEOUT);

  it('starts one job of the instance into this region’s vault, as the backup role', () => {
    expect(out.first.result).toEqual({ action: 'backup', backupJobId: 'job-1', started: true });
    expect(callsTo(out.first, 'backup:StartBackupJob')).toEqual([{ BackupVaultName: VAULT, ResourceArn: INSTANCE_ARN, IamRoleArn: ROLE, IdempotencyToken: expect.stringMatching(/^region-switch-\d{10}-0$/) }]);
  });

  it('looks for this instance’s jobs in this vault created in the last BACKUP_WINDOW_HOURS (12)', () => {
    const [listed] = callsTo(out.first, 'backup:ListBackupJobs');
    expect(listed).toEqual({ ByResourceArn: INSTANCE_ARN, ByBackupVaultName: VAULT, ByCreatedAfter: expect.any(String) });
    expect((Date.now() - Date.parse(listed.ByCreatedAfter)) / 3_600_000).toBeCloseTo(12, 1);
  });

  it.each(['Created', 'Pending', 'Running', 'Completed'])('starts nothing on a second run while that job is %s', (state) => {
    const run = out[`again${state}`];
    expect(run.result).toEqual({ action: 'backup', backupJobId: 'job-1', started: false });
    expect(names(run)).toEqual(['backup:ListBackupJobs']);
  });

  it('starts a new job when the only one of this instance in this vault is older than the window', () => {
    expect(out.beforeWindow.result).toEqual({ action: 'backup', backupJobId: 'job-1', started: true });
    expect(out.beforeWindow.calls[0].params.ByCreatedAfter).toEqual(expect.any(String));
  });

  it('starts a new job when the jobs in the window are another instance’s or in another vault', () => {
    expect(out.otherResource.result).toEqual({ action: 'backup', backupJobId: 'job-1', started: true });
  });

  it('starts a new job when the last one failed', () => {
    expect(out.afterFailed.result).toEqual({ action: 'backup', backupJobId: 'job-2', started: true });
    expect(names(out.afterFailed)).toEqual(['backup:ListBackupJobs', 'backup:StartBackupJob']);
    // The failed job's token would make AWS Backup answer "success" and start nothing.
    expect(callsTo(out.afterFailed, 'backup:StartBackupJob')[0].IdempotencyToken).not.toBe(callsTo(out.first, 'backup:StartBackupJob')[0].IdempotencyToken);
  });
});

describe('the runner', () => {
  it('answers only what moto lacks from stubs, and every stub was used', async () => {
    const all: Run[] = [];
    const collect = (value: any): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        if (Array.isArray(value.calls)) all.push(value);
        else Object.values(value).forEach(collect);
      }
    };
    collect(await Promise.all(SCENARIOS.map(scenario)));
    expect(all.length).toBeGreaterThan(20);
    expect(all.flatMap((run) => run.unusedStubs ?? [])).toEqual([]);
    const stubbed = new Set(all.flatMap((run) => run.calls.filter((c) => c.stubbed).map((c) => c.call)));
    const served = new Set(all.flatMap((run) => run.calls.filter((c) => !c.stubbed).map((c) => c.call)));
    expect([...stubbed].sort()).toEqual([
      'arc-region-switch:GetPlanExecution',
      'backup:ListBackupJobs',
      'backup:StartBackupJob',
      // Only where the instance must show a status moto never shows (it applies every change at once).
      'rds:DescribeDBInstances',
      // Only where AWS refuses the write (moto lets the handler write anything).
      'secretsmanager:PutSecretValue',
      'ssm:PutParameter',
    ]);
    expect([...served].sort()).toEqual([
      'cloudwatch@us-east-1:GetMetricStatistics',
      'rds:DescribeDBInstances',
      'rds:DescribeDBParameters',
      'rds:ModifyDBInstance',
      'rds:ModifyDBParameterGroup',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'ssm:GetParameter',
      'ssm:PutParameter',
    ]);
  }, SCENARIO_TIMEOUT);
});
