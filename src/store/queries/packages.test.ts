import { beforeEach, describe, expect, it } from 'vitest';
import { backends, useTestStore } from '../../test-support/databases.js';
import { ensureBranch, ensureRepository } from './branches.js';
import {
  type IndexedOriginVersion,
  listPublishedBinaries,
  listOriginVersions,
  listPublishedVersions,
  replaceIndexSnapshot,
} from './packages.js';

function origin(name: string, version: string, binaries: string[], extra: Partial<IndexedOriginVersion> = {}) {
  return {
    origin: name,
    version,
    versionKey: null,
    maintainer: 'Natanael Copa <ncopa@alpinelinux.org>',
    buildTime: '2023-10-11T06:00:00.000Z',
    commit: 'c0ffee',
    binaries,
    ...extra,
  };
}

const CURL_8_3 = origin('curl', '8.3.0-r0', ['curl', 'libcurl', 'curl-doc']);
const CURL_8_4 = origin('curl', '8.4.0-r0', ['curl', 'libcurl', 'curl-doc']);
const ZLIB = origin('zlib', '1.2.13-r0', ['zlib', 'zlib-dev']);

const DAY1 = '2023-10-01T00:00:00.000Z';
const DAY2 = '2023-10-02T00:00:00.000Z';
const DAY3 = '2023-10-03T00:00:00.000Z';

