import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// Runs lib/lambda/switch_actions.py with python3 and a recording boto3 stand-in first on
// PYTHONPATH (test/support/fake-boto3), against a state file both runs share.
const FAKE = path.join(__dirname, 'support', 'fake-boto3');
const HANDLER_DIR = path.join(__dirname, '..', 'lib', 'lambda');

const PARAMETER = 'prod-data-eu-west-1-writer-endpoint';
const INSTANCE = 'prod-data-eu-west-1';
const INSTANCE_ARN = 'arn:aws:rds:eu-west-1:111111111111:db:prod-data-eu-west-1';
const SECRET = 'prod-data-us-east-1-credentials';
const VAULT = 'prod-data-eu-west-1-vault';
const ADDRESS = 'prod-data-eu-west-1.abc.eu-west-1.rds.amazonaws.com';

interface Call {
  service: string;
  operation: string;
  args: Record<string, unknown>;
}
interface State {
  parameters: Record<string, string>;
  instances: Record<string, Record<string, unknown>>;
  secrets: Record<string, { PrimaryRegion?: string; SecretString: string }>;
  backupJobs: Array<Record<string, string>>;
  calls: Call[];
}

function world(overrides: Partial<State> = {}): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'switch-actions-')), 'state.json');
  const state: State = {
    parameters: { [PARAMETER]: 'none' },
    instances: { [INSTANCE]: { DBInstanceIdentifier: INSTANCE, DBInstanceStatus: 'available', Endpoint: { Address: ADDRESS } } },
    secrets: { [SECRET]: { PrimaryRegion: 'us-east-1', SecretString: JSON.stringify({ username: 'app', password: 'p', host: 'prod-data-us-east-1.abc.us-east-1.rds.amazonaws.com' }) } },
    backupJobs: [],
    calls: [],
    ...overrides,
  };
  writeFileSync(file, JSON.stringify(state));
  return file;
}

const read = (file: string): State => JSON.parse(readFileSync(file, 'utf8'));

/** Runs one handler; returns its answer and the calls it made. */
function run(file: string, handler: string, env: Record<string, string>) {
  const before = read(file).calls.length;
  const out = execFileSync('python3', [path.join(FAKE, 'run_action.py'), handler], {
    env: { PATH: process.env.PATH, PYTHONPATH: [FAKE, HANDLER_DIR].join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1', FAKE_BOTO3_STATE: file, AWS_REGION: 'eu-west-1', ...env },
    encoding: 'utf8',
  });
  const calls = read(file).calls.slice(before);
  return { answer: JSON.parse(out), calls: calls.map((c) => `${c.service}:${c.operation}`), raw: calls };
}

describe('fence', () => {
  const env = { WRITER_PARAMETER: 'prod-data-us-east-1-writer-endpoint' };
  const file = world({ parameters: { 'prod-data-us-east-1-writer-endpoint': 'prod-data-us-east-1.abc.us-east-1.rds.amazonaws.com' } });

  it('writes "none" into the writer parameter of the region being deactivated', () => {
    const { calls, raw } = run(file, 'fence_handler', env);
    expect(calls).toEqual(['ssm:get_parameter', 'ssm:put_parameter']);
    expect(raw[1].args).toEqual({ Name: 'prod-data-us-east-1-writer-endpoint', Value: 'none', Overwrite: true });
  });

  it('only reads on a second run', () => {
    const { answer, calls } = run(file, 'fence_handler', env);
    expect(calls).toEqual(['ssm:get_parameter']);
    expect(answer.result.changed).toBe(false);
  });
});

describe('publish-writer', () => {
  const env = { WRITER_PARAMETER: PARAMETER, DB_INSTANCE_ID: INSTANCE, SECRET_ID: SECRET };

  it('waits (fails for a retry) while the instance is still a replica, and changes nothing', () => {
    const file = world({
      instances: { [INSTANCE]: { DBInstanceIdentifier: INSTANCE, DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:111111111111:db:prod-data-us-east-1', Endpoint: { Address: ADDRESS } } },
    });
    const { answer, calls } = run(file, 'publish_writer_handler', env);
    expect(answer.notReady).toMatch(/still a read replica/);
    expect(calls).toEqual(['rds:describe_db_instances']);
  });

  it('waits while the promoted instance is not yet available', () => {
    const file = world({ instances: { [INSTANCE]: { DBInstanceIdentifier: INSTANCE, DBInstanceStatus: 'modifying', Endpoint: { Address: ADDRESS } } } });
    expect(run(file, 'publish_writer_handler', env).answer.notReady).toMatch(/modifying/);
  });

  const file = world();
  it('publishes the standalone instance: parameter, then the secret made writable here, then its host', () => {
    const { calls, raw } = run(file, 'publish_writer_handler', env);
    expect(calls).toEqual([
      'rds:describe_db_instances',
      'ssm:get_parameter',
      'ssm:put_parameter',
      'secretsmanager:describe_secret',
      'secretsmanager:stop_replication_to_replica',
      'secretsmanager:get_secret_value',
      'secretsmanager:put_secret_value',
    ]);
    expect(raw[2].args).toEqual({ Name: PARAMETER, Value: ADDRESS, Overwrite: true });
    expect(JSON.parse(raw[6].args.SecretString as string)).toEqual({ username: 'app', password: 'p', host: ADDRESS });
  });

  it('only reads on a second run', () => {
    const { answer, calls } = run(file, 'publish_writer_handler', env);
    expect(calls).toEqual(['rds:describe_db_instances', 'ssm:get_parameter', 'secretsmanager:describe_secret', 'secretsmanager:get_secret_value']);
    expect(answer.result).toMatchObject({ parameterChanged: false, replicationStopped: false, secretChanged: false });
  });
});

describe('backup', () => {
  const env = { BACKUP_VAULT: VAULT, DB_INSTANCE_ARN: INSTANCE_ARN, BACKUP_ROLE_ARN: 'arn:aws:iam::111111111111:role/backup', BACKUP_WINDOW_HOURS: '12' };
  const file = world();

  it('starts one on-demand backup of the promoted instance into this region’s vault', () => {
    const { calls, raw } = run(file, 'backup_handler', env);
    expect(calls).toEqual(['backup:list_backup_jobs', 'backup:start_backup_job']);
    expect(raw[1].args).toMatchObject({ BackupVaultName: VAULT, ResourceArn: INSTANCE_ARN, IamRoleArn: 'arn:aws:iam::111111111111:role/backup' });
  });

  it('starts nothing on a second run while that job is live or done', () => {
    const { answer, calls } = run(file, 'backup_handler', env);
    expect(calls).toEqual(['backup:list_backup_jobs']);
    expect(answer.result).toEqual({ action: 'backup', backupJobId: 'job-1', started: false });
  });

  it('starts a new one when the last job failed', () => {
    const failed = world({ backupJobs: [{ BackupJobId: 'old', ResourceArn: INSTANCE_ARN, BackupVaultName: VAULT, State: 'FAILED' }] });
    expect(run(failed, 'backup_handler', env).calls).toEqual(['backup:list_backup_jobs', 'backup:start_backup_job']);
  });
});
