import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { V316_MAIN_EXPECTED, V316_REJECTIONS_YAML } from '../engine/test-support/alpine-3.16-expected.js';
import { loadConfig } from '../sources/config.js';
import { findStates, getDataVersion } from '../store/index.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { repoPath } from '../test-support/paths.js';
import { syncFromConfig } from './sync.js';
import { dataDigest } from './test-support/store-digest.js';
import { KEYS, V316_COMMUNITY_SECDB, V316_INDEX, V316_MAIN_SECDB, countRows, sampleNvdFiles, stateOf, writeText } from './test-support/v316-sample.js';
import { listStateHistory } from '../store/test-support/history.js';

/*
 * `sync` against a local HTTP server that serves the v3.16 sample (signed index, both secdb
 * files, every NVD file, the proof table's rejections) with ETag and Last-Modified, and answers
 * 304 when If-None-Match names the current ETag, as the Alpine and NVD mirrors do.
 */

interface Served {
  body: Buffer;
  etag: string;
  lastModified: string;
}

interface SeenRequest {
  readonly path: string;
  readonly ifNoneMatch: string | undefined;
  readonly ifModifiedSince: string | undefined;
  readonly status: number;
}

const served = new Map<string, Served>();
const requests: SeenRequest[] = [];
let server: Server;
let base: string;