describe.each(backends)('%s index snapshots', (backend) => {
  const store = useTestStore(backend);
  let repositoryId: number;
  beforeEach(async () => {
    const { db } = store();
    repositoryId = await ensureRepository(db, await ensureBranch(db, '3.18'), 'main');
  });

  const snapshot = (arch: string, packages: IndexedOriginVersion[], at: string) =>
    replaceIndexSnapshot(store().db, { repositoryId, arch, packages, at });
  const published = async () =>
    (await listPublishedVersions(store().db, repositoryId)).map((row) => `${row.origin} ${row.version}`);

  it('records a first index, and the same index again changes nothing', async () => {
    expect(await snapshot('x86_64', [CURL_8_3, ZLIB], DAY1)).toEqual({
      changedOrigins: ['curl', 'zlib'],
      versionsAdded: 2,
      versionsRemoved: 0,
      versionsReturned: 0,
    });
    expect(await snapshot('x86_64', [CURL_8_3, ZLIB], DAY2)).toEqual({
      changedOrigins: [],
      versionsAdded: 0,
      versionsRemoved: 0,
      versionsReturned: 0,
    });
    const curl = (await listPublishedVersions(store().db, repositoryId, ['curl']))[0];
    expect(curl).toEqual({
      origin: 'curl',
      version: '8.3.0-r0',
      versionKey: null,
      maintainer: 'Natanael Copa <ncopa@alpinelinux.org>',
      buildTime: '2023-10-11T06:00:00.000Z',
      commit: 'c0ffee',
      firstSeen: DAY1,
    });
    const lastSeen = await store()
      .db.selectFrom('package_version')
      .select('last_seen')
      .where('version', '=', '8.3.0-r0')
      .executeTakeFirstOrThrow();
    expect(lastSeen.last_seen).toBe(DAY2);
  });

  it('marks a version removed when it leaves the index and clears the mark when it returns', async () => {
    await snapshot('x86_64', [CURL_8_3, ZLIB], DAY1);
    expect(await snapshot('x86_64', [CURL_8_4, ZLIB], DAY2)).toEqual({
      changedOrigins: ['curl'],
      versionsAdded: 1,
      versionsRemoved: 1,
      versionsReturned: 0,
    });
    expect(await published()).toEqual(['curl 8.4.0-r0', 'zlib 1.2.13-r0']);
    const removed = await store()
      .db.selectFrom('package_version')
      .select('removed_at')
      .where('version', '=', '8.3.0-r0')
      .executeTakeFirstOrThrow();
    expect(removed.removed_at).toBe(DAY2);

    expect(await snapshot('x86_64', [CURL_8_3, ZLIB], DAY3)).toEqual({
      changedOrigins: ['curl'],
      versionsAdded: 0,
      versionsRemoved: 1,
      versionsReturned: 1,
    });
    expect(await published()).toEqual(['curl 8.3.0-r0', 'zlib 1.2.13-r0']);
    const returned = await listPublishedVersions(store().db, repositoryId, ['curl']);
    expect(returned[0]?.firstSeen).toBe(DAY1);
  });

  it('keeps a version published while another architecture still lists it', async () => {
    await snapshot('x86_64', [CURL_8_3, ZLIB], DAY1);
    await snapshot('aarch64', [CURL_8_3, ZLIB], DAY1);
    expect((await snapshot('x86_64', [CURL_8_4, ZLIB], DAY2)).changedOrigins).toEqual(['curl']);
    expect(await published()).toEqual(['curl 8.3.0-r0', 'curl 8.4.0-r0', 'zlib 1.2.13-r0']);
    expect(await snapshot('aarch64', [CURL_8_4, ZLIB], DAY2)).toMatchObject({
      changedOrigins: ['curl'],
      versionsAdded: 0,
      versionsRemoved: 1,
    });
    expect(await published()).toEqual(['curl 8.4.0-r0', 'zlib 1.2.13-r0']);
  });

  it('removes every version of an origin that leaves the index entirely', async () => {
    await snapshot('x86_64', [CURL_8_3, ZLIB], DAY1);
    expect((await snapshot('x86_64', [ZLIB], DAY2)).changedOrigins).toEqual(['curl']);
    expect(await snapshot('x86_64', [], DAY3)).toMatchObject({ changedOrigins: ['zlib'], versionsRemoved: 1 });
    expect(await published()).toEqual([]);
  });

  it('updates details and binaries, reporting the origin whose binaries changed but no change of published versions', async () => {
    await snapshot('x86_64', [CURL_8_3], DAY1);
    const rebuilt = origin('curl', '8.3.0-r0', ['curl', 'libcurl', 'curl-static'], {
      maintainer: 'Someone Else <else@example.org>',
      versionKey: '0008.0003',
      commit: 'beef',
    });
    expect(await snapshot('x86_64', [rebuilt], DAY2)).toEqual({ changedOrigins: ['curl'], versionsAdded: 0, versionsRemoved: 0, versionsReturned: 0 });
    const [curl] = await listPublishedVersions(store().db, repositoryId);
    expect(curl).toMatchObject({ maintainer: 'Someone Else <else@example.org>', versionKey: '0008.0003', commit: 'beef' });
    const sourcePackage = await store()
      .db.selectFrom('source_package')
      .select('maintainer')
      .executeTakeFirstOrThrow();
    expect(sourcePackage.maintainer).toBe('Someone Else <else@example.org>');
    // The rebuild dropped curl-doc and added curl-static.
    const binaries = await listPublishedBinaries(store().db, [repositoryId]);
    expect(binaries.map((row) => row.binary)).toEqual(['curl', 'curl-static', 'libcurl']);
  });

  it('merges entries that repeat an origin version or a binary', async () => {
    const repeated = [origin('curl', '8.3.0-r0', ['curl', 'curl']), origin('curl', '8.3.0-r0', ['libcurl', 'curl'])];
    await snapshot('x86_64', repeated, DAY1);
    expect((await snapshot('x86_64', repeated, DAY2)).changedOrigins).toEqual([]);
    expect(await published()).toEqual(['curl 8.3.0-r0']);
    expect(await listPublishedBinaries(store().db, [repositoryId])).toEqual([
      { repositoryId, binary: 'curl', origin: 'curl' },
      { repositoryId, binary: 'libcurl', origin: 'curl' },
    ]);
    const stored = await store().db.selectFrom('binary_package').select((eb) => eb.fn.countAll<number>().as('rows')).executeTakeFirstOrThrow();
    expect(Number(stored.rows)).toBe(2);
  });

  it('lists the binaries of published versions only', async () => {
    await snapshot('x86_64', [CURL_8_3, ZLIB], DAY1);
    await snapshot('x86_64', [CURL_8_4], DAY2);
    expect(await listPublishedBinaries(store().db, [])).toEqual([]);
    expect(await listPublishedBinaries(store().db, [repositoryId])).toEqual([
      { repositoryId, binary: 'curl', origin: 'curl' },
      { repositoryId, binary: 'curl-doc', origin: 'curl' },
      { repositoryId, binary: 'libcurl', origin: 'curl' },
    ]);
    // Seen versions keep the removed 8.3.0 and the vanished zlib, each saying whether it is published now.
    expect(await listOriginVersions(store().db, [])).toEqual([]);
    expect(await listOriginVersions(store().db, [repositoryId])).toEqual([
      { repositoryId, origin: 'curl', version: '8.3.0-r0', published: false },
      { repositoryId, origin: 'curl', version: '8.4.0-r0', published: true },
      { repositoryId, origin: 'zlib', version: '1.2.13-r0', published: false },
    ]);
  });

  it('keeps repositories apart', async () => {
    const { db } = store();
    const community = await ensureRepository(db, await ensureBranch(db, '3.18'), 'community');
    await snapshot('x86_64', [CURL_8_3], DAY1);
    await replaceIndexSnapshot(db, { repositoryId: community, arch: 'x86_64', packages: [ZLIB], at: DAY1 });
    expect(await published()).toEqual(['curl 8.3.0-r0']);
    expect((await listPublishedVersions(db, community)).map((row) => row.origin)).toEqual(['zlib']);
  });

  it('handles an index of thousands of origins', async () => {
    const many = Array.from({ length: 6_000 }, (_, index) =>
      origin(`pkg${index}`, '1.0-r0', [`pkg${index}`, `pkg${index}-doc`, `pkg${index}-dev`]),
    );
    expect((await snapshot('x86_64', many, DAY1)).versionsAdded).toBe(6_000);
    const next = many.map((entry, index) => (index % 2 === 0 ? { ...entry, version: '1.1-r0' } : entry));
    expect(await snapshot('x86_64', next, DAY2)).toMatchObject({ versionsAdded: 3_000, versionsRemoved: 3_000 });
    expect((await snapshot('x86_64', next, DAY3)).changedOrigins).toEqual([]);
    expect((await listPublishedVersions(store().db, repositoryId)).length).toBe(6_000);
  });
});
