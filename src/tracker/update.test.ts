import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MappingRules } from '../engine/index.js';
import { V316_REJECTIONS_YAML } from '../engine/test-support/alpine-3.16-expected.js';
import { type NamedState, findStates, listDirty } from '../store/index.js';
import { type TestStore, backends, useTestStore } from '../test-support/databases.js';
import { importApkIndex, importNvd, importRejections, importSecdb } from './import.js';
import { dataDigest } from './test-support/store-digest.js';
import {
  NVD_2_0_SAMPLE,
  V316_COMMUNITY_SECDB,
  V316_INDEX_TEXT,
  V316_MAIN_SECDB,
  bundledRules,
  countRows,
  editedIndex,
  importV316Index,
  nvdFeed,
  originOf,
  stateDigest,
  stateOf,
  writeText,
} from './test-support/v316-sample.js';
import { updateStates } from './update.js';
import { listStateHistory } from '../store/test-support/history.js';

const dir = mkdtempSync(join(tmpdir(), 'secfix-update-'));
let rules: MappingRules;
beforeAll(async () => {
  rules = await bundledRules();
});

interface SecdbFile {
  packages: { pkg: { name: string; secfixes: Record<string, string[] | null> | null } }[];
}

/** The v3.16 main secdb with `edit` applied to one package's secfixes, as JSON text. */
function editedSecdb(pkg: string, edit: (secfixes: Record<string, string[] | null>) => void): string {
  const document = JSON.parse(readFileSync(V316_MAIN_SECDB, 'utf8')) as SecdbFile;
  const secfixes = document.packages.find((entry) => entry.pkg.name === pkg)?.pkg.secfixes;
  if (!secfixes) throw new Error(`${pkg} has secfixes in the v3.16 main sample`);
  edit(secfixes);
  return JSON.stringify(document);
}

/** The pair's state, fixed version and evidence: what must come back when the inputs come back. */
const decision = (state: NamedState | undefined) => ({ state: state?.state, fixedVersion: state?.fixedVersion, evidence: state?.evidence });

