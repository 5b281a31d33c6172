import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Where one server answers. */
export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
}

/** A local PostgreSQL primary and a streaming standby of it, with the login both accept. */
export interface PostgresPair {
  readonly primary: PostgresEndpoint;
  readonly standby: PostgresEndpoint;
  /** The superuser's name and password (scram-sha-256 over TCP). */
  readonly username: string;
  readonly password: string;
  /** The directory with psql, initdb and the rest: put it on PATH to use this psql. */
  readonly binDir: string;
  /** Runs one statement as the superuser and returns psql's unaligned output. */
  sql(endpoint: PostgresEndpoint, statement: string): string;
  /** Stops both servers at once and removes their directories. */
  stop(): void;
}

const HOST = '127.0.0.1';
const USERNAME = 'postgres';
const REQUIRED = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres', 'psql'];

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The newest Debian-style /usr/lib/postgresql/<version>/bin with every binary, or the directory of initdb on PATH. */
function binaryDirectory(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  const candidates = [...versions.map((version) => path.join(root, version, 'bin')), ...(onPath ? [path.dirname(onPath)] : [])];
  const found = candidates.find((dir) => REQUIRED.every((binary) => existsSync(path.join(dir, binary))));
  if (!found) {
    throw new Error(`PostgreSQL server binaries (${REQUIRED.join(', ')}) not found: install them with \`apt-get install -y postgresql\` on Debian`);
  }
  return found;
}

/**
 * Starts a primary and a standby made from it with `pg_basebackup -R`, on 127.0.0.1 with free
 * ports, password logins only. PostgreSQL refuses to run as root, so as root every server
 * command runs as the `postgres` user, which then owns the temporary directory.
 */
export async function startPostgres(): Promise<PostgresPair> {
  const binDir = binaryDirectory();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'postgres-'));
  const password = `test-${process.pid}-${Date.now()}`;
  const primaryDir = path.join(dir, 'primary');
  const standbyDir = path.join(dir, 'standby');
  const started: string[] = [];
  const owner = asRoot
    ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) }
    : undefined;
  /** The file and arguments that run a server binary, as `postgres` when this process is root. */
  const command = (binary: string, args: string[]): [string, string[]] =>
    owner ? ['runuser', ['-u', 'postgres', '--', path.join(binDir, binary), ...args]] : [path.join(binDir, binary), args];
  const run = (binary: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    execFileSync(...command(binary, args), { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const start = (dataDir: string) => {
    run('pg_ctl', ['start', '-D', dataDir, '-l', `${dataDir}.log`, '-w', '-t', '30']);
    started.push(dataDir);
  };
  const stop = () => {
    for (const dataDir of started) spawnSync(...command('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate']), { cwd: dir, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const pwfile = path.join(dir, 'password');
    writeFileSync(pwfile, `${password}\n`);
    if (owner) for (const file of [dir, pwfile]) chownSync(file, owner.uid, owner.gid);
    run('initdb', ['-D', primaryDir, '--username', USERNAME, '--pwfile', pwfile, '--auth=scram-sha-256', '--no-sync', '--no-instructions']);
    const [primaryPort, standbyPort] = [await freePort(), await freePort()];
    const settings = (port: number) =>
      [
        `port = ${port}`,
        `listen_addresses = '${HOST}'`,
        `unix_socket_directories = '${dir}'`,
        "password_encryption = 'scram-sha-256'",
        // Nothing here must survive a crash: skip the disk flushes.
        'fsync = off',
        '',
      ].join('\n');
    appendFileSync(path.join(primaryDir, 'postgresql.conf'), settings(primaryPort));
    start(primaryDir);
    run('pg_basebackup', ['-h', HOST, '-p', String(primaryPort), '-U', USERNAME, '-D', standbyDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'], {
      PGPASSWORD: password,
    });
    // The copy carries the primary's settings; a later line wins.
    appendFileSync(path.join(standbyDir, 'postgresql.conf'), settings(standbyPort));
    start(standbyDir);

    const primary = { host: HOST, port: primaryPort };
    const standby = { host: HOST, port: standbyPort };
    const sql = (endpoint: PostgresEndpoint, statement: string) =>
      execFileSync(path.join(binDir, 'psql'), ['--no-psqlrc', '--no-password', '--tuples-only', '--no-align', '--command', statement], {
        encoding: 'utf8',
        env: { ...process.env, PGHOST: endpoint.host, PGPORT: String(endpoint.port), PGUSER: USERNAME, PGPASSWORD: password, PGDATABASE: 'postgres', PGSSLMODE: 'disable' },
      }).trim();
    return { primary, standby, username: USERNAME, password, binDir, sql, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
