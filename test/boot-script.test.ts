import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LIVENESS_CHECK_PATH, SIGNAL_SCRIPT_PATH } from '../lib/constructs/web-server-user-data';
import { freePort } from './support/postgres';
import { bootScript as renderedBootScript, heredoc, unitEnvironment } from './support/user-data';

/** Runs a script with bash and resolves with its exit code. */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => spawn('bash', [script, ...args], { env, stdio: 'ignore' }).once('exit', resolve));
}

const bootScript = renderedBootScript('dev', 'dev-app-eu-west-1');
const unit = heredoc(bootScript, '/etc/systemd/system/webtier.service', 'UNIT');
const SERVER_FILE = path.join(__dirname, '..', 'lib', 'app-server', 'server.py');

/**
 * The interpreter itself rather than a version-manager shim on PATH, which would put its
 * own directory in front of the test's stubs.
 */
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

/** A stub command: a bash script that appends its arguments to `<dir>/<name>.calls`, then runs `then`. */
function stub(dir: string, name: string, then = 'exit 0'): void {
  writeFileSync(path.join(dir, name), `#!/bin/bash\necho "$*" >> ${JSON.stringify(path.join(dir, `${name}.calls`))}\n${then}\n`);
  chmodSync(path.join(dir, name), 0o755);
}

/** The calls a stub recorded, one argument string each. */
function calls(dir: string, name: string): string[] {
  const file = path.join(dir, `${name}.calls`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

describe('the boot script', () => {
  it('writes lib/app-server/server.py unchanged to /opt/webtier/server.py', () => {
    expect(heredoc(bootScript, '/opt/webtier/server.py', 'PY')).toBe(readFileSync(SERVER_FILE, 'utf8'));
  });

  it("gives the server, through its systemd unit, every setting it reads, with the app's own values", () => {
    const environment = unitEnvironment(unit);
    const required = [...readFileSync(SERVER_FILE, 'utf8').matchAll(/os\.environ\["([A-Z_]+)"\]/g)].map(([, name]) => name);
    expect(Object.keys(environment)).toEqual(expect.arrayContaining(required));
    expect(environment).toEqual({
      PORT: '8080',
      REGION: 'eu-west-1',
      WRITER_PARAMETER: 'dev-data-eu-west-1-writer-endpoint',
      // eu-west-1's own secret, from its data stack (test/credentials.test.ts follows the reference).
      DB_SECRET_ARN: '<ref>',
      // The region's own instance, a reference to the data stack's output.
      LOCAL_DB_HOST: '<ref>',
      DB_PORT: '5432',
      DB_SSLMODE: 'require',
      NO_WRITER: 'none',
      WRITER_CACHE_SECONDS: '30',
      ANSWER_CACHE_SECONDS: '5',
      HEALTH_CHECK_PATH: '/health',
      WRITER_HEALTH_CHECK_PATH: '/health/writer',
      LIVENESS_CHECK_PATH: '/health/live',
    });
  });

  it("stays under EC2's 16 KB user data limit, even with the longest DNS name for every reference", () => {
    // EC2 limits user data to 16 KB before base64; each reference (`<ref>`) becomes a value
    // CloudFormation fills in at deploy, at most a 253-character DNS name here.
    const references = bootScript.split('<ref>').length - 1;
    expect(Buffer.byteLength(bootScript) + references * 253).toBeLessThan(16_384);
  });
});

describe("the boot script's PostgreSQL client install, run locally with stub dnf and cfn-signal", () => {
  // What the script runs before it creates /opt/webtier: the helper scripts' and psql's installs.
  const installs = bootScript.slice(0, bootScript.indexOf('\ninstall -d -m 0755 /opt/webtier\n') + 1);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'boot-install-'));
    writeFileSync(path.join(dir, 'installs.sh'), installs);
    stub(dir, 'cfn-signal');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the installs with nothing but the stubs on PATH (bash's builtins need no more) and returns the exit code. */
  const runInstalls = () => spawnSync('/bin/bash', [path.join(dir, 'installs.sh')], { env: { PATH: dir }, stdio: 'ignore' }).status;

  it('installs postgresql16 with dnf when the image has no psql', () => {
    stub(dir, 'dnf');
    expect(runInstalls()).toBe(0);
    expect(calls(dir, 'dnf')).toContain('install -y postgresql16');
    expect(calls(dir, 'cfn-signal')).toEqual([]);
  });

  it('signals failure to CloudFormation and stops when dnf cannot install postgresql16', () => {
    stub(dir, 'dnf', '[[ "$*" != *postgresql16* ]]');
    expect(runInstalls()).not.toBe(0);
    expect(calls(dir, 'dnf')).toContain('install -y postgresql16');
    expect(calls(dir, 'cfn-signal')).toEqual([
      expect.stringMatching(/^--exit-code 1 --stack dev-app-eu-west-1 --resource WebTierInstancesASG\w+ --region eu-west-1$/),
    ]);
  });

  it('leaves a psql the image already has alone', () => {
    stub(dir, 'dnf', '[[ "$*" != *postgresql16* ]]');
    stub(dir, 'psql');
    expect(runInstalls()).toBe(0);
    expect(calls(dir, 'dnf')).not.toContain('install -y postgresql16');
    expect(calls(dir, 'cfn-signal')).toEqual([]);
  });
});

describe("the boot script's health wait, run locally against the boot script's own web server", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const signalled = () => calls(dir, 'cfn-signal');

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'boot-script-'));
    writeFileSync(path.join(dir, 'server.py'), heredoc(bootScript, '/opt/webtier/server.py', 'PY'));
    writeFileSync(path.join(dir, 'signal-when-healthy.sh'), heredoc(bootScript, SIGNAL_SCRIPT_PATH, 'SH'));
    // Stands in for /opt/aws/bin/cfn-signal.
    stub(dir, 'cfn-signal');
    env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  });

  afterEach(() => {
    server?.kill();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('signals success once /health/live answers, even when the server starts after the wait began', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}${LIVENESS_CHECK_PATH}`;
    const waiting = run(path.join(dir, 'signal-when-healthy.sh'), [url, '50', '0.1', '--stack', 'dev-app-eu-west-1', '--resource', 'Group'], env);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Liveness needs no database: the server runs with its unit's environment and nothing to log in to.
    server = spawn(python, [path.join(dir, 'server.py')], { env: { ...env, ...unitEnvironment(unit), PORT: String(port) }, stdio: 'ignore' });
    expect(await waiting).toBe(0);
    expect(signalled()).toEqual(['--exit-code 0 --stack dev-app-eu-west-1 --resource Group']);
  });

  it('signals failure when /health/live never answers within its attempts', async () => {
    const url = `http://127.0.0.1:${await freePort()}${LIVENESS_CHECK_PATH}`;
    expect(await run(path.join(dir, 'signal-when-healthy.sh'), [url, '3', '0.1', '--stack', 'dev-app-eu-west-1', '--resource', 'Group'], env)).toBe(0);
    expect(signalled()).toEqual(['--exit-code 1 --stack dev-app-eu-west-1 --resource Group']);
  });

  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', path.join(dir, 'signal-when-healthy.sh')]).status).toBe(0);
  });
});
