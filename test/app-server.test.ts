import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HEALTH_CHECK_PATH, LIVENESS_CHECK_PATH, WRITER_HEALTH_CHECK_PATH } from '../lib/constructs/web-server-user-data';
import { NO_WRITER } from '../lib/constructs/writer-endpoint';
import { freePort, startPostgres, type PostgresEndpoint, type PostgresPair } from './support/postgres';
import { bootScript, heredoc, unitEnvironment } from './support/user-data';

// Runs lib/app-server/server.py with python3, with the environment its systemd unit gives it in
// dev's standby region, against a real PostgreSQL primary and streaming standby on 127.0.0.1.
// The AWS CLI is a stub that answers the writer parameter and the secret from files.

const SERVER = path.join(__dirname, '..', 'lib', 'app-server', 'server.py');
const unit = unitEnvironment(heredoc(bootScript('dev', 'dev-app-eu-west-1'), '/etc/systemd/system/webtier.service', 'UNIT'));

/**
 * The interpreter itself rather than a version-manager shim on PATH, which would put its
 * own directory (with its own `aws`) in front of the stub's.
 */
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

/** A stub `aws` that records its arguments and prints the file `parameter` or `secret`, failing when it is missing. */
const STUB_AWS = `#!/bin/bash
dir=$(dirname "$0")
echo "$*" >> "$dir/aws-calls"
case "$1 $2" in
  "ssm get-parameter") exec cat "$dir/parameter" ;;
  "secretsmanager get-secret-value") exec cat "$dir/secret" ;;
esac
exit 254
`;

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GETs a path and resolves with status and body, or with status 0 while nothing listens. */
function request(port: number, urlPath: string): Promise<Answer> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: urlPath, timeout: 10_000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: body.trim() }));
    }).once('error', () => resolve({ status: 0, body: '' }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One running server.py and the directory with its stub `aws`, the stub's answers and the server's log. */
interface RunningServer {
  readonly port: number;
  readonly dir: string;
  readonly process: ChildProcess;
}

interface ServerOptions {
  /** What the writer parameter holds. */
  readonly parameter: string;
  /** The database the server connects to: its port for every host, its host as the region's own instance. */
  readonly database: PostgresEndpoint;
  /** The region's own instance; the database's host unless given. */
  readonly localHost?: string;
  /** The password in the secret; the superuser's unless given. */
  readonly password?: string;
  /** Overrides the unit's WRITER_CACHE_SECONDS. */
  readonly cacheSeconds?: number;
  /** The unit's ANSWER_CACHE_SECONDS, which the tests turn off unless they test it. @default 0 */
  readonly answerCacheSeconds?: number;
}

describe('the web server, logged in to a real PostgreSQL primary and streaming standby', () => {
  let pg: PostgresPair;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);

  afterAll(() => pg?.stop());

  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.process.kill();
      rmSync(server.dir, { recursive: true, force: true });
    }
  });

  /** Starts server.py and resolves once it answers /health/live. */
  async function startServer(options: ServerOptions): Promise<RunningServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'app-server-'));
    writeFileSync(path.join(dir, 'parameter'), `${options.parameter}\n`);
    // The secret's host names a writer that does not exist: the server must never use it.
    const secret = { engine: 'postgres', host: 'writer-named-by-the-secret.invalid', port: 5432, username: pg.username, password: options.password ?? pg.password };
    writeFileSync(path.join(dir, 'secret'), `${JSON.stringify(secret)}\n`);
    writeFileSync(path.join(dir, 'aws'), STUB_AWS);
    chmodSync(path.join(dir, 'aws'), 0o755);
    // psql as the server finds it on PATH: the real one, each login counted.
    writeFileSync(path.join(dir, 'psql'), `#!/bin/bash\necho login >> "$(dirname "$0")/logins"\nexec ${path.join(pg.binDir, 'psql')} "$@"\n`);
    chmodSync(path.join(dir, 'psql'), 0o755);
    const port = await freePort();
    const env = {
      ...process.env,
      ...unit,
      PATH: `${dir}:${pg.binDir}:${process.env.PATH}`,
      PORT: String(port),
      LOCAL_DB_HOST: options.localHost ?? options.database.host,
      DB_PORT: String(options.database.port),
      DB_SSLMODE: 'disable',
      ...(options.cacheSeconds === undefined ? {} : { WRITER_CACHE_SECONDS: String(options.cacheSeconds) }),
      ANSWER_CACHE_SECONDS: String(options.answerCacheSeconds ?? 0),
    };
    const log = openSync(path.join(dir, 'server.log'), 'w');
    const server = { port, dir, process: spawn(python, [SERVER], { env, stdio: ['ignore', 'ignore', log] }) };
    closeSync(log);
    servers.push(server);
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await request(port, LIVENESS_CHECK_PATH)).status === 200) return server;
      await sleep(50);
    }
    throw new Error(`server.py did not start:\n${readFileSync(path.join(dir, 'server.log'), 'utf8')}`);
  }

  /** The answers of /health, /health/writer and /health/live, asked at once as Route 53 and the load balancer do. */
  function health(server: RunningServer): Promise<Answer[]> {
    return Promise.all([HEALTH_CHECK_PATH, WRITER_HEALTH_CHECK_PATH, LIVENESS_CHECK_PATH].map((urlPath) => request(server.port, urlPath)));
  }

  /** Sets default_transaction_read_only on the primary as the fence does, and waits until new sessions see it. */
  async function fencePrimary(fenced: boolean): Promise<void> {
    pg.sql(pg.primary, fenced ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
    pg.sql(pg.primary, 'SELECT pg_reload_conf()');
    for (let attempt = 0; attempt < 100 && pg.sql(pg.primary, 'SHOW default_transaction_read_only') !== (fenced ? 'on' : 'off'); attempt++) {
      await sleep(20);
    }
  }

  it('is the writer where the parameter names a primary, whatever host the secret names', async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary });
    expect(await health(server)).toEqual([
      { status: 200, body: 'writer' },
      { status: 200, body: 'writer' },
      { status: 200, body: 'live' },
    ]);
  });

  it('is read-only where the parameter names a streaming standby: /health 200, /health/writer 503', async () => {
    const server = await startServer({ parameter: pg.standby.host, database: pg.standby });
    expect(await health(server)).toEqual([
      { status: 200, body: 'read-only' },
      { status: 503, body: 'read-only' },
      { status: 200, body: 'live' },
    ]);
  });

  it("serves read-only from the region's own standby while the parameter names no writer", async () => {
    const server = await startServer({ parameter: NO_WRITER, database: pg.standby });
    expect(await health(server)).toEqual([
      { status: 200, body: 'read-only' },
      { status: 503, body: 'read-only' },
      { status: 200, body: 'live' },
    ]);
  });

  it('stops being the writer as soon as the primary is fenced with default_transaction_read_only', async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary });
    expect((await request(server.port, WRITER_HEALTH_CHECK_PATH)).status).toBe(200);
    await fencePrimary(true);
    try {
      expect(await health(server)).toEqual([
        { status: 200, body: 'read-only' },
        { status: 503, body: 'read-only' },
        { status: 200, body: 'live' },
      ]);
    } finally {
      await fencePrimary(false);
    }
  });

  it("is unavailable when the secret's password is refused, yet stays live for the load balancer", async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary, password: 'not-the-password' });
    expect(await health(server)).toEqual([
      { status: 503, body: 'unavailable' },
      { status: 503, body: 'unavailable' },
      { status: 200, body: 'live' },
    ]);
  });

  it("serves read-only when the named writer cannot be reached but the region's own instance can", async () => {
    // Nothing listens on 127.0.0.2: it stands in for a lost writer; the standby is the region's own instance.
    const server = await startServer({ parameter: '127.0.0.2', database: pg.standby, localHost: pg.standby.host });
    expect(await health(server)).toEqual([
      { status: 200, body: 'read-only' },
      { status: 503, body: 'unavailable' },
      { status: 200, body: 'live' },
    ]);
  });

  it("reuses a host's answer for ANSWER_CACHE_SECONDS, so health checks from every Route 53 checker cost one login", async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary, answerCacheSeconds: 60 });
    for (let i = 0; i < 3; i++) expect((await health(server)).map((a) => a.status)).toEqual([200, 200, 200]);
    expect(readFileSync(path.join(server.dir, 'logins'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('reads the secret again at once when the database refuses the login, as after a password rotation', async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary, password: 'the-old-password', cacheSeconds: 600 });
    expect((await request(server.port, WRITER_HEALTH_CHECK_PATH)).status).toBe(503);
    const secret = JSON.parse(readFileSync(path.join(server.dir, 'secret'), 'utf8'));
    writeFileSync(path.join(server.dir, 'secret'), `${JSON.stringify({ ...secret, password: pg.password })}\n`);
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 200, body: 'writer' });
  });

  it('reads the writer parameter by name and the secret by ARN, with the AWS CLI in its region', async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary });
    await request(server.port, WRITER_HEALTH_CHECK_PATH);
    const calls = new Set(readFileSync(path.join(server.dir, 'aws-calls'), 'utf8').trim().split('\n'));
    expect(calls).toEqual(
      new Set([
        `ssm get-parameter --name ${unit.WRITER_PARAMETER} --query Parameter.Value --region eu-west-1 --output text`,
        `secretsmanager get-secret-value --secret-id ${unit.DB_SECRET_ARN} --query SecretString --region eu-west-1 --output text`,
      ]),
    );
  });

  it('follows a new writer parameter once its cache time has passed, and not before', async () => {
    const cacheSeconds = 2;
    // Nothing listens on 127.0.0.2: the parameter names a lost writer until the switch publishes the primary.
    const server = await startServer({ parameter: '127.0.0.2', database: pg.primary, cacheSeconds });
    const firstRead = Date.now();
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 503, body: 'unavailable' });
    writeFileSync(path.join(server.dir, 'parameter'), `${pg.primary.host}\n`);
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 503, body: 'unavailable' });
    let answer: Answer;
    do {
      await sleep(100);
      answer = await request(server.port, WRITER_HEALTH_CHECK_PATH);
    } while (answer.status !== 200 && Date.now() - firstRead < (cacheSeconds + 4) * 1000);
    const turnedAfter = Date.now() - firstRead;
    expect(answer).toEqual({ status: 200, body: 'writer' });
    expect(turnedAfter).toBeGreaterThanOrEqual(cacheSeconds * 1000);
    expect(turnedAfter).toBeLessThan((cacheSeconds + 2) * 1000);
  });

  it('keeps the last writer parameter when a read after the cache time fails', async () => {
    const cacheSeconds = 1;
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary, cacheSeconds });
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 200, body: 'writer' });
    rmSync(path.join(server.dir, 'parameter'));
    const reads = () => readFileSync(path.join(server.dir, 'aws-calls'), 'utf8').split('\n').filter((call) => call.startsWith('ssm get-parameter')).length;
    const readsBefore = reads();
    await sleep(cacheSeconds * 1000 + 200);
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 200, body: 'writer' });
    expect(reads()).toBe(readsBefore + 1);
  });

  it('keeps the last writer parameter and login when reading them fails', async () => {
    const server = await startServer({ parameter: pg.primary.host, database: pg.primary, cacheSeconds: 0 });
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 200, body: 'writer' });
    const callsBefore = readFileSync(path.join(server.dir, 'aws-calls'), 'utf8').split('\n').length;
    rmSync(path.join(server.dir, 'parameter'));
    rmSync(path.join(server.dir, 'secret'));
    expect(await request(server.port, WRITER_HEALTH_CHECK_PATH)).toEqual({ status: 200, body: 'writer' });
    expect(readFileSync(path.join(server.dir, 'aws-calls'), 'utf8').split('\n').length).toBeGreaterThan(callsBefore);
  });
});
