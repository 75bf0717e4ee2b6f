import { describe, expect, it } from 'vitest';
import { type TestStore, backends } from '../test-support/databases.js';
import { TEST_BASE_URL, loadDemoData, useWebFixture } from './test-support/web-fixture.js';

const HOSTILE_ID = 'CVE-2099-0001';
const HOSTILE_TEXT = `<script>alert("description")</script> "double" 'single' <img src=x onerror=alert(1)> & ]]>`;
const HOSTILE_PACKAGE = `evil<script>alert(3)</script>"'`;
const HOSTILE_MAINTAINER = `Mallory "><script>alert(4)</script> <mallory@example.org>`;
const HOSTILE_URLS = ['javascript:alert(5)', 'https://example.org/"><script>alert(6)</script>'];

/** The demo data plus a vulnerability, package and maintainer whose every text is an attack. */
async function seedHostile(store: TestStore): Promise<void> {
  await loadDemoData(store);
  const now = new Date().toISOString();
  const repository = await store.db
    .selectFrom('repository as r')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .where('b.name', '=', '3.16')
    .where('r.name', '=', 'main')
    .select('r.id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('vulnerability')
    .values({
      id: HOSTILE_ID,
      source: 'nvd',
      status: 'Analyzed',
      description: HOSTILE_TEXT,
      published: '2099-01-01T00:00:00.000Z',
      last_modified: '2099-01-02T00:00:00.000Z',
      cvss_score: 9.8,
      cvss_vector: HOSTILE_TEXT,
      cvss_version: '3.1',
      severity: 'CRITICAL',
      cwes: JSON.stringify([HOSTILE_TEXT]),
      aliases: JSON.stringify([]),
      kev: null,
      ssvc: null,
      configurations: JSON.stringify([]),
      content_hash: 'hostile',
    })
    .execute();
  await store.db.insertInto('vulnerability_reference').values(HOSTILE_URLS.map((url) => ({ vulnerability_id: HOSTILE_ID, url, tags: JSON.stringify([HOSTILE_TEXT]) }))).execute();
  const sourcePackage = await store.db
    .insertInto('source_package')
    .values({ repository_id: repository.id, name: HOSTILE_PACKAGE, maintainer: HOSTILE_MAINTAINER })
    .returning('id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('package_version')
    .values({ source_package_id: sourcePackage.id, version: '1.0-r0', version_key: null, first_seen: now, last_seen: now, removed_at: null, maintainer: HOSTILE_MAINTAINER, build_time: null, commit: null })
    .execute();
  await store.db
    .insertInto('state')
    .values({
      repository_id: repository.id,
      package: HOSTILE_PACKAGE,
      vulnerability_id: HOSTILE_ID,
      state: 'vulnerable',
      version: '1.0-r0',
      fixed_version: null,
      evidence: JSON.stringify([{ kind: 'secfix', repo: 'main', version: '1.0-r1', text: HOSTILE_TEXT }]),
      updated_at: now,
    })
    .execute();
  await store.db
    .insertInto('state_history')
    .values({ repository_id: repository.id, package: HOSTILE_PACKAGE, vulnerability_id: HOSTILE_ID, old_state: null, new_state: 'vulnerable', changed_at: now, cause: HOSTILE_TEXT })
    .execute();
}

/** Every start tag in a document, by name: scripts or images would mean the text became markup. */
const tagNames = (markup: string) => [...markup.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[1]!.toLowerCase());

const PAGES = [
  `/cve/${HOSTILE_ID}`,
  `/package/${encodeURIComponent(HOSTILE_PACKAGE)}`,
  '/branch/3.16?sort=severity',
  '/maintainer/mallory%40example.org',
  '/changes',
  `/search?q=${encodeURIComponent('alert("description")')}`,
];
const FEEDS = ['/feed.atom', `/package/${encodeURIComponent(HOSTILE_PACKAGE)}/feed.atom`, '/maintainer/mallory%40example.org/feed.atom'];

describe.each(backends)('%s hostile text', (backend) => {
  const web = useWebFixture(backend, seedHostile);

  it('renders inert in every HTML page that shows it', async () => {
    for (const url of PAGES) {
      const response = await web().get(url);
      expect(response.statusCode, url).toBe(200);
      const tags = tagNames(response.body);
      expect(tags, url).not.toContain('script');
      expect(tags, url).not.toContain('img');
      expect(response.body, url).not.toMatch(/href="\s*javascript:/i);
      expect(response.body, url).not.toMatch(/<[a-z][^<>]*\son\w+=/i);
      expect(response.body, url).toMatch(/&lt;script&gt;alert\((&quot;description&quot;|3\)|4\))/);
    }
  });

  it('keeps the text exact, as data, in JSON-LD', async () => {
    for (const url of PAGES) {
      const response = await web().get(url, { accept: 'application/ld+json' });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toBe('application/ld+json; charset=utf-8');
      expect(response.body, url).not.toContain('<script');
      const document = response.json<unknown>();
      expect(JSON.stringify(document), url).toMatch(/alert/);
    }
    const vulnerability = await web().getJson<{ description: string; id: string }>(`/cve/${HOSTILE_ID}`, 'application/ld+json');
    expect(vulnerability.description).toBe(HOSTILE_TEXT);
    expect(vulnerability.id).toBe(`${TEST_BASE_URL}/cve/${HOSTILE_ID}`);
  });

  it('escapes it in Atom feeds', async () => {
    for (const url of FEEDS) {
      const response = await web().get(url);
      expect(response.statusCode, url).toBe(200);
      expect(tagNames(response.body), url).not.toContain('script');
      expect(response.body, url).toContain('&lt;script&gt;');
      expect(response.body, url).not.toContain(']]>');
    }
  });
});
