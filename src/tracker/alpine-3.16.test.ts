import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V316_MAIN_EXPECTED, V316_REJECTIONS_YAML } from '../engine/test-support/alpine-3.16-expected.js';
import { findStates } from '../store/index.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { type UpdateSummary, updateStates } from './update.js';
import { NVD_2_0_SAMPLE, bundledRules, importV316, nvdFeed, sampleNvdFiles, stateOf, writeText } from './test-support/v316-sample.js';
import { repoPath } from '../test-support/paths.js';

/*
 * The hand-derived proof table of v3.16 main (src/engine/test-support/alpine-3.16-expected.ts),
 * this time through everything the tracker does: the signed index, both secdb files, every NVD
 * file of the sample in the demo's order (1.1 feeds, then the 2.0 sample), the table's rejection
 * from a YAML file, the store, and an incremental `update` with the bundled rules. The engine test
 * proves the same rows on plain data, so a difference here is the tracker's.
 */

const dir = mkdtempSync(join(tmpdir(), 'secfix-alpine-316-'));
const REJECTIONS = writeText(dir, 'rejections.yaml', V316_REJECTIONS_YAML);

describe('the NVD files the table is checked with', () => {
  it('are every 1.1 feed of the sample, oldest first, then the 2.0 sample (whose newer copies win)', async () => {
    const years = readdirSync(repoPath('data', 'alpine-sample', 'nvd', 'feed-1.1'))
      .map((name) => Number(/^nvdcve-1\.1-(\d{4})\.json$/.exec(name)?.[1]))
      .sort((a, b) => a - b);
    expect(await sampleNvdFiles()).toEqual([...years.map(nvdFeed), NVD_2_0_SAMPLE]);
  });
});

describe.each(backends)('%s v3.16 main through import and update', (backend) => {
  // One import per backend shared by every row: the rows only read.
  let store: TestStore;
  let summary: UpdateSummary;
  beforeAll(async () => {
    store = await openTestStore(backend);
    await importV316(store, { nvd: await sampleNvdFiles(), rejections: REJECTIONS });
    summary = await updateStates(store, { full: false, rules: await bundledRules() });
  });
  afterAll(async () => {
    await store?.dispose();
  });

  it('decided pairs in branch 3.16 only, after one update', async () => {
    // The first update, over no states, recomputes every pair: 3.16 is the only branch.
    expect(summary).toMatchObject({ mode: 'full', branches: 1 });
    expect(summary.pairs).toBeGreaterThan(V316_MAIN_EXPECTED.length);
    // Each pair's first state is a transition (null → state) with a history row.
    expect(summary.transitions).toBe(summary.written);
    const all = await findStates(store.db, {});
    expect(all.length).toBe(summary.written);
    expect(new Set(all.map((state) => state.branch))).toEqual(new Set(['3.16']));
  });

  it.each(V316_MAIN_EXPECTED)('$package $cve is $state: $why', async (row) => {
    const state = await stateOf(store, row.package, row.cve);
    expect({ state: state?.state, fixedVersion: state?.fixedVersion }).toEqual({ state: row.state, fixedVersion: row.fixedVersion });
  });

  it('stores the evidence the engine gives, with the rejection file as its source', async () => {
    // The rejection's source is the file's absolute path, as imported; its rationale the YAML comment.
    expect((await stateOf(store, 'python3', 'CVE-2007-4559'))?.evidence).toEqual([
      { kind: 'rejection', id: 'CVE-2007-4559', source: REJECTIONS, rationale: 'tarfile extracting outside the target is documented behaviour; callers must filter' },
    ]);
    // sudo lives in community (no index): its line is community's, and the repo publishes nothing.
    const sudo = await stateOf(store, 'sudo', 'CVE-2021-3156');
    expect(sudo).toMatchObject({ repo: 'community', version: null });
    expect(sudo?.evidence).toEqual([
      { kind: 'secfix', repo: 'community', version: '1.9.5p2-r0', text: 'CVE-2021-3156' },
      { kind: 'no-version', repo: 'community' },
      { kind: 'incomparable-version', version: '1.9.5p2-r0' },
    ]);
    // A published package's state records the version it was decided for (cups 2.4.2-r0 in the index).
    expect(await stateOf(store, 'cups', 'CVE-2008-1033')).toMatchObject({ repo: 'main', version: '2.4.2-r0' });
  });
});
