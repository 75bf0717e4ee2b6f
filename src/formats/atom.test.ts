import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AtomFeed, writeAtomFeed } from './atom.js';
import { type XmlElement, childText, childrenNamed, parseXml } from './test-support/xml-tree.js';

const ATOM = 'http://www.w3.org/2005/Atom';

const feed = (overrides: Partial<AtomFeed> = {}): AtomFeed => ({
  id: 'https://tracker.example/feed.atom',
  title: 'State changes',
  updated: '2024-03-01T12:00:00.000Z',
  links: [
    { rel: 'self', href: 'https://tracker.example/feed.atom', type: 'application/atom+xml' },
    { rel: 'alternate', href: 'https://tracker.example/changes', type: 'text/html' },
  ],
  authors: [{ name: 'Example tracker', uri: 'https://tracker.example/' }],
  entries: [
    {
      id: 'https://tracker.example/changes#change-7',
      title: 'busybox 3.16/main: CVE-2023-42366 unknown → vulnerable',
      updated: '2024-03-01T11:00:00Z',
      links: [{ rel: 'alternate', href: 'https://tracker.example/cve/CVE-2023-42366', type: 'text/html' }],
      categories: ['vulnerable'],
      summary: { type: 'text', value: 'Cause: update.' },
    },
  ],
  ...overrides,
});

const linkAttributes = (element: XmlElement) => childrenNamed(element, 'link').map((link) => link.attributes);

/** Whether a code point may appear in an XML 1.0 document (the `Char` production). */
function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}
const keepXmlChars = (text: string) => [...text].filter((char) => isXmlChar(char.codePointAt(0) as number)).join('');

