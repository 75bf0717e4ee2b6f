import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { transformSync } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../test-support/paths.js';
import { codeCacheFile, codeCacheRoot, requireWithCodeCache } from './code-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CommonJS file with some functions to compile and a require. */
function writeModule(name: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      "const { sep } = require('node:path');",
      'exports.file = __filename;',
      'exports.sep = sep;',
      'exports.sum = (values) => values.reduce((total, value) => total + value, 0);',
    ].join('\n'),
  );
  return file;
}

describe('requireWithCodeCache', () => {
  it('runs the file as require would, then runs it from the cache the first call saved', () => {
    const file = writeModule('module-a.cjs');
    const cacheFile = codeCacheFile(join(dir, 'root-a'), file, 'sum');
    const first = requireWithCodeCache(file, cacheFile);
    expect(first.cacheUsed).toBe(false);
    expect(first.exports.file).toBe(file);
    expect(first.exports.sep).toBe('/');
    expect((first.exports.sum as (values: number[]) => number)([1, 2, 3])).toBe(6);
    expect(existsSync(cacheFile)).toBe(false);
    first.saveCache();
    const saved = readFileSync(cacheFile);
    expect(saved.length).toBeGreaterThan(0);

    const second = requireWithCodeCache(file, cacheFile);
    expect(second.cacheUsed).toBe(true);
    expect((second.exports.sum as (values: number[]) => number)([4, 5])).toBe(9);
    // A used cache is not written again.
    second.saveCache();
    expect(readFileSync(cacheFile).equals(saved)).toBe(true);
  });

  it('compiles the source when the cache is damaged, cut short or for another V8, and replaces it', () => {
    const cacheFile = join(dir, 'root-b', 'sum.cache');
    requireWithCodeCache(writeModule('module-b.cjs'), cacheFile).saveCache();
    const good = readFileSync(cacheFile);
    const damaged = Buffer.from(good);
    for (let index = good.length >> 1; index < good.length; index += 1) damaged[index] = damaged[index]! ^ 0x5a;
    const otherVersion = Buffer.from(good);
    otherVersion.writeUInt32LE(otherVersion.readUInt32LE(4) ^ 1, 4);
    for (const [index, bad] of [damaged, good.subarray(0, good.length >> 1), otherVersion].entries()) {
      writeFileSync(cacheFile, bad);
      // The same source under another name: V8 would take a file it compiled in this process
      // from its own memory, without reading the cache.
      const module = requireWithCodeCache(writeModule(`module-b${index}.cjs`), cacheFile);
      expect(module.cacheUsed).toBe(false);
      expect((module.exports.sum as (values: number[]) => number)([2, 2])).toBe(4);
      module.saveCache();
      expect(requireWithCodeCache(writeModule(`module-b${index}-again.cjs`), cacheFile).cacheUsed).toBe(true);
    }
  });

  it('runs without a cache file, and a cache that cannot be written is no error', () => {
    const file = writeModule('module-c.cjs');
    const uncached = requireWithCodeCache(file, undefined);
    expect(uncached.cacheUsed).toBe(false);
    uncached.saveCache();
    // The cache root is a file, so no folder can be made in it.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, '');
    const cacheFile = codeCacheFile(blocked, file, 'sum');
    const module = requireWithCodeCache(file, cacheFile);
    expect(() => module.saveCache()).not.toThrow();
    expect(existsSync(cacheFile)).toBe(false);
  });

  it('requires the file when source maps are on, so that stacks name the sources', () => {
    const file = join(dir, 'mapped.cjs');
    const typescript = ['export function boom(): never {', "  throw new Error('boom');", '}', ''].join('\n');
    writeFileSync(file, transformSync(typescript, { loader: 'ts', format: 'cjs', sourcemap: 'inline', sourcefile: 'boom.ts' }).code);
    const cacheFile = join(dir, 'root-mapped', 'boom.cache');
    // In a process of its own: the test runner formats stacks itself.
    const script = [
      `const { requireWithCodeCache } = await import(${JSON.stringify(pathToFileURL(repoPath('dist', 'base', 'code-cache.js')).href)});`,
      `const module = requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cacheFile)});`,
      'try { module.exports.boom(); } catch (error) { console.log(error.stack); }',
      'module.saveCache();',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('boom.ts:2:');
    expect(existsSync(cacheFile)).toBe(false);
  });

  it('keeps the three most recently written folders of other files beside its own', () => {
    const root = join(dir, 'root-d');
    for (const [index, name] of ['old-1', 'old-2', 'old-3', 'old-4'].entries()) {
      mkdirSync(join(root, name), { recursive: true });
      const writtenAt = new Date(Date.UTC(2026, 0, 1 + index));
      utimesSync(join(root, name), writtenAt, writtenAt);
    }
    const file = writeModule('module-d.cjs');
    const cacheFile = codeCacheFile(root, file, 'sum');
    requireWithCodeCache(file, cacheFile).saveCache();
    expect(readdirSync(root).sort()).toEqual(['module-d.cjs-' + `${process.version}-${process.arch}`, 'old-2', 'old-3', 'old-4'].sort());
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
  });
});

describe('codeCacheFile and codeCacheRoot', () => {
  it('keys a cache by file name, Node version and what the run does, in one folder level', () => {
    const root = join(dir, 'keys');
    expect(codeCacheFile(root, '/x/secfix-AB12.cjs', 'import-nvd')).toBe(join(root, `secfix-AB12.cjs-${process.version}-${process.arch}`, 'import-nvd.cache'));
    expect(codeCacheFile(root, '/x/secfix-AB12.cjs', '../../etc/passwd')).toBe(join(root, `secfix-AB12.cjs-${process.version}-${process.arch}`, '______etc_passwd.cache'));
  });

  it('is $SECFIX_CODE_CACHE, else under $XDG_CACHE_HOME or ~/.cache, and off when asked', () => {
    expect(codeCacheRoot({ SECFIX_CODE_CACHE: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(codeCacheRoot({ SECFIX_CODE_CACHE: 'off', HOME: '/h' })).toBeUndefined();
    expect(codeCacheRoot({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/secfix/code');
    expect(codeCacheRoot({ HOME: '/h' })).toBe('/h/.cache/secfix/code');
    expect(codeCacheRoot({})).toBeUndefined();
  });
});

describe('bin/secfix.js with a code cache', () => {
  it('saves a cache per command on the first call and answers the same from it', () => {
    const root = join(dir, 'cli');
    const env = { ...process.env, SECFIX_CODE_CACHE: root };
    const call = () => spawnSync(process.execPath, [repoPath('bin', 'secfix.js'), 'version', 'compare', '1.2.3_rc1-r2', '1.2.3-r0'], { env, encoding: 'utf8' });
    const first = call();
    expect(first).toMatchObject({ status: 0, stdout: '<\n', stderr: '' });
    const [folder, ...others] = readdirSync(root);
    expect(others).toEqual([]);
    expect(folder).toMatch(new RegExp(`^secfix-\\w+\\.cjs-${process.version.replace(/\./g, '\\.')}-${process.arch}$`));
    expect(readdirSync(join(root, folder!))).toEqual(['version-compare.cache']);
    const cacheFile = join(root, folder!, 'version-compare.cache');
    const saved = statSync(cacheFile).mtimeMs;
    expect(call()).toMatchObject({ status: 0, stdout: '<\n', stderr: '' });
    expect(statSync(cacheFile).mtimeMs).toBe(saved);
    // A damaged cache is compiled around and replaced, not run.
    const good = readFileSync(cacheFile);
    const damaged = good.map((byte, index) => (index < 64 ? byte : byte ^ 0x5a));
    writeFileSync(cacheFile, damaged);
    expect(call()).toMatchObject({ status: 0, stdout: '<\n', stderr: '' });
    expect(readFileSync(cacheFile).equals(damaged)).toBe(false);
    const replaced = statSync(cacheFile).mtimeMs;
    expect(call()).toMatchObject({ status: 0, stdout: '<\n', stderr: '' });
    expect(statSync(cacheFile).mtimeMs).toBe(replaced);
  });
});
