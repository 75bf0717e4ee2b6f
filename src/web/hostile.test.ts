import { describe, expect, it } from 'vitest';
import { backends } from '../test-support/databases.js';
import { type HostileChange, seedHostileChange } from './test-support/hostile.js';
import { TEST_BASE_URL, useWebFixture } from './test-support/web-fixture.js';

/** A vulnerability, package and maintainer whose every text is an attack. */
const HOSTILE: HostileChange = {
  vulnerabilityId: 'CVE-2099-0001',
  text: `<script>alert("description")</script> "double" 'single' <img src=x onerror=alert(1)> & ]]>`,
  package: `evil<script>alert(3)</script>"'`,
  maintainer: `Mallory "><script>alert(4)</script> <mallory@example.org>`,
  referenceUrls: ['javascript:alert(5)', 'https://example.org/"><script>alert(6)</script>'],
  changedAt: '2099-01-01T00:00:00.000Z',
};

/** Every start tag in a document, by name: scripts or images would mean the text became markup. */
const tagNames = (markup: string) => [...markup.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[1]!.toLowerCase());

const PAGES = [
  `/cve/${HOSTILE.vulnerabilityId}`,
  `/package/${encodeURIComponent(HOSTILE.package)}`,
  '/branch/3.16?sort=severity',
  '/maintainer/mallory%40example.org',
  '/changes',
  `/search?q=${encodeURIComponent('alert("description")')}`,
];
const FEEDS = ['/feed.atom', `/package/${encodeURIComponent(HOSTILE.package)}/feed.atom`, '/maintainer/mallory%40example.org/feed.atom'];

describe.each(backends)('%s hostile text', (backend) => {
  const web = useWebFixture(backend, { contents: 'demo', seed: (store) => seedHostileChange(store, HOSTILE) });

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
    const vulnerability = await web().getJson<{ description: string; id: string }>(`/cve/${HOSTILE.vulnerabilityId}`, 'application/ld+json');
    expect(vulnerability.description).toBe(HOSTILE.text);
    expect(vulnerability.id).toBe(`${TEST_BASE_URL}/cve/${HOSTILE.vulnerabilityId}`);
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