describe('writeAtomFeed', () => {
  it('writes an Atom 1.0 feed with its metadata and entries', () => {
    const root = parseXml(writeAtomFeed(feed()));
    expect(root.namespace).toBe(ATOM);
    expect(root.name).toBe('feed');
    expect(childText(root, 'id')).toBe('https://tracker.example/feed.atom');
    expect(childText(root, 'title')).toBe('State changes');
    expect(childText(root, 'updated')).toBe('2024-03-01T12:00:00.000Z');
    expect(linkAttributes(root)).toEqual([
      { rel: 'self', href: 'https://tracker.example/feed.atom', type: 'application/atom+xml' },
      { rel: 'alternate', href: 'https://tracker.example/changes', type: 'text/html' },
    ]);
    const [author] = childrenNamed(root, 'author');
    expect(childText(author as XmlElement, 'name')).toBe('Example tracker');
    expect(childText(author as XmlElement, 'uri')).toBe('https://tracker.example/');

    const entries = childrenNamed(root, 'entry');
    expect(entries).toHaveLength(1);
    const entry = entries[0] as XmlElement;
    expect(entry.namespace).toBe(ATOM);
    expect(childText(entry, 'id')).toBe('https://tracker.example/changes#change-7');
    expect(childText(entry, 'title')).toBe('busybox 3.16/main: CVE-2023-42366 unknown → vulnerable');
    // Normalised to the full RFC 3339 form.
    expect(childText(entry, 'updated')).toBe('2024-03-01T11:00:00.000Z');
    expect(linkAttributes(entry)).toEqual([{ rel: 'alternate', href: 'https://tracker.example/cve/CVE-2023-42366', type: 'text/html' }]);
    expect(childrenNamed(entry, 'category').map((category) => category.attributes['term'])).toEqual(['vulnerable']);
    const [summary] = childrenNamed(entry, 'summary');
    expect(summary?.attributes).toEqual({ type: 'text' });
    expect(summary?.text).toBe('Cause: update.');
  });

  it('writes an empty feed and the optional subtitle, generator and content', () => {
    const empty = parseXml(writeAtomFeed(feed({ entries: [], subtitle: 'Nothing yet', generator: 'secfix' })));
    expect(childrenNamed(empty, 'entry')).toEqual([]);
    expect(childText(empty, 'subtitle')).toBe('Nothing yet');
    expect(childText(empty, 'generator')).toBe('secfix');
    const withContent = parseXml(
      writeAtomFeed(feed({ entries: [{ id: 'urn:x:1', title: 'T', updated: '2024-01-01T00:00:00Z', links: [], content: { type: 'html', value: '<p>a &amp; b</p>' } }] })),
    );
    const content = childrenNamed(childrenNamed(withContent, 'entry')[0] as XmlElement, 'content')[0];
    expect(content?.attributes).toEqual({ type: 'html' });
    // Escaped HTML: the reader gets the markup back as text and renders it.
    expect(content?.text).toBe('<p>a &amp; b</p>');
  });

  it('escapes markup, quotes and ampersands, and drops characters XML cannot hold', () => {
    const hostile = `<script>alert(1)</script> ]]> & "double" 'single' bell\u0007 nul\u0000 esc\u001b keep\ttab\r\nline`;
    const text = writeAtomFeed(
      feed({
        title: hostile,
        links: [{ rel: 'self', href: `https://tracker.example/?a=1&b="2"\n<x>` }],
        entries: [{ id: 'urn:x:1', title: hostile, updated: '2024-01-01T00:00:00Z', links: [], summary: { type: 'text', value: hostile } }],
      }),
    );
    expect(text).not.toContain('<script');
    for (const control of ['\u0000', '\u0007', '\u001b']) expect(text).not.toContain(control);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp; &quot;double&quot; &apos;single&apos;');
    const root = parseXml(text);
    const expected = `<script>alert(1)</script> ]]> & "double" 'single' bell nul esc keep\ttab\r\nline`;
    expect(childText(root, 'title')).toBe(expected);
    expect(linkAttributes(root)[0]?.['href']).toBe(`https://tracker.example/?a=1&b="2"\n<x>`);
    const entry = childrenNamed(root, 'entry')[0] as XmlElement;
    expect(childText(entry, 'title')).toBe(expected);
    expect(childText(entry, 'summary')).toBe(expected);
  });

  it('refuses a time that is not a date', () => {
    expect(() => writeAtomFeed(feed({ updated: 'yesterday' }))).toThrow(/not a date-time/);
  });

  it('gives well-formed XML that reads back as the input, whatever the strings', () => {
    // Characters that stress XML: markup, CDATA ends, line ends, controls, non-characters, lone surrogates.
    const tricky = fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\r', '\n', '\t', '\u0000', '\u0008', '\u001f', '\u007f', '\uD800', '\uDFFF', '\uFFFE', '\uFFFF', '&amp;', '<![CDATA[');
    const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((codePoint) => String.fromCodePoint(codePoint));
    const text = fc.string({ unit: fc.oneof(tricky, anyCodePoint, fc.string({ maxLength: 1 })) });
    fc.assert(
      fc.property(text, text, text, text, (title, entryTitle, summary, href) => {
        const document = writeAtomFeed(
          feed({
            title,
            links: [{ rel: 'self', href, title }],
            entries: [{ id: href, title: entryTitle, updated: '2024-01-01T00:00:00Z', links: [{ href }], summary: { type: 'text', value: summary } }],
          }),
        );
        const root = parseXml(document);
        expect(childText(root, 'title')).toBe(keepXmlChars(title));
        expect(linkAttributes(root)[0]).toEqual({ rel: 'self', href: keepXmlChars(href), title: keepXmlChars(title) });
        const entry = childrenNamed(root, 'entry')[0] as XmlElement;
        expect(childText(entry, 'id')).toBe(keepXmlChars(href));
        expect(childText(entry, 'title')).toBe(keepXmlChars(entryTitle));
        expect(childText(entry, 'summary')).toBe(keepXmlChars(summary));
      }),
      { numRuns: 500 },
    );
  });
});
