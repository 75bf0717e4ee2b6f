import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputErrorFrom, inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { parseSecdbForBranch, readSecdbSources, secdbSecurityData } from './secdb-files.js';

const SECDB = repoPath('data', 'alpine-sample', 'secdb');
const dir = mkdtempSync(join(tmpdir(), 'secfix-secdb-files-'));

describe('reading secdb files for a branch', () => {
  it('reads a folder in the v3.16/main.json layout: six files, three branches', async () => {
    const sources = await readSecdbSources([SECDB]);
    expect(sources.map((source) => source.path.slice(SECDB.length + 1))).toEqual([
      'v3.14/community.json',
      'v3.14/main.json',
      'v3.16/community.json',
      'v3.16/main.json',
      'v3.17/community.json',
      'v3.17/main.json',
    ]);
    const { files, branches } = parseSecdbForBranch(sources, '3.16');
    expect(branches).toEqual(['3.14', '3.16', '3.17']);
    expect(files.map((file) => [file.document.branch, file.document.repo])).toEqual([['3.16', 'community'], ['3.16', 'main']]);
  });

  it("goes by each document's distroversion, not its file name", async () => {
    // v3.17's main.json under a name that says 3.16: it still counts for 3.17 only.
    const flat = join(dir, 'flat');
    mkdirSync(flat);
    copyFileSync(join(SECDB, 'v3.17', 'main.json'), join(flat, 'v3.16-main.json'));
    const sources = await readSecdbSources([flat]);
    expect(parseSecdbForBranch(sources, '3.16').files).toEqual([]);
    const data = secdbSecurityData(parseSecdbForBranch(sources, '3.17').files, '3.17');
    // v3.17 lists busybox 1.35.0-r30 for CVE-2023-42366 (v3.16 says 1.35.0-r18).
    expect(data?.fixes.get('busybox')?.find((line) => line.id === 'CVE-2023-42366')).toEqual({ version: '1.35.0-r30', id: 'CVE-2023-42366', repo: 'main' });
  });

  it('only peeks at other branches, but still reports a file it cannot read as a secdb document', () => {
    // Valid JSON for another branch with a broken package list is never needed for 3.16.
    const otherBranch = { path: 'other.json', bytes: Buffer.from('{"distroversion":"v3.17","reponame":"main","packages":[1]}') };
    expect(parseSecdbForBranch([otherBranch], '3.16')).toEqual({ files: [], branches: ['3.17'] });
    // The same problem for the scanned branch is reported with its place.
    const sameBranch = { path: 'same.json', bytes: Buffer.from('{"distroversion":"v3.16","reponame":"main","packages":[1]}') };
    expect(inputErrorFrom(() => parseSecdbForBranch([sameBranch], '3.16')).message).toBe('same.json: $.packages[0]: expected a package object, found a number');
    // Malformed JSON declares nothing, so it is parsed fully and the syntax error named.
    const malformed = { path: 'bad.json', bytes: Buffer.from('{"distroversion": "v3.16",') };
    expect(inputErrorFrom(() => parseSecdbForBranch([malformed], '3.17')).problem).toMatch(/^malformed JSON/);
  });

  it('peeks at distroversion as parseSecdb reads it, and parses a document that does not say', () => {
    // The broken package lists show these documents are only peeked at.
    const declaring = (version: string) => ({ path: `${version}.json`, bytes: Buffer.from(`{"distroversion":"${version}","reponame":"main","packages":[1]}`) });
    expect(parseSecdbForBranch([declaring('v3.20'), declaring('edge')], '3.16')).toEqual({ files: [], branches: ['3.20', 'edge'] });
    const silent = { path: 'silent.json', bytes: Buffer.from('{"reponame":"main","packages":[1]}') };
    expect(inputErrorFrom(() => parseSecdbForBranch([silent], '3.16')).message).toMatch(/^silent\.json: /);
  });

  it('a folder without *.json files and a missing path are errors naming them', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README'), 'not json');
    expect((await inputErrorFromAsync(() => readSecdbSources([empty]))).message).toBe(`${empty}: no *.json secdb files in this folder`);
    expect((await inputErrorFromAsync(() => readSecdbSources([join(dir, 'nope')]))).message).toBe(`${join(dir, 'nope')}: no such file or folder`);
  });
});