describe.each(backends)('%s updateStates', (backend) => {
  const store = useTestStore(backend);
  const update = (full = false) => updateStates(store(), { full, rules });
  /** One file per test and backend whose content the test rewrites: the same source, changed. */
  const file = (name: string, text: string) => writeText(dir, `${backend}-${name}`, text);

  it('does nothing without dirty marks, on an empty database and after an update', async () => {
    // Nothing imported: nothing is dirty, so the incremental update returns before any branch.
    expect(await update()).toMatchObject({ mode: 'incremental', branches: 0, originsRecomputed: 0, pairs: 0, written: 0, deleted: 0 });
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    expect((await update()).pairs).toBeGreaterThan(0);
    // The update cleared the marks it consumed; re-importing an unchanged file marks nothing.
    expect(await listDirty(store().db, 'package')).toEqual([]);
    expect(await importSecdb(store(), { location: V316_MAIN_SECDB })).toMatchObject({ status: 'unchanged' });
    const before = await dataDigest(store());
    expect(await update()).toMatchObject({ branches: 0, originsRecomputed: 0, pairs: 0, written: 0, transitions: 0, deleted: 0 });
    expect(await dataDigest(store())).toBe(before);
  });

  it('recomputes every pair on the first update, over no states, and only what the marks name after', async () => {
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    const first = await update();
    expect(first).toMatchObject({ mode: 'full', branches: 1 });
    // Every published origin (1543 in the index), as --full looks at, and no mark left behind.
    expect(first.originsRecomputed).toBeGreaterThanOrEqual(1543);
    expect(first.written).toBe(await countRows(store(), 'state'));
    expect(await listDirty(store().db, 'package')).toEqual([]);
    expect(await listDirty(store().db, 'vulnerability')).toEqual([]);
    await importSecdb(store(), { location: file('first-update.json', editedSecdb('openssl', (secfixes) => delete secfixes['1.1.1j-r0'])) });
    expect(await update()).toMatchObject({ mode: 'incremental', branches: 1, originsRecomputed: 1 });
  });

  it('--full after an incremental update writes nothing and leaves the same tables', async () => {
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    // The first update is full (see above): the incremental one follows the marks the next imports leave.
    await update();
    await importSecdb(store(), { location: V316_COMMUNITY_SECDB });
    await importNvd(store(), { location: nvdFeed(2023) });
    await importNvd(store(), { location: NVD_2_0_SAMPLE });
    expect(await update()).toMatchObject({ mode: 'incremental', branches: 1 });
    const before = await dataDigest(store());
    const full = await update(true);
    // Same per-origin computation: every pair decided again, none different, so no write, no history row.
    expect(full).toMatchObject({ mode: 'full', branches: 1, written: 0, transitions: 0, deleted: 0 });
    expect(full.pairs).toBe(await countRows(store(), 'state'));
    // The full update looks at every published origin (1543 in the index), the incremental one at the dirty ones.
    expect(full.originsRecomputed).toBeGreaterThanOrEqual(1543);
    expect(await dataDigest(store())).toBe(before);
  });

  it('builds the state indexes after the states over no states, and one that fails mid-way leaves them in place', async () => {
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    const indexes = await stateIndexes(store());
    expect(indexes.length).toBeGreaterThanOrEqual(3);
    const marks = await listDirty(store().db, 'package');
    // Fails only while the indexes are missing: this failing proves the update had dropped them.
    await failStateInsertsWithoutIndexes(store());
    try {
      await expect(update()).rejects.toThrow(/injected failure/);
      expect(await stateIndexes(store())).toEqual(indexes);
      expect(await countRows(store(), 'state')).toBe(0);
      expect(await listDirty(store().db, 'package')).toEqual(marks);
      await expect(update(true)).rejects.toThrow(/injected failure/);
      expect(await stateIndexes(store())).toEqual(indexes);
    } finally {
      await removeInjectedFailure(store());
    }
    const first = await update();
    expect(first.written).toBe(await countRows(store(), 'state'));
    expect(await stateIndexes(store())).toEqual(indexes);
    // Over stored states the indexes stay.
    await failStateInsertsWithoutIndexes(store());
    try {
      await importNvd(store(), { location: nvdFeed(2023) });
      expect((await update()).written).toBeGreaterThan(0);
      expect((await update(true)).pairs).toBe(await countRows(store(), 'state'));
    } finally {
      await removeInjectedFailure(store());
    }
    expect(await stateIndexes(store())).toEqual(indexes);
  });

  /** Runs the import steps twice: updating after each one, then from scratch with one full update at the end. */
  async function incrementalAndFull(steps: readonly (() => Promise<unknown>)[]) {
    for (const step of steps) {
      await step();
      await update();
    }
    const incremental = await stateDigest(store());
    await store().reset();
    for (const step of steps) await step();
    await update(true);
    return { incremental, full: await stateDigest(store()) };
  }

  it('gives the same states updating after each import as one full update at the end', async () => {
    // NVD before any index (no branch yet: its marks are consumed with nothing to decide), then the
    // index, the secdb files, more NVD, a rejection, and a second index snapshot that moves
    // busybox to a newer build and drops vim: every kind of dirty mark, in an awkward order.
    const rejections = file('sequence-rejections.yaml', V316_REJECTIONS_YAML);
    const newerIndex = file(
      'sequence-APKINDEX',
      editedIndex((stanza) => (originOf(stanza) === 'vim' ? undefined : originOf(stanza) === 'busybox' ? stanza.replace('\nV:1.35.0-r17\n', '\nV:1.35.0-r18\n') : stanza)),
    );
    const { incremental, full } = await incrementalAndFull([
      () => importNvd(store(), { location: nvdFeed(2023) }),
      () => importV316Index(store()),
      () => importSecdb(store(), { location: V316_MAIN_SECDB }),
      () => importNvd(store(), { location: nvdFeed(2022) }),
      () => importSecdb(store(), { location: V316_COMMUNITY_SECDB }),
      () => importRejections(store(), { location: rejections }),
      () => importNvd(store(), { location: nvdFeed(2007) }),
      () => importNvd(store(), { location: NVD_2_0_SAMPLE }),
      () => importApkIndex(store(), { branch: '3.16', repo: 'main', location: newerIndex }),
    ]);
    expect(full.rows).toBeGreaterThan(0);
    expect(incremental).toEqual(full);
    // The last snapshot did change things: busybox reached its fix. vim publishes nothing now: its
    // secfix pairs cannot be judged (unknown), and CVE-2023-2426, NVD's alone, no longer names it.
    expect(await stateOf(store(), 'busybox', 'CVE-2023-42366')).toMatchObject({ state: 'fixed', version: '1.35.0-r18' });
    const vim = await findStates(store().db, { package: 'vim' });
    expect(vim.length).toBeGreaterThan(0);
    expect(vim.every((state) => state.state === 'unknown' && state.version === null && state.fixedVersion !== null)).toBe(true);
    expect(await stateOf(store(), 'vim', 'CVE-2023-2426')).toBeUndefined();
  });

  // When an origin leaves (or joins) the index, the CPE names it answered may fall back to (or away
  // from) a language-prefixed origin: without curl, haxx:curl and haxx:libcurl map to lua-curl
  // (src/engine/cpe-mapping.ts). Only curl is marked dirty, so update must recompute such origins too.
  it('gives another origin the pairs a changed CPE mapping moves to it, and takes them back', async () => {
    const withoutCurl = file('no-curl-APKINDEX', editedIndex((stanza) => (originOf(stanza) === 'curl' ? undefined : stanza)));
    const luaCurl = async () => (await findStates(store().db, { package: 'lua-curl' })).map((state) => `${state.vulnerabilityId} ${state.state}`);
    for (const step of [() => importV316Index(store()), () => importNvd(store(), { location: nvdFeed(2023) })]) {
      await step();
      await update();
    }
    expect(await luaCurl()).toEqual([]);
    await importApkIndex(store(), { branch: '3.16', repo: 'main', location: withoutCurl });
    await update();
    // lua-curl 0.3.13-r0 now answers for the curl CVEs of 2023: CVE-2023-28319 (< 8.1.0) holds it.
    const gained = await luaCurl();
    expect(gained).toContain('CVE-2023-28319 vulnerable');
    // The full update finds nothing the incremental one missed.
    expect((await update(true)).written).toBe(0);
    // curl comes back: the names map to curl again and lua-curl's pairs go.
    await importV316Index(store());
    await update();
    expect(await luaCurl()).toEqual([]);
    expect((await update(true)).written).toBe(0);
  });

  // A rebuild that adds or drops binary packages keeps the origin's version, yet a CPE product
  // may name one of those binaries (haxx:libcurl for curl's libcurl): the pairs must follow.
  it('follows an index that changes only the binaries of a version', async () => {
    const nameOf = (stanza: string) => /^P:(.*)$/m.exec(stanza)?.[1];
    const originsOnly = file('origins-only-APKINDEX', editedIndex((stanza) => (nameOf(stanza) === originOf(stanza) ? stanza : undefined)));
    await importApkIndex(store(), { branch: '3.16', repo: 'main', location: originsOnly });
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await importNvd(store(), { location: nvdFeed(2023) });
    await update();
    const before = await stateDigest(store());
    await importV316Index(store());
    await update();
    expect(await stateDigest(store())).not.toEqual(before);
    expect((await update(true)).written).toBe(0);
  });

  it("refreshes the planner's statistics after an update that writes a tenth of the states, on PostgreSQL only", async () => {
    // PostgreSQL counts manual ANALYZE runs per table; SQLite keeps statistics only in sqlite_stat tables.
    const analyses = async () =>
      backend === 'postgres'
        ? Number((await sql<{ count: number }>`select analyze_count as count from pg_stat_user_tables where relname = 'state'`.execute(store().db)).rows[0]?.count)
        : Number((await sql<{ count: number }>`select count(*) as count from sqlite_master where name like 'sqlite_stat%'`.execute(store().db)).rows[0]?.count);
    const secdb = file('statistics-main.json', readFileSync(V316_MAIN_SECDB, 'utf8'));
    await importV316Index(store());
    await importSecdb(store(), { location: secdb });
    const before = await analyses();
    expect((await update()).written).toBe(await countRows(store(), 'state'));
    const afterFirst = await analyses();
    expect(afterFirst).toBe(backend === 'postgres' ? before + 1 : 0);
    // One package's secfixes change: a pair or two of thousands, no refresh.
    file('statistics-main.json', editedSecdb('openssl', (secfixes) => (secfixes['1.1.1s-r1'] = ['CVE-2022-2097'])));
    await importSecdb(store(), { location: secdb });
    expect((await update()).transitions).toBe(1);
    expect(await analyses()).toBe(afterFirst);
  });

  it('follows a regression re-fix in the secdb to vulnerable and back to fixed', async () => {
    const secdb = file('regression-main.json', readFileSync(V316_MAIN_SECDB, 'utf8'));
    await importV316Index(store());
    await importSecdb(store(), { location: secdb });
    await update();
    // openssl lists CVE-2022-2097 under 1.1.1q-r0; the index publishes 1.1.1s-r0.
    const fixed = await stateOf(store(), 'openssl', 'CVE-2022-2097');
    expect(fixed).toMatchObject({ state: 'fixed', version: '1.1.1s-r0', fixedVersion: '1.1.1q-r0' });

    // The fix regressed and is listed again under a build above the published one.
    file('regression-main.json', editedSecdb('openssl', (secfixes) => (secfixes['1.1.1s-r1'] = ['CVE-2022-2097'])));
    expect((await importSecdb(store(), { location: secdb })).counts).toMatchObject({ added: 1, removed: 0, changedPackages: 1 });
    // Only openssl's secfixes changed, so only openssl is recomputed.
    expect(await update()).toMatchObject({ originsRecomputed: 1, transitions: 1, deleted: 0 });
    const vulnerable = await stateOf(store(), 'openssl', 'CVE-2022-2097');
    // Only the newest fix counts: 1.1.1s-r1 is above 1.1.1s-r0. Both lines are the evidence, newest first.
    expect(vulnerable).toMatchObject({ state: 'vulnerable', version: '1.1.1s-r0', fixedVersion: '1.1.1s-r1' });
    expect(vulnerable?.evidence).toEqual([
      { kind: 'secfix', repo: 'main', version: '1.1.1s-r1', text: 'CVE-2022-2097' },
      { kind: 'secfix', repo: 'main', version: '1.1.1q-r0', text: 'CVE-2022-2097' },
      { kind: 'published-version', repo: 'main', version: '1.1.1s-r0' },
    ]);

    // The line is withdrawn: the pair goes back to exactly what it was.
    file('regression-main.json', readFileSync(V316_MAIN_SECDB, 'utf8'));
    expect((await importSecdb(store(), { location: secdb })).counts).toMatchObject({ added: 0, removed: 1 });
    expect(await update()).toMatchObject({ originsRecomputed: 1, transitions: 1 });
    expect(decision(await stateOf(store(), 'openssl', 'CVE-2022-2097'))).toEqual(decision(fixed));

    const history = await listStateHistory(store().db, fixed!);
    expect(history.map(({ oldState, newState, cause }) => ({ oldState, newState, cause }))).toEqual([
      { oldState: null, newState: 'fixed', cause: 'update' },
      { oldState: 'fixed', newState: 'vulnerable', cause: 'update' },
      { oldState: 'vulnerable', newState: 'fixed', cause: 'update' },
    ]);
  });

  it('follows the index: a newer build fixes the pair, and its leaving makes it vulnerable again', async () => {
    const index = file('snapshot-APKINDEX', readFileSync(V316_INDEX_TEXT, 'utf8'));
    const importIndex = () => importApkIndex(store(), { branch: '3.16', repo: 'main', location: index });
    await importIndex();
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await update();
    // busybox lists CVE-2023-42366 under 1.35.0-r18; the index has 1.35.0-r17.
    expect(await stateOf(store(), 'busybox', 'CVE-2023-42366')).toMatchObject({ state: 'vulnerable', version: '1.35.0-r17', fixedVersion: '1.35.0-r18' });

    // The next snapshot adds the r18 build of busybox beside r17: the newest published build speaks.
    file('snapshot-APKINDEX', editedIndex((stanza) => (originOf(stanza) === 'busybox' ? [stanza, stanza.replace('\nV:1.35.0-r17\n', '\nV:1.35.0-r18\n')] : stanza)));
    expect((await importIndex()).counts).toMatchObject({ versionsAdded: 1, versionsRemoved: 0, changedOrigins: 1 });
    expect(await update()).toMatchObject({ originsRecomputed: 1 });
    const fixed = await stateOf(store(), 'busybox', 'CVE-2023-42366');
    expect(fixed).toMatchObject({ state: 'fixed', version: '1.35.0-r18', fixedVersion: '1.35.0-r18' });

    // The r18 build leaves the index again (pulled): busybox is back at r17, so vulnerable.
    file('snapshot-APKINDEX', readFileSync(V316_INDEX_TEXT, 'utf8'));
    expect((await importIndex()).counts).toMatchObject({ versionsAdded: 0, versionsRemoved: 1, changedOrigins: 1 });
    await update();
    expect(await stateOf(store(), 'busybox', 'CVE-2023-42366')).toMatchObject({ state: 'vulnerable', version: '1.35.0-r17' });
    expect((await listStateHistory(store().db, fixed!)).map(({ oldState, newState }) => `${oldState}>${newState}`)).toEqual([
      'null>vulnerable',
      'vulnerable>fixed',
      'fixed>vulnerable',
    ]);
  });

  it('follows a package leaving the index: a secfix pair is kept as unknown, an NVD-only pair goes', async () => {
    const index = file('leaving-APKINDEX', readFileSync(V316_INDEX_TEXT, 'utf8'));
    const importIndex = () => importApkIndex(store(), { branch: '3.16', repo: 'main', location: index });
    await importIndex();
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await importNvd(store(), { location: nvdFeed(2023) });
    await update();
    // curl 7.83.1-r4 is published: CVE-2023-38545 has the line 8.4.0-r0; CVE-2023-32001 only NVD (7.84.0 to 8.1.2).
    expect(await stateOf(store(), 'curl', 'CVE-2023-38545')).toMatchObject({ state: 'vulnerable', version: '7.83.1-r4' });
    const nvdOnly = await stateOf(store(), 'curl', 'CVE-2023-32001');
    expect(nvdOnly).toMatchObject({ state: 'not-affected' });

    file('leaving-APKINDEX', editedIndex((stanza) => (originOf(stanza) === 'curl' ? undefined : stanza)));
    expect((await importIndex()).counts).toMatchObject({ versionsRemoved: 1, changedOrigins: 1 });
    const summary = await update();
    // Its secfixes still tie curl to main, but nothing is published to compare with the fix: unknown.
    expect(await stateOf(store(), 'curl', 'CVE-2023-38545')).toMatchObject({ state: 'unknown', version: null, fixedVersion: '8.4.0-r0' });
    // With no curl binary in the index, NVD's haxx criteria no longer name a package of the branch: the pair is gone.
    expect(await stateOf(store(), 'curl', 'CVE-2023-32001')).toBeUndefined();
    expect((await listStateHistory(store().db, nvdOnly!)).at(-1)).toMatchObject({ oldState: 'not-affected', newState: null, cause: 'update' });
    expect(summary.deleted).toBeGreaterThan(0);
  });

  it('follows a rejection in and out: rejected, then back to what NVD and secfixes say', async () => {
    const rejections = file('rejections.yaml', `${V316_REJECTIONS_YAML}\nopenssl:\n  - CVE-2022-2097\n`);
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await importNvd(store(), { location: nvdFeed(2007) });
    await update();
    // Before any rejection: NVD alone says python3 3.10.8 is in CVE-2007-4559's range; openssl's line fixes CVE-2022-2097.
    const python = await stateOf(store(), 'python3', 'CVE-2007-4559');
    const openssl = await stateOf(store(), 'openssl', 'CVE-2022-2097');
    expect(python).toMatchObject({ state: 'vulnerable', fixedVersion: null });
    expect(openssl).toMatchObject({ state: 'fixed', fixedVersion: '1.1.1q-r0' });

    expect((await importRejections(store(), { location: rejections })).counts).toMatchObject({ rejections: 2, changedPackages: 2 });
    // A rejection marks its package dirty in every branch (`*:`): exactly the two packages are recomputed.
    expect(await update()).toMatchObject({ originsRecomputed: 2, transitions: 2 });
    for (const [pkg, cve] of [['python3', 'CVE-2007-4559'], ['openssl', 'CVE-2022-2097']] as const) {
      expect(await stateOf(store(), pkg, cve)).toMatchObject({ state: 'rejected', fixedVersion: null, evidence: [{ kind: 'rejection', id: cve, source: rejections }] });
    }

    // The file emptied (a comment only) and imported again: the rejections are gone.
    file('rejections.yaml', '# nothing rejected any more\n');
    expect((await importRejections(store(), { location: rejections })).counts).toMatchObject({ rejections: 0, removed: 2 });
    await update();
    expect(decision(await stateOf(store(), 'python3', 'CVE-2007-4559'))).toEqual(decision(python));
    expect(decision(await stateOf(store(), 'openssl', 'CVE-2022-2097'))).toEqual(decision(openssl));
    expect((await listStateHistory(store().db, python!)).map(({ newState }) => newState)).toEqual(['vulnerable', 'rejected', 'vulnerable']);
  });

  it('deletes the pair whose only criterion a modified NVD record drops, recomputing only that CVE', async () => {
    await importV316Index(store());
    await importSecdb(store(), { location: V316_MAIN_SECDB });
    await importNvd(store(), { location: nvdFeed(2023) });
    await update();
    const cve = 'CVE-2023-48795';
    // dropbear has no secfix for it: only the dropbear_ssh criterion (< 2022.83) ties it to the CVE.
    const dropbear = await stateOf(store(), 'dropbear', cve);
    expect(dropbear).toMatchObject({ state: 'vulnerable', fixedVersion: null });
    const pairsBefore = (await listStatesOf(cve)).length;
    const packagesBefore = new Set((await listStatesOf(cve)).map((state) => state.package)).size;

    // A "modified" 1.1 feed holding just this CVE, NVD having dropped the dropbear node.
    const feed = JSON.parse(readFileSync(nvdFeed(2023), 'utf8')) as { CVE_Items: NvdItem[]; CVE_data_numberOfCVEs: string };
    const item = feed.CVE_Items.find((entry) => entry.cve.CVE_data_meta.ID === cve);
    if (item === undefined) throw new Error(`${cve} is in the 2023 feed`);
    const nodes = item.configurations.nodes.filter((node) => !JSON.stringify(node).includes(':dropbear_ssh_project:'));
    expect(nodes).toHaveLength(item.configurations.nodes.length - 1);
    const modified = file('modified.json', JSON.stringify({ ...feed, CVE_data_numberOfCVEs: '1', CVE_Items: [{ ...item, configurations: { ...item.configurations, nodes }, lastModifiedDate: '2024-01-02T00:00Z' }] }));
    expect((await importNvd(store(), { location: modified })).counts).toMatchObject({ records: 1, changed: 1 });
    expect(await listDirty(store().db, 'vulnerability')).toEqual([cve]);

    const historyBefore = await countRows(store(), 'state_history');
    const summary = await update();
    // Only this CVE's pairs: every package that had one is looked at, and only for this CVE.
    expect(summary).toMatchObject({ originsRecomputed: packagesBefore, pairs: pairsBefore - 1, written: 0, transitions: 0, deleted: 1 });
    expect(await stateOf(store(), 'dropbear', cve)).toBeUndefined();
    expect(await countRows(store(), 'state_history')).toBe(historyBefore + 1);
    expect((await listStateHistory(store().db, dropbear!)).at(-1)).toMatchObject({ oldState: 'vulnerable', newState: null, cause: 'update' });
    // A full update decides every pair of the branch: far more work for the same result.
    const full = await update(true);
    expect(full).toMatchObject({ written: 0, deleted: 0 });
    expect(summary.pairs * 10).toBeLessThan(full.pairs);
    expect(summary.originsRecomputed * 100).toBeLessThan(full.originsRecomputed);
  });

  it('never takes fix evidence from another package: openssl3 CVE-2023-3817', async () => {
    const secdb = file('openssl3-main.json', readFileSync(V316_MAIN_SECDB, 'utf8'));
    await importV316Index(store());
    await importSecdb(store(), { location: secdb });
    await importNvd(store(), { location: nvdFeed(2023) });
    await update();
    // Both packages list CVE-2023-3817: openssl under 1.1.1v-r0, openssl3 under 3.0.11-r0.
    const openssl3 = await stateOf(store(), 'openssl3', 'CVE-2023-3817');
    expect(openssl3).toMatchObject({ state: 'vulnerable', version: '3.0.7-r0', fixedVersion: '3.0.11-r0' });
    expect(openssl3?.evidence).toEqual([
      { kind: 'secfix', repo: 'main', version: '3.0.11-r0', text: 'CVE-2023-3817' },
      { kind: 'published-version', repo: 'main', version: '3.0.7-r0' },
    ]);
    // openssl's own line decides openssl's pair: 1.1.1v-r0 is above the published 1.1.1s-r0.
    expect(await stateOf(store(), 'openssl', 'CVE-2023-3817')).toMatchObject({ state: 'vulnerable', version: '1.1.1s-r0', fixedVersion: '1.1.1v-r0' });

    // Without its own line openssl3 falls back to NVD, which gives no fix version: openssl's 1.1.1v-r0 must not leak in.
    file('openssl3-main.json', editedSecdb('openssl3', (secfixes) => delete secfixes['3.0.11-r0']));
    await importSecdb(store(), { location: secdb });
    await update();
    const fallback = await stateOf(store(), 'openssl3', 'CVE-2023-3817');
    expect(fallback?.fixedVersion).toBeNull();
    expect(fallback?.evidence).not.toContainEqual(expect.objectContaining({ kind: 'secfix' }));
    expect(await stateOf(store(), 'openssl', 'CVE-2023-3817')).toMatchObject({ state: 'vulnerable', fixedVersion: '1.1.1v-r0' });
  });

  const listStatesOf = (vulnerabilityId: string) => findStates(store().db, { vulnerabilityId });
});

