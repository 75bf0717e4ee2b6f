import { describe, expect, it } from 'vitest';
import { type BranchSnapshot, decideBranch, publishedVersions } from './branch.js';

const MAIN = { id: 1, name: 'main' };
const COMMUNITY = { id: 2, name: 'community' };

/** A snapshot of v3.16 main and community with nothing in it but what a test gives. */
const snapshot = (fields: Partial<BranchSnapshot>): BranchSnapshot => ({
  repositories: [MAIN, COMMUNITY],
  published: new Map([
    [MAIN.id, new Map()],
    [COMMUNITY.id, new Map()],
  ]),
  scopes: new Map(),
  secfixes: new Map(),
  rejections: new Map(),
  candidates: new Map(),
  prepared: new Map(),
  stored: new Map(),
  ...fields,
});

describe('publishedVersions', () => {
  it('lets the newest build over architectures speak for a repository, and ignores other repositories', () => {
    const published = publishedVersions(
      [MAIN.id],
      [
        { repositoryId: MAIN.id, origin: 'busybox', version: '1.35.0-r17' },
        { repositoryId: MAIN.id, origin: 'busybox', version: '1.35.0-r18' },
        { repositoryId: MAIN.id, origin: 'busybox', version: '1.35.0-r9' },
        { repositoryId: 7, origin: 'busybox', version: '9.9-r0' },
      ],
    );
    expect(published).toEqual(new Map([[MAIN.id, new Map([['busybox', '1.35.0-r18']])]]));
  });
});

describe('decideBranch', () => {
  const sudoLine = { repositoryId: COMMUNITY.id, repo: 'community', version: '1.9.12-r1', id: 'CVE-2022-43995', text: 'CVE-2022-43995' };

  it('decides a package nobody publishes where its secfixes are, and drops its stored state elsewhere', () => {
    const decision = decideBranch(
      snapshot({
        scopes: new Map([['sudo', 'all']]),
        secfixes: new Map([['sudo', [sudoLine]]]),
        stored: new Map([['sudo', [{ repositoryId: MAIN.id, package: 'sudo', vulnerabilityId: 'CVE-2022-43995' }]]]),
      }),
    );
    expect(decision.records.map(({ repositoryId, state, version }) => ({ repositoryId, state, version }))).toEqual([{ repositoryId: COMMUNITY.id, state: 'unknown', version: null }]);
    expect(decision.obsolete).toEqual([{ repositoryId: MAIN.id, package: 'sudo', vulnerabilityId: 'CVE-2022-43995' }]);
    expect(decision.pairs).toBe(1);
  });

  it('decides a published package only in the repositories that publish it, with their version', () => {
    const decision = decideBranch(
      snapshot({
        published: new Map([
          [MAIN.id, new Map([['sudo', '1.9.12-r1']])],
          [COMMUNITY.id, new Map()],
        ]),
        scopes: new Map([['sudo', 'all']]),
        secfixes: new Map([['sudo', [sudoLine]]]),
      }),
    );
    expect(decision.records.map(({ repositoryId, state, version }) => ({ repositoryId, state, version }))).toEqual([{ repositoryId: MAIN.id, state: 'fixed', version: '1.9.12-r1' }]);
  });

  it('writes and deletes nothing outside a narrow scope', () => {
    const other = { ...sudoLine, id: 'CVE-2023-0001', text: 'CVE-2023-0001' };
    const decision = decideBranch(
      snapshot({
        scopes: new Map([['sudo', new Set(['CVE-2022-43995'])]]),
        secfixes: new Map([['sudo', [sudoLine, other]]]),
        stored: new Map([['sudo', [{ repositoryId: MAIN.id, package: 'sudo', vulnerabilityId: 'CVE-2023-0002' }]]]),
      }),
    );
    expect(decision.records.map((record) => record.vulnerabilityId)).toEqual(['CVE-2022-43995']);
    expect(decision.obsolete).toEqual([]);
  });

  it('lets a rejection win over a fix', () => {
    const decision = decideBranch(
      snapshot({
        scopes: new Map([['sudo', 'all']]),
        secfixes: new Map([['sudo', [sudoLine]]]),
        rejections: new Map([['sudo', [{ id: 'CVE-2022-43995', source: 'community.yaml' }]]]),
      }),
    );
    expect(decision.records.map((record) => record.state)).toEqual(['rejected']);
  });
});
