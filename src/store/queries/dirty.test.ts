import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { clearDirty, listDirty, markDirty } from './dirty.js';

describe.each(backends)('%s dirty marks', (backend) => {
  const store = useTestStore(backend);

  it('marks each key once per kind', async () => {
    const { db } = store();
    await markDirty(db, 'package', ['3.16/main/curl', '3.16/main/curl', 'edge/main/zlib']);
    await markDirty(db, 'package', ['3.16/main/curl']);
    await markDirty(db, 'vulnerability', ['CVE-2023-38545']);
    expect(await listDirty(db, 'package')).toEqual(['3.16/main/curl', 'edge/main/zlib']);
    expect(await listDirty(db, 'vulnerability')).toEqual(['CVE-2023-38545']);
  });

  it('clears only the keys it is given, so marks made meanwhile survive', async () => {
    const { db } = store();
    await markDirty(db, 'package', ['a', 'b']);
    const seen = await listDirty(db, 'package');
    await markDirty(db, 'package', ['c']);
    await clearDirty(db, 'package', seen);
    expect(await listDirty(db, 'package')).toEqual(['c']);
  });

  it('handles more keys than fit in one statement', async () => {
    const { db } = store();
    const keys = Array.from({ length: 20_000 }, (_, index) => `pkg-${String(index).padStart(5, '0')}`);
    await markDirty(db, 'package', keys);
    expect(await listDirty(db, 'package')).toEqual(keys);
    await clearDirty(db, 'package', keys.slice(0, 19_999));
    expect(await listDirty(db, 'package')).toEqual(['pkg-19999']);
  });
});
