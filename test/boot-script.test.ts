import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SIGNAL_SCRIPT_PATH } from '../lib/constructs/web-server-user-data';
import { synthesized } from './support/assembly';

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

const template = synthesized('dev').template('dev-app-eu-west-1').toJSON();
const launchTemplate = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::EC2::LaunchTemplate');
const bootScript: string = launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64'];

describe("the boot script's health wait, run locally against the boot script's own web server", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const signalled = () => readFileSync(path.join(dir, 'signals'), 'utf8').trim().split('\n');

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'boot-script-'));
    writeFileSync(path.join(dir, 'server.py'), heredoc(bootScript, '/opt/webtier/server.py', 'PY'));
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

  it('signals success once /health answers, even when the server starts after the wait began', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    const waiting = run(path.join(dir, 'signal-when-healthy.sh'), [url, '50', '0.1', '--stack', 'dev-app-eu-west-1', '--resource', 'Group'], env);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server = spawn('python3', [path.join(dir, 'server.py')], { env: { ...env, PORT: String(port), REGION: 'eu-west-1' }, stdio: 'ignore' });
    expect(await waiting).toBe(0);
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
