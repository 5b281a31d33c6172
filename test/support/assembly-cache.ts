import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

// The cache of the assemblies that tests read. No aws-cdk-lib here: the global setup loads
// this module, and on an unchanged tree it only hashes the inputs and finds them cached.

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * Everything that decides what a test synth writes: the app, its settings and dependencies, and
 * the test support that builds the test-only environments. Assemblies are cached under a hash
 * of these files' contents, so an unchanged tree reuses them and any change synthesizes anew.
 */
export const SYNTH_INPUTS = [
  'bin',
  'lib',
  'cdk.json',
  'cdk.context.json',
  'package-lock.json',
  'tsconfig.json',
  'test/support/synth.ts',
  'test/support/assembly-cache.ts',
  'test/support/synth-assembly.ts',
  'test/support/variants.ts',
];

/** Every file under `entry` (a file or folder relative to `root`), sorted. */
function filesUnder(root: string, entry: string): string[] {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full)
    .sort()
    .flatMap((child) => filesUnder(root, path.join(entry, child)));
}

/** A hash of the paths and contents of {@link SYNTH_INPUTS} in the tree at `root`: the cache key of its assemblies. */
export function synthInputsKey(root = ROOT): string {
  const hash = createHash('sha256');
  for (const file of SYNTH_INPUTS.flatMap((entry) => filesUnder(root, entry))) hash.update(`${file}\0`).update(readFileSync(path.join(root, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Where the test assemblies are cached, one folder per {@link synthInputsKey}. `CDK_TEST_ASSEMBLIES`
 * moves it, so that two jest runs in one clone (two people, or two terminals) do not share it.
 */
export const ASSEMBLY_CACHE = path.resolve(ROOT, process.env.CDK_TEST_ASSEMBLIES || 'cdk.out.test');

/**
 * The folder holding this tree's assembly of each environment, `<ASSEMBLY_ROOT>/<name>`. The
 * global setup hashes the tree once and hands the folder to the test workers in
 * `CDK_TEST_ASSEMBLY_DIR`; a process started otherwise hashes it itself.
 */
export const ASSEMBLY_ROOT = process.env.CDK_TEST_ASSEMBLY_DIR || path.join(ASSEMBLY_CACHE, synthInputsKey());

/** How many trees' assemblies the cache keeps (most recently used first): enough for a few branches. */
const KEPT_TREES = 4;

/** Marks this tree's assemblies as used, and removes those of trees used longest ago. */
export function pruneAssemblyCache(): void {
  mkdirSync(ASSEMBLY_ROOT, { recursive: true });
  const now = new Date();
  utimesSync(ASSEMBLY_ROOT, now, now);
  if (path.dirname(ASSEMBLY_ROOT) !== ASSEMBLY_CACHE) return;
  const trees = readdirSync(ASSEMBLY_CACHE, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name))
    .map((entry) => ({ dir: path.join(ASSEMBLY_CACHE, entry.name), used: statSync(path.join(ASSEMBLY_CACHE, entry.name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { dir } of trees.slice(KEPT_TREES)) rmSync(dir, { recursive: true, force: true });
}

/** Whether this tree's assembly of `name` is in the cache, complete. */
export function isSynthesized(name: string): boolean {
  return existsSync(path.join(ASSEMBLY_ROOT, name, 'manifest.json'));
}

/**
 * The arguments and folders of one synth process for `names`: it writes each assembly into a
 * temporary folder and renames it into place when complete, so a reader never sees half an
 * assembly and two processes that synthesize one environment at once leave one whole copy.
 * What the process prints is kept in `synth-<names>.stdout.log` / `.stderr.log` beside the
 * assemblies, for the test that synth prints no warning.
 */
export function synthCommand(names: readonly string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  mkdirSync(ASSEMBLY_ROOT, { recursive: true });
  return {
    command: TSX,
    args: [path.join(__dirname, 'synth-assembly.ts'), ...names],
    // Synthesized as offline: no account from the environment.
    env: { ...process.env, CDK_TEST_ASSEMBLY_DIR: ASSEMBLY_ROOT, CDK_DEFAULT_ACCOUNT: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '' },
  };
}

/** Writes what a synth process for `names` printed, each file renamed into place whole. */
export function writeSynthLogs(names: readonly string[], stdout: Buffer | string, stderr: Buffer | string): void {
  for (const [stream, content] of [['stdout', stdout], ['stderr', stderr]] as const) {
    const log = path.join(ASSEMBLY_ROOT, `synth-${names.join('+')}.${stream}.log`);
    const temporary = `${log}.${process.pid}.tmp`;
    writeFileSync(temporary, content);
    renameSync(temporary, log);
  }
}

/** Moves a finished assembly from `temporary` to `<ASSEMBLY_ROOT>/<name>`, unless another process got there first. */
export function publishAssembly(temporary: string, name: string): void {
  try {
    renameSync(temporary, path.join(ASSEMBLY_ROOT, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    rmSync(temporary, { recursive: true, force: true });
  }
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Synthesizes `name` in a synth-assembly.ts process of its own, keeping what it printed. */
function synthInProcess(name: string): void {
  const { command, args, env } = synthCommand([name]);
  const run = spawnSync(command, args, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
  writeSynthLogs([name], run.stdout ?? '', run.stderr ?? '');
  if (run.status !== 0) throw new Error(`synth of ${name} failed (exit ${run.status}):\n${run.stderr}`);
}

/**
 * Synthesizes `name` into the cache unless it is there, for a test file that reads an assembly
 * the global setup did not write (a test-only environment, or a run without the global setup).
 * Blocks the caller; a lock file makes a second jest worker that asks for the same environment
 * wait for the first one's synth instead of running its own.
 */
export function ensureSynthesized(name: string, synthesize: (name: string) => void = synthInProcess): void {
  const lock = path.join(ASSEMBLY_ROOT, `${name}.lock`);
  mkdirSync(ASSEMBLY_ROOT, { recursive: true });
  while (!isSynthesized(name)) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8'));
      // A lock whose holder has died is taken over; one without a pid yet is being written.
      if (holder > 0 && !isRunning(holder)) rmSync(lock, { force: true });
      else sleep(200);
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      if (isSynthesized(name)) return;
      synthesize(name);
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** The configured environments' names, written beside their assemblies by synth-assembly.ts. */
export const CONFIGURED_ENVIRONMENTS_FILE = 'environments.json';

/** The configured environments whose assemblies are cached for this tree, or undefined when not every one is. */
export function cachedConfiguredEnvironments(): string[] | undefined {
  const file = path.join(ASSEMBLY_ROOT, CONFIGURED_ENVIRONMENTS_FILE);
  if (!existsSync(file)) return undefined;
  const names = JSON.parse(readFileSync(file, 'utf8')) as string[];
  return names.every(isSynthesized) ? names : undefined;
}
