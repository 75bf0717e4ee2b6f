import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTE_KINDS } from '../engine/index.js';
import { loadMappingRules } from '../sources/config.js';
import { findStates, getDataVersion, readPageSummary, withWriteLock } from '../store/index.js';
import { type TestStore, backends, openTestStore, useTestStore } from '../test-support/databases.js';
import { repoPath } from '../test-support/paths.js';
import { importApkIndex, importNvd, importSecdb } from './import.js';
import {
  type HomeSummary,
  type QualitySummary,
  buildHomeSummary,
  buildNamesSummary,
  buildQualitySummary,
  buildQueueSummary,
  pageSummary,
  refreshPageSummaries,
} from './summaries.js';
import { HOME_SUMMARY, NAMES_SUMMARY, QUALITY_SUMMARY, QUEUE_SUMMARY } from './summary-names.js';
import { type OpenPairCount, recordTriage, recordTriageBatch } from './triage.js';
import { createToken, listTokens, revokeToken } from './tokens.js';
import { updateStates } from './update.js';
import {
  KEYS,
  NVD_2_0_SAMPLE,
  V316_COMMUNITY_SECDB,
  V316_MAIN_SECDB,
  editedIndex,
  importV316Index,
  indexWithVersion,
  nvdFeed,
  originOf,
  writeText,
} from './test-support/v316-sample.js';

/** A write that changes nothing but the data version, as an import on its own or a triage event does. */
const newDataVersion = (store: TestStore) => withWriteLock(store, () => Promise.resolve());

