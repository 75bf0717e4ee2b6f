import { describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { ensureBranch, ensureRepository, listBranches, setBranchArchs } from './branches.js';

describe.each(backends)('%s branches', (backend) => {
  const store = useTestStore(backend);

  it('creates a branch and repository once and returns the same ids after', async () => {
    const { db } = store();
    const branchId = await ensureBranch(db, '3.16');
    expect(await ensureBranch(db, '3.16')).toBe(branchId);
    const mainId = await ensureRepository(db, branchId, 'main');
    expect(await ensureRepository(db, branchId, 'main')).toBe(mainId);
    const communityId = await ensureRepository(db, branchId, 'community');
    expect(communityId).not.toBe(mainId);
    const edgeId = await ensureBranch(db, 'edge');
    expect(await ensureRepository(db, edgeId, 'main')).not.toBe(mainId);
  });

  it('sets the end of support only when given', async () => {
    const { db } = store();
    await ensureBranch(db, '3.16', { endOfSupport: '2024-05-23' });
    await ensureBranch(db, '3.16');
    expect((await listBranches(db))[0]?.endOfSupport).toBe('2024-05-23');
    await ensureBranch(db, '3.16', { endOfSupport: null });
    expect((await listBranches(db))[0]?.endOfSupport).toBeNull();
  });

  it('replaces the set of architectures', async () => {
    const { db } = store();
    const branchId = await ensureBranch(db, '3.16');
    await setBranchArchs(db, branchId, ['x86_64', 'aarch64', 'x86_64']);
    await setBranchArchs(db, branchId, ['x86_64', 'armv7']);
    expect((await listBranches(db))[0]?.archs).toEqual(['armv7', 'x86_64']);
    await setBranchArchs(db, branchId, []);
    expect((await listBranches(db))[0]?.archs).toEqual([]);
  });

  it('lists branches with their repositories, by name', async () => {
    const { db } = store();
    const edge = await ensureBranch(db, 'edge');
    const old = await ensureBranch(db, '3.16', { endOfSupport: '2024-05-23' });
    const main = await ensureRepository(db, old, 'main');
    await setBranchArchs(db, old, ['x86_64']);
    expect(await listBranches(db)).toEqual([
      { id: old, name: '3.16', endOfSupport: '2024-05-23', archs: ['x86_64'], repositories: [{ id: main, name: 'main' }] },
      { id: edge, name: 'edge', endOfSupport: null, archs: [], repositories: [] },
    ]);
  });
});