function serve(path: string, body: Buffer, lastModified = 'Wed, 01 Nov 2023 00:00:00 GMT'): void {
  served.set(path, { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`, lastModified });
}

let nvdFiles: string[] = [];
const SECDB_MAIN_PATH = '/secdb/v3.16/main.json';

/** Every file the config lists, as the server first serves it. */
function serveSample(): void {
  served.clear();
  serve('/alpine/v3.16/main/x86_64/APKINDEX.tar.gz', readFileSync(V316_INDEX));
  serve(SECDB_MAIN_PATH, readFileSync(V316_MAIN_SECDB));
  serve('/secdb/v3.16/community.json', readFileSync(V316_COMMUNITY_SECDB));
  for (const file of nvdFiles) serve(`/nvd/${basename(file)}`, readFileSync(file));
  serve('/rejections/main.yaml', Buffer.from(V316_REJECTIONS_YAML));
}

beforeAll(async () => {
  nvdFiles = await sampleNvdFiles();
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    const file = served.get(path);
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const status = file === undefined ? 404 : header('if-none-match') === file.etag ? 304 : 200;
    requests.push({ path, ifNoneMatch: header('if-none-match'), ifModifiedSince: header('if-modified-since'), status });
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(status, { etag: file.etag, 'last-modified': file.lastModified });
    response.end(status === 304 ? undefined : file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  serveSample();
  requests.length = 0;
});

const dir = mkdtempSync(join(tmpdir(), 'secfix-sync-'));

/** A configuration naming the served URLs, the sample's keys and the bundled mapping rules. */
async function writeConfig() {
  const list = (items: readonly string[]) => items.map((item) => `\n  - ${item}`).join('');
  const path = writeText(
    dir,
    'secfix.yaml',
    `distribution: test mirror
keys: ${KEYS}
branches:
  - name: "3.16"
    endOfSupport: 2024-05-23
    architectures: [x86_64]
    repositories:
      - name: main
        index: ${base}/alpine/v3.16/main/{arch}/APKINDEX.tar.gz
        secdb: ${base}${SECDB_MAIN_PATH}
      - name: community
        secdb: ${base}/secdb/v3.16/community.json
nvd:${list(nvdFiles.map((file) => `${base}/nvd/${basename(file)}`))}
rejections:
  - source: ${base}/rejections/main.yaml
mapping: ${repoPath('config', 'alpine-mapping.yaml')}
`,
  );
  return loadConfig(path);
}

describe.each(backends)('%s syncFromConfig over HTTP', (backend) => {
  const store = useTestStore(backend);

  it('imports every source and updates, then finds every source unchanged by ETag and writes nothing', async () => {
    const config = await writeConfig();
    // One index (one architecture), two secdb files, every NVD file, one rejections file.
    const sources = 1 + 2 + nvdFiles.length + 1;
    const first = await syncFromConfig(store(), config);
    expect(first.sources.map((item) => item.status)).toEqual(Array(sources).fill('imported'));
    expect(first.sources.map((item) => item.kind)).toEqual(['apkindex', 'secdb', 'secdb', ...nvdFiles.map(() => 'nvd'), 'rejections']);
    expect(requests.map((request) => request.status)).toEqual(Array(sources).fill(200));
    // Nothing was fetched before, so nothing was asked conditionally.
    expect(requests.every((request) => request.ifNoneMatch === undefined)).toBe(true);
    expect(first.update?.pairs).toBeGreaterThan(0);

    // The same inputs as the proof table (the rejection included), so the same states.
    for (const row of V316_MAIN_EXPECTED) {
      const state = await stateOf(store(), row.package, row.cve);
      expect({ pair: `${row.package} ${row.cve}`, state: state?.state, fixedVersion: state?.fixedVersion }).toEqual({ pair: `${row.package} ${row.cve}`, state: row.state, fixedVersion: row.fixedVersion });
    }

    requests.length = 0;
    const before = await dataDigest(store());
    const version = await getDataVersion(store().db);
    const second = await syncFromConfig(store(), config);
    expect(second.sources.map((item) => item.status)).toEqual(Array(sources).fill('unchanged'));
    // Every source was asked with the validators the server sent, and the server said 304 to each.
    expect(requests).toEqual([...served].map(([path, file]) => ({ path, ifNoneMatch: file.etag, ifModifiedSince: file.lastModified, status: 304 })));
    expect(second.update).toMatchObject({ branches: 0, originsRecomputed: 0, pairs: 0, written: 0, transitions: 0, deleted: 0 });
    expect(await dataDigest(store())).toBe(before);
    // Nothing a page shows changed (only import runs were recorded), so web caches stay valid.
    expect(await getDataVersion(store().db)).toEqual(version);
  });

  it('imports every other source when one answers 404, runs the update and reports the failed one', async () => {
    const config = await writeConfig();
    served.delete('/secdb/v3.16/community.json');
    const summary = await syncFromConfig(store(), config);
    const failed = summary.sources.filter((item) => item.status === 'failed');
    expect(failed).toEqual([
      { kind: 'secdb', location: `${base}/secdb/v3.16/community.json`, status: 'failed', counts: {}, error: `${base}/secdb/v3.16/community.json: HTTP 404 Not Found` },
    ]);
    expect(summary.sources.filter((item) => item.status === 'imported')).toHaveLength(1 + 1 + nvdFiles.length + 1);
    expect(summary.interrupted).toBeNull();
    // The update ran over what was imported: the main repository's states are there.
    expect(summary.update?.pairs).toBeGreaterThan(0);
    expect(await stateOf(store(), 'busybox', 'CVE-2023-42366')).toMatchObject({ state: 'vulnerable' });
  });

  it('imports only the changed secdb and recomputes only its changed packages', async () => {
    const config = await writeConfig();
    await syncFromConfig(store(), config);
    const vulnerable = await stateOf(store(), 'busybox', 'CVE-2023-42366');
    // busybox lists CVE-2023-42366 under 1.35.0-r18; the index has 1.35.0-r17.
    expect(vulnerable).toMatchObject({ state: 'vulnerable', version: '1.35.0-r17', fixedVersion: '1.35.0-r18' });
    const historyBefore = await countRows(store(), 'state_history');

    // The mirror now says the fix is in 1.35.0-r17 (the published build): a new ETag.
    const main = readFileSync(V316_MAIN_SECDB, 'utf8');
    const changed = main.replace('"1.35.0-r18": [', '"1.35.0-r17": [');
    expect(changed).not.toBe(main);
    const oldEtag = served.get(SECDB_MAIN_PATH)?.etag;
    serve(SECDB_MAIN_PATH, Buffer.from(changed), 'Thu, 02 Nov 2023 00:00:00 GMT');
    requests.length = 0;
    const version = await getDataVersion(store().db);

    const third = await syncFromConfig(store(), config);
    const imported = third.sources.filter((item) => item.status === 'imported');
    expect(imported.map((item) => item.location)).toEqual([`${base}${SECDB_MAIN_PATH}`]);
    expect(imported[0]?.counts).toMatchObject({ changedPackages: 1 });
    // The server answered 200 only to the changed file, which was still asked conditionally.
    expect(requests.filter((request) => request.status === 200)).toEqual([
      { path: SECDB_MAIN_PATH, ifNoneMatch: oldEtag, ifModifiedSince: 'Wed, 01 Nov 2023 00:00:00 GMT', status: 200 },
    ]);
    // Only busybox is recomputed, and only its CVE-2023-42366 changes (its other lines did not move).
    expect(third.update).toMatchObject({ originsRecomputed: 1, transitions: 1 });
    expect(await stateOf(store(), 'busybox', 'CVE-2023-42366')).toMatchObject({ state: 'fixed', fixedVersion: '1.35.0-r17' });
    expect(await countRows(store(), 'state_history')).toBe(historyBefore + 1);
    expect((await getDataVersion(store().db)).version).toBeGreaterThan(version.version);
    expect((await listStateHistory(store().db, vulnerable!)).at(-1)).toMatchObject({ oldState: 'vulnerable', newState: 'fixed', cause: 'sync' });
    expect((await findStates(store().db, { state: 'vulnerable', package: 'busybox' })).map((state) => state.vulnerabilityId)).not.toContain('CVE-2023-42366');
  });
});