describe.each(backends)('%s page summaries', (backend) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(backend, { contents: 'demo' });
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('are built by update at the data version it leaves, as the pages would build them, and a rerun builds none', async () => {
    const rules = await loadMappingRules();
    await newDataVersion(store);
    await updateStates(store, { full: false, rules });
    const { version } = await getDataVersion(store.db);
    // JSON keeps what the pages read; the builders' answers compared the same way.
    const asStored = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    expect(await readPageSummary(store.db, HOME_SUMMARY, version)).toEqual(asStored(await buildHomeSummary(store.db)));
    expect(await readPageSummary(store.db, QUEUE_SUMMARY, version)).toEqual(asStored(await buildQueueSummary(store.db)));
    expect(await readPageSummary(store.db, QUALITY_SUMMARY, version)).toEqual(asStored(await buildQualitySummary(store.db, rules)));
    expect(await readPageSummary(store.db, NAMES_SUMMARY, version)).toEqual(asStored(await buildNamesSummary(store.db)));
    expect(await refreshPageSummaries(store, rules)).toEqual([]);
    expect((await getDataVersion(store.db)).version).toBe(version);
  });

  it('are not read at another data version: the caller builds its own', async () => {
    const rules = await loadMappingRules();
    await refreshPageSummaries(store, rules);
    await newDataVersion(store);
    const { version } = await getDataVersion(store.db);
    expect(await readPageSummary(store.db, HOME_SUMMARY, version)).toBeUndefined();
    const built = { counts: [], vulnerableDeltas: [] };
    expect(await pageSummary(store.db, HOME_SUMMARY, version, () => Promise.resolve(built))).toBe(built);
    expect(await refreshPageSummaries(store, rules)).toEqual([HOME_SUMMARY, QUEUE_SUMMARY, QUALITY_SUMMARY, NAMES_SUMMARY]);
    expect(await pageSummary(store.db, HOME_SUMMARY, version, () => Promise.resolve(built))).toEqual(JSON.parse(JSON.stringify(await buildHomeSummary(store.db))));
  });

  it('are carried past each triage event to the version it leaves, the home open counts as a fresh build counts them', async () => {
    const rules = await loadMappingRules();
    await newDataVersion(store);
    await updateStates(store, { full: false, rules });
    const states = await findStates(store.db, {});
    const vulnerable = states.find((state) => state.state === 'vulnerable')!;
    const fixed = states.find((state) => state.state === 'fixed' && state.package !== vulnerable.package)!;
    const branch = fixed.branch;
    const author = 'ann@example.org';
    const { version: updated } = await getDataVersion(store.db);
    const unchanged = await Promise.all([QUEUE_SUMMARY, QUALITY_SUMMARY, NAMES_SUMMARY].map((name) => readPageSummary(store.db, name, updated)));
    const byPlace = (rows: readonly OpenPairCount[]) => [...rows].sort((a, b) => `${a.branch} ${a.repo} ${a.maintainer}`.localeCompare(`${b.branch} ${b.repo} ${b.maintainer}`));
    const steps: (() => Promise<unknown>)[] = [
      () => recordTriage(store, { packages: [vulnerable.package], vulnerabilities: [vulnerable.vulnerabilityId], status: 'not-affected', justification: 'component-not-present' }, author),
      () => recordTriage(store, { packages: [fixed.package], vulnerabilities: [fixed.vulnerabilityId], status: 'affected' }, author),
      () => recordTriage(store, { packages: [fixed.package], vulnerabilities: [fixed.vulnerabilityId], status: 'under-investigation', branches: [branch] }, author),
      () => recordTriage(store, { packages: [vulnerable.package], vulnerabilities: [vulnerable.vulnerabilityId], status: 'withdrawn' }, author),
      // No computed state: the pair is open wherever the package is, once someone says affected.
      () => recordTriage(store, { packages: [vulnerable.package], vulnerabilities: ['CVE-2099-0001'], status: 'affected' }, author),
      () =>
        recordTriageBatch(
          store,
          [
            { packages: [vulnerable.package, fixed.package], vulnerabilities: [vulnerable.vulnerabilityId, 'CVE-2099-0001'], status: 'fix-not-planned', note: 'upstream gone' },
            { packages: [fixed.package], vulnerabilities: [fixed.vulnerabilityId], status: 'withdrawn', branches: [branch] },
          ],
          author,
        ),
    ];
    let opened = 0;
    for (const step of steps) {
      const before = (await readPageSummary(store.db, HOME_SUMMARY, (await getDataVersion(store.db)).version)) as HomeSummary;
      await step();
      const { version } = await getDataVersion(store.db);
      const carried = (await readPageSummary(store.db, HOME_SUMMARY, version)) as HomeSummary | undefined;
      const built = JSON.parse(JSON.stringify(await buildHomeSummary(store.db))) as HomeSummary;
      expect(carried).toBeDefined();
      expect({ ...carried!, open: byPlace(carried!.open) }).toEqual({ ...built, open: byPlace(built.open) });
      if (JSON.stringify(byPlace(before.open)) !== JSON.stringify(byPlace(built.open))) opened += 1;
      expect(await Promise.all([QUEUE_SUMMARY, QUALITY_SUMMARY, NAMES_SUMMARY].map((name) => readPageSummary(store.db, name, version)))).toEqual(unchanged);
    }
    // The events did move the open counts: the carried ones were not just the old ones.
    expect(opened).toBeGreaterThanOrEqual(4);
  });

  it('are carried past token writes, which change nothing they are built from, but not past a stale version', async () => {
    await updateStates(store, { full: false, rules: await loadMappingRules() });
    await refreshPageSummaries(store, await loadMappingRules());
    const names = [HOME_SUMMARY, QUEUE_SUMMARY, QUALITY_SUMMARY, NAMES_SUMMARY];
    const summariesAt = async (version: number) => Promise.all(names.map((name) => readPageSummary(store.db, name, version)));
    const current = await summariesAt((await getDataVersion(store.db)).version);
    expect(current).not.toContain(undefined);
    const writes = [
      () => createToken(store, { name: 'carry', role: 'security-team', email: null }, 'ann@example.org'),
      () => listTokens(store, 'ann@example.org'),
      () => revokeToken(store, 'carry', 'ann@example.org'),
    ];
    for (const write of writes) {
      const { version } = await getDataVersion(store.db);
      await write();
      expect((await getDataVersion(store.db)).version).toBe(version + 1);
      expect(await summariesAt(version + 1)).toEqual(current);
    }
    // Revoking no token moves nothing.
    const { version } = await getDataVersion(store.db);
    expect(await revokeToken(store, 'absent', 'ann@example.org')).toBe(false);
    expect((await getDataVersion(store.db)).version).toBe(version);
    expect(await summariesAt(version)).toEqual(current);
    // After a write that does change the data, a token write does not make the stale summaries current.
    await newDataVersion(store);
    await revokeToken(store, 'absent', 'ann@example.org');
    expect(await summariesAt((await getDataVersion(store.db)).version)).toEqual(names.map(() => undefined));
    await listTokens(store, 'ann@example.org');
    expect(await summariesAt((await getDataVersion(store.db)).version)).toEqual(names.map(() => undefined));
  });
});

const SAMPLE = ['data', 'alpine-sample'] as const;
const V317_INDEX = repoPath(...SAMPLE, 'apkindex', 'v3.17-main-aarch64', 'APKINDEX.tar.gz');
const dir = mkdtempSync(join(tmpdir(), 'secfix-summaries-'));

/** A secdb file with `edit` applied to its first package that has secfixes, as JSON text. */
function editedSecdb(location: string, edit: (secfixes: Record<string, string[] | null>) => void): string {
  const document = JSON.parse(readFileSync(location, 'utf8')) as { packages: { pkg: { secfixes: Record<string, string[] | null> | null } }[] };
  const secfixes = document.packages.find((entry) => entry.pkg.secfixes !== null)?.pkg.secfixes;
  if (secfixes === undefined || secfixes === null) throw new Error(`${location} has no package with secfixes`);
  edit(secfixes);
  return JSON.stringify(document);
}

