import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SYNTH_INPUTS, synthInputsKey } from './support/assembly-cache';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** A copy of what synth reads (SYNTH_INPUTS) and one file it does not, to change either. */
function copyOfTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'synth-inputs-'));
  for (const entry of [...SYNTH_INPUTS, 'README.md', 'test/naming.test.ts']) {
    if (existsSync(path.join(ROOT, entry))) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

describe('the cache key of the test assemblies', () => {
  const tree = copyOfTree();
  const key = synthInputsKey(tree);

  it('is the same for the same content in another folder', () => {
    expect(synthInputsKey(tree)).toBe(synthInputsKey(copyOfTree()));
  });

  it.each([['lib/naming.ts'], ['bin/app.ts'], ['cdk.json'], ['package-lock.json'], ['test/support/variants.ts']])('changes when %s changes', (file) => {
    const changed = copyOfTree();
    writeFileSync(path.join(changed, file), `${readFileSync(path.join(changed, file), 'utf8')}\n`);
    expect(synthInputsKey(changed)).not.toBe(key);
  });

  it('changes when a file is added to lib', () => {
    const changed = copyOfTree();
    writeFileSync(path.join(changed, 'lib', 'new.ts'), '');
    expect(synthInputsKey(changed)).not.toBe(key);
  });

  it.each([['README.md'], ['test/naming.test.ts']])('stays when %s, which synth does not read, changes', (file) => {
    const changed = copyOfTree();
    writeFileSync(path.join(changed, file), 'changed');
    expect(synthInputsKey(changed)).toBe(key);
  });
});

/**
 * Runs `ensureSynthesized(name)` in a process of its own, with a synth that takes a second,
 * records that it ran, and writes the assembly's manifest into a temporary folder that it
 * renames into place, as synth-assembly.ts does.
 */
function ensureInProcess(cache: string, name: string): Promise<number | null> {
  const script = `
    const { mkdtempSync, writeFileSync, appendFileSync } = require('node:fs');
    const path = require('node:path');
    const { ensureSynthesized, publishAssembly, ASSEMBLY_ROOT } = require(${JSON.stringify(path.join(__dirname, 'support', 'assembly-cache.ts'))});
    ensureSynthesized(${JSON.stringify(name)}, (name) => {
      appendFileSync(path.join(ASSEMBLY_ROOT, 'synths.log'), process.pid + '\\n');
      const temporary = mkdtempSync(path.join(ASSEMBLY_ROOT, '.' + name + '-'));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      writeFileSync(path.join(temporary, 'manifest.json'), '{}');
      publishAssembly(temporary, name);
    });`;
  return new Promise((resolve) => {
    const child = spawn(TSX, ['-e', script], { env: { ...process.env, CDK_TEST_ASSEMBLY_DIR: cache }, stdio: 'inherit' });
    child.on('close', resolve);
  });
}

describe('an assembly asked for by several jest workers at once', () => {
  let cache: string;
  let exits: Array<number | null>;

  beforeAll(async () => {
    cache = mkdtempSync(path.join(tmpdir(), 'assembly-cache-'));
    exits = await Promise.all([1, 2, 3].map(() => ensureInProcess(cache, 'prod')));
  }, 60_000);

  it('is synthesized once: the others wait for it', () => {
    expect(exits).toEqual([0, 0, 0]);
    expect(readFileSync(path.join(cache, 'synths.log'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('is complete in its place, with no temporary folder or lock left', () => {
    expect(existsSync(path.join(cache, 'prod', 'manifest.json'))).toBe(true);
    expect(readdirSync(cache).sort()).toEqual(['prod', 'synths.log']);
  });

  it('is not synthesized again once cached', async () => {
    expect(await ensureInProcess(cache, 'prod')).toBe(0);
    expect(readFileSync(path.join(cache, 'synths.log'), 'utf8').trim().split('\n')).toHaveLength(1);
  }, 30_000);

  it('is taken over from a worker that died holding the lock', async () => {
    writeFileSync(path.join(cache, 'test.lock'), '999999999');
    expect(await ensureInProcess(cache, 'test')).toBe(0);
    expect(existsSync(path.join(cache, 'test', 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(cache, 'test.lock'))).toBe(false);
  }, 30_000);
});
