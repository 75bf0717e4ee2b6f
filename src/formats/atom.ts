/**
 * An Atom 1.0 (RFC 4287) feed writer. Pure: data in, XML text out. Every text and attribute
 * value is escaped, and characters XML 1.0 cannot carry at all (control characters other than
 * tab, newline and carriage return; lone surrogates; U+FFFE/U+FFFF) are dropped, so any input
 * gives a well-formed document.
 */

const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';

/** Text of an Atom text construct: `text` is shown as is, `html` is markup the reader renders. */
interface AtomText {
  readonly type: 'text' | 'html';
  readonly value: string;
}

interface AtomLink {
  readonly href: string;
  /** `alternate` when omitted, as RFC 4287 reads a link without rel. */
  readonly rel?: 'self' | 'alternate' | 'related' | 'via' | 'enclosure';
  readonly type?: string;
  readonly title?: string;
}

interface AtomPerson {
  readonly name: string;
  readonly uri?: string;
  readonly email?: string;
}

export interface AtomEntry {
  /** A permanent, unique IRI. */
  readonly id: string;
  readonly title: string;
  /** ISO-8601 time. */
  readonly updated: string;
  readonly links: readonly AtomLink[];
  readonly summary?: AtomText;
  readonly content?: AtomText;
  readonly categories?: readonly string[];
}

export interface AtomFeed {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  /** ISO-8601 time: the newest entry's, or when the feed's source last changed. */
  readonly updated: string;
  /** Should hold the feed's own URL (`self`) and the page it mirrors (`alternate`). */
  readonly links: readonly AtomLink[];
  /** Required unless every entry names its own author; secfix's entries never do. */
  readonly authors: readonly AtomPerson[];
  readonly generator?: string;
  readonly entries: readonly AtomEntry[];
}

// XML 1.0 `Char`, negated: what no XML 1.0 document may contain, even escaped.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A raw carriage return would be read as a newline; the reference keeps it.
  '\r': '&#xD;',
};
// Attribute values additionally turn raw tabs and newlines into spaces when read.
const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = { ...TEXT_ESCAPES, '\t': '&#x9;', '\n': '&#xA;' };

/** Text for element content: without characters XML cannot hold, with markup characters escaped. */
function escapeXmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/[&<>"'\r]/g, (char) => TEXT_ESCAPES[char] as string);
}

/** Text for a double-quoted attribute value. */
function escapeXmlAttribute(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/[&<>"'\r\t\n]/g, (char) => ATTRIBUTE_ESCAPES[char] as string);
}

/** An RFC 3339 time, as Atom requires; anything unparseable is a programming error. */
function rfc3339(iso: string): string {
  const time = Date.parse(iso);
  if (!Number.isFinite(time)) throw new Error(`not a date-time for an Atom feed: "${iso}"`);
  return new Date(time).toISOString();
}

function element(name: string, text: string): string {
  return `<${name}>${escapeXmlText(text)}</${name}>`;
}

function textConstruct(name: string, text: AtomText): string {
  return `<${name} type="${text.type}">${escapeXmlText(text.value)}</${name}>`;
}

function link(value: AtomLink): string {
  const attributes = [`href="${escapeXmlAttribute(value.href)}"`];
  if (value.rel !== undefined) attributes.unshift(`rel="${value.rel}"`);
  if (value.type !== undefined) attributes.push(`type="${escapeXmlAttribute(value.type)}"`);
  if (value.title !== undefined) attributes.push(`title="${escapeXmlAttribute(value.title)}"`);
  return `<link ${attributes.join(' ')}/>`;
}

function person(value: AtomPerson): string {
  const parts = [element('name', value.name)];
  if (value.uri !== undefined) parts.push(element('uri', value.uri));
  if (value.email !== undefined) parts.push(element('email', value.email));
  return `<author>${parts.join('')}</author>`;
}

function entry(value: AtomEntry): string {
  const parts = [element('id', value.id), element('title', value.title), element('updated', rfc3339(value.updated)), ...value.links.map(link)];
  for (const term of value.categories ?? []) parts.push(`<category term="${escapeXmlAttribute(term)}"/>`);
  if (value.summary !== undefined) parts.push(textConstruct('summary', value.summary));
  if (value.content !== undefined) parts.push(textConstruct('content', value.content));
  return `<entry>\n${parts.join('\n')}\n</entry>`;
}

/** The feed as an XML document (UTF-8). */
export function writeAtomFeed(feed: AtomFeed): string {
  const parts = [element('id', feed.id), element('title', feed.title)];
  if (feed.subtitle !== undefined) parts.push(element('subtitle', feed.subtitle));
  parts.push(element('updated', rfc3339(feed.updated)), ...feed.links.map(link), ...feed.authors.map(person));
  if (feed.generator !== undefined) parts.push(element('generator', feed.generator));
  parts.push(...feed.entries.map(entry));
  return `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="${ATOM_NAMESPACE}">\n${parts.join('\n')}\n</feed>\n`;
}