/** Every index of the state table as the catalog defines it, including the primary key's. */
async function stateIndexes(store: TestStore): Promise<string[]> {
  const query =
    store.dialect === 'sqlite'
      ? sql<{ definition: string }>`select name || ': ' || coalesce(sql, '') as definition from sqlite_master where type = 'index' and tbl_name = 'state' order by name`
      : sql<{ definition: string }>`select indexdef as definition from pg_indexes where tablename = 'state' order by indexname`;
  return (await query.execute(store.db)).rows.map((row) => row.definition);
}

/**
 * Makes inserting a state fail once 100 are stored while the state table has no index but its
 * primary key's: an update dropping them fails mid-way through its writes.
 */
async function failStateInsertsWithoutIndexes(store: TestStore): Promise<void> {
  if (store.dialect === 'sqlite') {
    await sql`create trigger injected_failure before insert on state
      when exists (select 1 from state limit 1 offset 99)
        and not exists (select 1 from sqlite_master where type = 'index' and tbl_name = 'state' and sql is not null)
      begin select raise(abort, 'injected failure'); end`.execute(store.db);
    return;
  }
  await sql`create function injected_failure() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from state limit 1 offset 99) and not exists (select 1 from pg_indexes where tablename = 'state' and indexname <> 'state_pk') then
        raise exception 'injected failure';
      end if;
      return new;
    end $$`.execute(store.db);
  await sql`create trigger injected_failure before insert on state for each row execute function injected_failure()`.execute(store.db);
}

async function removeInjectedFailure(store: TestStore): Promise<void> {
  await sql`drop trigger injected_failure${sql.raw(store.dialect === 'sqlite' ? '' : ' on state')}`.execute(store.db);
  if (store.dialect === 'postgres') await sql`drop function injected_failure()`.execute(store.db);
}

interface NvdItem {
  cve: { CVE_data_meta: { ID: string } };
  configurations: { nodes: unknown[] };
  lastModifiedDate: string;
}