describe.each(backends)('%s quality summary of an incremental update', (backend) => {
  const store = useTestStore(backend);
  const file = (name: string, text: string) => writeText(dir, `${backend}-${name}`, text);

  it('equals a full rebuild after each round of imports, whatever packages, branches, records or rules the round touched', async () => {
    const rules = await loadMappingRules();
    const asStored = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    const rounds: readonly (readonly [string, () => Promise<unknown>])[] = [
      ['the 3.16 index and main secdb, the 2023 NVD feed', async () => {
        await importV316Index(store());
        await importSecdb(store(), { location: V316_MAIN_SECDB });
        await importNvd(store(), { location: nvdFeed(2023) });
      }],
      ['a second branch: the 3.17 index and secdbs', async () => {
        await importApkIndex(store(), { branch: '3.17', repo: 'main', location: V317_INDEX, keysDir: KEYS });
        await importSecdb(store(), { location: repoPath(...SAMPLE, 'secdb', 'v3.17', 'main.json') });
        await importSecdb(store(), { location: repoPath(...SAMPLE, 'secdb', 'v3.17', 'community.json') });
      }],
      ['NVD records that change', () => importNvd(store(), { location: NVD_2_0_SAMPLE })],
      ['a repository without an index', () => importSecdb(store(), { location: V316_COMMUNITY_SECDB })],
      ['one package of 3.16 main with a bad id and an invalid version', () =>
        importSecdb(store(), {
          location: file('main.json', editedSecdb(V316_MAIN_SECDB, (secfixes) => {
            secfixes['1.9.5p2-r0'] = ['NOT-AN-ID'];
          })),
        })],
      ['the bad id taken back', () =>
        importSecdb(store(), {
          location: file('main.json', editedSecdb(V316_MAIN_SECDB, (secfixes) => {
            secfixes['1.9.5p2-r0'] = ['CVE-2021-3156'];
          })),
        })],
      ['an origin of 3.16 built at another version', () =>
        importApkIndex(store(), { branch: '3.16', repo: 'main', location: file('APKINDEX', indexWithVersion('busybox', '1.35.0-r17', '1.35.0-r18')) })],
    ];
    const reports = new Set<string>();
    const noteCounts = new Set<number>();
    for (const [round, run] of rounds) {
      await run();
      await updateStates(store(), { full: false, rules });
      const stored = await readPageSummary(store().db, QUALITY_SUMMARY, (await getDataVersion(store().db)).version);
      expect(stored, round).toEqual(asStored(await buildQualitySummary(store().db, rules)));
      reports.add(JSON.stringify(stored));
      noteCounts.add((stored as QualitySummary).findings.filter((finding) => NOTE_KINDS.has(finding.kind)).length);
    }
    // Every round changed the report, so each was a merge of kept and rechecked findings.
    expect(reports.size).toBe(rounds.length);
    // The pairs to confirm changed too, so they were merged from the update's writes as well.
    expect(noteCounts.size).toBeGreaterThan(1);
    await importNvd(store(), { location: nvdFeed(2023) });
    await updateStates(store(), { full: true, rules });
    expect(await readPageSummary(store().db, QUALITY_SUMMARY, (await getDataVersion(store().db)).version), 'full update').toEqual(asStored(await buildQualitySummary(store().db, rules)));
    const narrower = { ...rules, products: rules.products.slice(1) };
    await importSecdb(store(), { location: file('main.json', editedSecdb(V316_MAIN_SECDB, (secfixes) => (secfixes['0'] = ['CVE-2000-0001']))) });
    await updateStates(store(), { full: false, rules: narrower });
    expect(await readPageSummary(store().db, QUALITY_SUMMARY, (await getDataVersion(store().db)).version), 'other rules').toEqual(asStored(await buildQualitySummary(store().db, narrower)));
  });

  it('reads the versions of an origin that left the index as seen, as a full rebuild does', async () => {
    const rules = await loadMappingRules();
    const asStored = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await updateStates(store(), { full: false, rules });
    // busybox leaves 3.16 main: its versions stay seen, published by no index.
    await importApkIndex(store(), { branch: '3.16', repo: 'main', location: file('APKINDEX', editedIndex((stanza) => (originOf(stanza) === 'busybox' ? undefined : stanza))) });
    await updateStates(store(), { full: false, rules });
    const stored = (await readPageSummary(store().db, QUALITY_SUMMARY, (await getDataVersion(store().db)).version)) as QualitySummary;
    expect(stored).toEqual(asStored(await buildQualitySummary(store().db, rules)));
    expect(stored.findings.filter((finding) => finding.package === 'busybox' && finding.kind === 'package-not-in-index')).toEqual([]);
  });
});
