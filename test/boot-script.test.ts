import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LIVENESS_CHECK_PATH, SIGNAL_SCRIPT_PATH, WRITER_HEALTH_CHECK_PATH } from '../lib/constructs/web-server-user-data';
import { synthesized } from './support/assembly';
import { userDataText } from './support/user-data';

/** The text between `cat > <file> <<'<marker>'` and the line `<marker>` of a boot script. */
function heredoc(script: string, file: string, marker: string): string {
  const start = script.indexOf(`cat > ${file} <<'${marker}'\n`);
  if (start < 0) throw new Error(`the boot script writes no ${file}`);
  const body = script.slice(script.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf(`\n${marker}\n`) + 1);
}

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a script with bash and resolves with its exit code. */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => spawn('bash', [script, ...args], { env, stdio: 'ignore' }).once('exit', resolve));
}

/** A TCP listener on `host` standing in for PostgreSQL: it accepts connections and nothing more. */
function databaseListener(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** GETs a path and resolves with status and body, or with status 0 while nothing listens. */
function request(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: urlPath, timeout: 4000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: body.trim() }));
    }).once('error', () => resolve({ status: 0, body: '' }));
  });
}

const template = synthesized('dev').template('dev-app-eu-west-1').toJSON();
const launchTemplate = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::EC2::LaunchTemplate');
const bootScript = userDataText(launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64']);

/**
 * The interpreter itself rather than a version-manager shim on PATH, which would put its
 * own directory (with its own `aws`) in front of the stub's.
 */
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

/** Where the server and a stub `aws` CLI, which prints the content of `parameter`, live in one test. */
function serverDirectory(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'boot-script-'));
  writeFileSync(path.join(dir, 'server.py'), heredoc(bootScript, '/opt/webtier/server.py', 'PY'));
  writeFileSync(path.join(dir, 'aws'), `#!/bin/bash\ncat ${JSON.stringify(path.join(dir, 'parameter'))}\n`);
  chmodSync(path.join(dir, 'aws'), 0o755);
  return dir;
}

/** Starts the server with the environment its systemd unit gives it; the database answers on `databasePort`. */
function startServer(dir: string, port: number, databasePort: number, localDatabaseHost = '127.0.0.1'): ChildProcess {
  const env = {
    ...process.env,
    PATH: `${dir}:${process.env.PATH}`,
    PORT: String(port),
    REGION: 'eu-west-1',
    WRITER_PARAMETER: 'dev-data-eu-west-1-writer-endpoint',
    DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev-data-us-east-1-credentials',
    LOCAL_DB_HOST: localDatabaseHost,
    DB_PORT: String(databasePort),
  };
  return spawn(python, [path.join(dir, 'server.py')], { env, stdio: 'ignore' });
}

describe("the boot script's health wait, run locally against the boot script's own web server", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const signalled = () => readFileSync(path.join(dir, 'signals'), 'utf8').trim().split('\n');

  beforeEach(() => {
    dir = serverDirectory();
    writeFileSync(path.join(dir, 'signal-when-healthy.sh'), heredoc(bootScript, SIGNAL_SCRIPT_PATH, 'SH'));
    // Stands in for /opt/aws/bin/cfn-signal: records each call's arguments.
    writeFileSync(path.join(dir, 'cfn-signal'), `#!/bin/bash\necho "$*" >> ${JSON.stringify(path.join(dir, 'signals'))}\n`);
    chmodSync(path.join(dir, 'cfn-signal'), 0o755);
    env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  });

  afterEach(() => {
    server?.kill();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the writer parameter, the secret and the local instance to the server through its systemd unit', () => {
    const unit = heredoc(bootScript, '/etc/systemd/system/webtier.service', 'UNIT');
    expect(unit).toContain('Environment=WRITER_PARAMETER=dev-data-eu-west-1-writer-endpoint DB_SECRET_ARN=');
    expect(unit).toMatch(/Environment=LOCAL_DB_HOST=\S+ DB_PORT=5432\n/);
  });

  it('signals success once /health answers, even when the server starts after the wait began', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    const waiting = run(path.join(dir, 'signal-when-healthy.sh'), [url, '50', '0.1', '--stack', 'dev-app-eu-west-1', '--resource', 'Group'], env);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(path.join(dir, 'parameter'), 'none\n');
    const database = await databaseListener('127.0.0.1', await freePort());
    server = startServer(dir, port, (database.address() as { port: number }).port);
    try {
      expect(await waiting).toBe(0);
    } finally {
      database.close();
    }
    expect(signalled()).toEqual(['--exit-code 0 --stack dev-app-eu-west-1 --resource Group']);
  });

  it('signals failure when /health never answers within its attempts', async () => {
    const url = `http://127.0.0.1:${await freePort()}/health`;
    expect(await run(path.join(dir, 'signal-when-healthy.sh'), [url, '3', '0.1', '--stack', 'dev-app-eu-west-1', '--resource', 'Group'], env)).toBe(0);
    expect(signalled()).toEqual(['--exit-code 1 --stack dev-app-eu-west-1 --resource Group']);
  });

  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', path.join(dir, 'signal-when-healthy.sh')]).status).toBe(0);
  });
});

describe("the boot script's web server, run locally with a stub aws CLI and a stand-in database", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let database: Server | undefined;

  beforeEach(() => {
    dir = serverDirectory();
  });

  afterEach(() => {
    server?.kill();
    database?.close();
    server = undefined;
    database = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the server, waits until it answers, and returns the answers of /health, /health/writer and /health/live. */
  async function health(parameter: string, listen: string | undefined): Promise<Array<{ status: number; body: string }>> {
    writeFileSync(path.join(dir, 'parameter'), `${parameter}\n`);
    const databasePort = await freePort();
    if (listen) database = await databaseListener(listen, databasePort);
    const port = await freePort();
    server = startServer(dir, port, databasePort);
    for (let attempt = 0; attempt < 50 && (await request(port, '/')).status === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return [await request(port, '/health'), await request(port, WRITER_HEALTH_CHECK_PATH), await request(port, LIVENESS_CHECK_PATH)];
  }

  it('is the writer when the parameter names a host that accepts connections on the database port', async () => {
    expect(await health('127.0.0.1', '127.0.0.1')).toEqual([
      { status: 200, body: 'writer' },
      { status: 200, body: 'writer' },
      { status: 200, body: 'live' },
    ]);
  });

  it('serves read-only from the local instance while the parameter names no writer', async () => {
    expect(await health('none', '127.0.0.1')).toEqual([
      { status: 200, body: 'read-only' },
      { status: 503, body: 'read-only' },
      { status: 200, body: 'live' },
    ]);
  });

  it('serves read-only when the named writer does not answer but the local instance does', async () => {
    // The listener answers on 127.0.0.1 (the local instance) only; 127.0.0.2 stands in for the lost writer.
    expect(await health('127.0.0.2', '127.0.0.1')).toEqual([
      { status: 200, body: 'read-only' },
      { status: 503, body: 'read-only' },
      { status: 200, body: 'live' },
    ]);
  });

  it('answers 503 when no database answers, yet stays live for the load balancer', async () => {
    expect(await health('127.0.0.1', undefined)).toEqual([
      { status: 503, body: 'unavailable' },
      { status: 503, body: 'unavailable' },
      { status: 200, body: 'live' },
    ]);
  });
});
