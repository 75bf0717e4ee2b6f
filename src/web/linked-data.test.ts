import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { backends } from '../test-support/databases.js';
import { CONTEXT_PATH, VOCABULARY_PATH } from './linked-data.js';
import { TEST_BASE_URL, type WebFixture, contextLoader, useWebFixture } from './test-support/web-fixture.js';

const VOCABULARY = `${TEST_BASE_URL}/ns#`;

/** Every node object of an expanded document, however deep (value objects and lists excluded). */
function nodes(value: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) {
    for (const item of value) nodes(item, found);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    if ('@value' in object) return found;
    if ('@list' in object) return nodes(object['@list'], found);
    const properties = Object.keys(object).filter((key) => !key.startsWith('@'));
    if (properties.length > 0) found.push(object);
    for (const key of properties) nodes(object[key], found);
  }
  return found;
}

/** One URL of each kind of resource the tracker serves, chosen from the demo data. */
async function resourceUrls(web: WebFixture): Promise<Record<string, string>> {
  const maintainers = await web.getJson<{ maintainers: { key: string }[] }>('/maintainers');
  const maintainerKey = maintainers.maintainers[0]?.key ?? 'nobody';
  return {
    home: '/',
    branch: '/branch/3.16',
    vulnerability: '/cve/CVE-2023-42366',
    package: '/package/busybox',
    maintainers: '/maintainers',
    maintainer: `/maintainer/${encodeURIComponent(maintainerKey)}`,
    orphans: '/orphans',
    changes: '/changes',
    quality: '/quality',
    search: '/search?q=openssl',
  };
}

describe.each(backends)('%s JSON-LD', (backend) => {
  const web = useWebFixture(backend);

  it('expands every kind of resource in safe mode: every key is a defined term, every node has an id and a secfix type', async () => {
    const urls = await resourceUrls(web());
    // The classes the served vocabulary defines (`sec:Name` in its own context).
    const vocabulary = await web().getJson(VOCABULARY_PATH, 'application/ld+json');
    const classes = new Set((vocabulary['@graph'] as { '@id': string }[]).map((node) => node['@id'].replace(/^sec:/, VOCABULARY)));
    expect(classes.size).toBeGreaterThan(5);
    for (const [kind, url] of Object.entries(urls)) {
      const document = await web().getJson(url, 'application/ld+json');
      expect(document['@context'], kind).toBe(`${TEST_BASE_URL}${CONTEXT_PATH}`);
      // Safe mode fails on any key or value that would be dropped for want of a term.
      const expanded = await jsonld.expand(document, { documentLoader: contextLoader(web()), safe: true });
      expect(expanded.length, kind).toBeGreaterThan(0);
      const all = nodes(expanded);
      expect(all.length, kind).toBeGreaterThan(0);
      for (const node of all) {
        expect(typeof node['@id'] === 'string' && (node['@id']).startsWith(`${TEST_BASE_URL}/`), `${kind}: node without an absolute @id: ${JSON.stringify(node).slice(0, 200)}`).toBe(true);
        const types = node['@type'] as string[] | undefined;
        expect(types !== undefined && types.every((type) => classes.has(type)), `${kind}: node ${String(node['@id'])} types ${JSON.stringify(types)}`).toBe(true);
      }
      const rdf = await jsonld.toRDF(document, { documentLoader: contextLoader(web()), format: 'application/n-quads' });
      expect(rdf, kind).toContain(`<${VOCABULARY}`);
    }
  }, 60_000);

  it('types links as IRIs and dates as xsd:dateTime', async () => {
    const document = await web().getJson('/cve/CVE-2023-42363', 'application/ld+json');
    const [node] = await jsonld.expand(document, { documentLoader: contextLoader(web()) });
    expect(node?.['@id']).toBe(`${TEST_BASE_URL}/cve/CVE-2023-42363`);
    expect(node?.['@type']).toEqual([`${VOCABULARY}Vulnerability`]);
    const published = node?.['http://purl.org/dc/terms/issued'] as { '@type': string }[] | undefined;
    expect(published?.[0]?.['@type']).toBe('http://www.w3.org/2001/XMLSchema#dateTime');
    const states = node?.[`${VOCABULARY}state`] as Record<string, unknown>[] | undefined;
    expect(states?.length).toBeGreaterThan(0);
    const pkg = states?.[0]?.[`${VOCABULARY}package`] as { '@id': string }[] | undefined;
    expect(pkg?.[0]?.['@id']).toMatch(new RegExp(`^${TEST_BASE_URL}/package/`));
  });
});
