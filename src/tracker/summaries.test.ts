import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappingRules } from '../sources/config.js';
import { getDataVersion, readPageSummary, withWriteLock } from '../store/index.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import {
  HOME_SUMMARY,
  NAMES_SUMMARY,
  QUALITY_SUMMARY,
  buildHomeSummary,
  buildNamesSummary,
  buildQualitySummary,
  pageSummary,
  refreshPageSummaries,
} from './summaries.js';
import { updateStates } from './update.js';

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
    expect(await refreshPageSummaries(store, rules)).toEqual([HOME_SUMMARY, QUALITY_SUMMARY, NAMES_SUMMARY]);
    expect(await pageSummary(store.db, HOME_SUMMARY, version, () => Promise.resolve(built))).toEqual(JSON.parse(JSON.stringify(await buildHomeSummary(store.db))));
  });
});
