import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isGzip, readInput, readInputBytes, streamInput } from './file.js';
import { inputErrorFromAsync } from '../test-support/input-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-file-'));
const text = 'P:busybox\nV:1.35.0-r17\n\n'.repeat(2000);
const plainPath = join(dir, 'APKINDEX');
const gzPath = join(dir, 'named-without-suffix');
writeFileSync(plainPath, text);
writeFileSync(gzPath, gzipSync(text));

async function collect(path: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of streamInput(path)) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('streamInput', () => {
  it('reads plain files unchanged', async () => {
    expect(await collect(plainPath)).toBe(text);
  });

  it('gunzips by content, whatever the name', async () => {
    expect(isGzip(readFileSync(gzPath))).toBe(true);
    expect(await collect(gzPath)).toBe(text);
    expect((await readInput(gzPath)).toString('utf8')).toBe(text);
  });

  it('names a missing file', async () => {
    const error = await inputErrorFromAsync(() => collect(join(dir, 'missing.json')));
    expect(error.source).toBe(join(dir, 'missing.json'));
    expect(error.problem).toBe('no such file');
  });

  it('refuses a directory', async () => {
    const error = await inputErrorFromAsync(() => collect(dir));
    expect(error.problem).toMatch(/directory/);
  });

  it('reports truncated gzip with a byte place', async () => {
    const whole = gzipSync(text);
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await inputErrorFromAsync(() => collect(cut));
    expect(error.problem).toBe('truncated gzip data');
    expect(error.place).toMatch(/^byte \d+$/);
  });

  it('reports corrupt gzip data', async () => {
    const whole = gzipSync(text);
    whole[20] = (whole[20]! ^ 0xff) & 0xff;
    whole[21] = (whole[21]! ^ 0xff) & 0xff;
    const bad = join(dir, 'bad.gz');
    writeFileSync(bad, whole);
    const error = await inputErrorFromAsync(() => collect(bad));
    expect(error.problem).toMatch(/gzip/);
  });
});

describe('readInputBytes', () => {
  it('returns raw bytes without decompressing', async () => {
    expect(isGzip(await readInputBytes(gzPath))).toBe(true);
  });
});
