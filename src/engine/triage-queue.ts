import { severityRank } from '../base/severity.js';

/**
 * The order of the triage queue and how one page of it is put together from its two parts: the
 * untriaged open pairs (most of them), which the store sorts and pages in SQL in this same order,
 * and the few pairs with triage events, which the engine resolves and sorts here.
 */

/** What places a pair in the queue. */
export interface QueuePlace {
  readonly branch: string;
  readonly repo: string;
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly urgency: { readonly kev: boolean; readonly severity: string | null; readonly published: string | null };
}

/** A UTF-16 code unit's weight in code-point order: surrogates (code points past U+FFFF) after U+E000-U+FFFF. */
const codePointWeight = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);

/** Code-point order, as SQLite's BINARY and PostgreSQL's "C" collation compare UTF-8 text. */
export function byCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return codePointWeight(x) - codePointWeight(y);
  }
  return a.length - b.length;
}

/**
 * Most urgent first: listed as known exploited (CISA KEV), then severity (`SEVERITY_RANK`), then
 * oldest published (none last), then by branch, repository, package and id, so that every pair
 * has one place. The store's untriaged-queue query sorts by the same fields in the same order.
 */
export function byUrgency(a: QueuePlace, b: QueuePlace): number {
  if (a.urgency.kev !== b.urgency.kev) return a.urgency.kev ? -1 : 1;
  const severity = severityRank(b.urgency.severity) - severityRank(a.urgency.severity);
  if (severity !== 0) return severity;
  const [x, y] = [a.urgency.published, b.urgency.published];
  if (x !== y) return x === null ? 1 : y === null ? -1 : byCodePoints(x, y);
  return byCodePoints(a.branch, b.branch) || byCodePoints(a.repo, b.repo) || byCodePoints(a.package, b.package) || byCodePoints(a.vulnerabilityId, b.vulnerabilityId);
}

/**
 * Whether a pair sorts among those whose vulnerability has no record (no KEV listing, no ranked
 * severity, no publication date): the last of the queue, where those pairs come in by place.
 */
export function amongUnrecorded(place: QueuePlace): boolean {
  return !place.urgency.kev && severityRank(place.urgency.severity) === 0 && place.urgency.published === null;
}

/** Which untriaged rows (in queue order) a page needs: `limit` of them from `offset`. */
export interface UntriagedSlice {
  readonly offset: number;
  readonly limit: number;
}

/**
 * The untriaged rows that hold every untriaged pair of queue positions [start, start + size),
 * given `triaged` open pairs besides: at most `triaged` of them come before the page, and at most
 * `size` of them are in it, wherever the triaged pairs fall.
 */
export function untriagedSlice(start: number, size: number, triaged: number): UntriagedSlice {
  return { offset: Math.max(0, start - triaged), limit: size + triaged };
}

/**
 * The pairs at queue positions [start, start + size): `untriaged` holds the untriaged rows of
 * `untriagedSlice(start, size, triaged.length)` (fewer at the end of the queue), in queue order;
 * `triaged` every open pair with triage events, in any order. An untriaged row's position is its
 * own plus the triaged pairs before it; a triaged pair's is its rank among them plus the
 * untriaged rows before it, which are known exactly unless it comes before every row read (then
 * it is before the page).
 */
export function queuePage<T extends QueuePlace>(start: number, size: number, untriaged: readonly T[], triaged: readonly T[]): T[] {
  const { offset } = untriagedSlice(start, size, triaged.length);
  const sortedTriaged = [...triaged].sort(byUrgency);
  const page: T[] = [];
  let u = 0;
  let t = 0;
  while (u < untriaged.length || t < sortedTriaged.length) {
    const takeTriaged = u === untriaged.length || (t < sortedTriaged.length && byUrgency(sortedTriaged[t]!, untriaged[u]!) < 0);
    // Triaged pairs before the first row read, past skipped rows, lie before the page.
    const known = !takeTriaged || u > 0 || offset === 0;
    const position = offset + u + t;
    if (known && position >= start + size) break;
    if (known && position >= start) page.push(takeTriaged ? sortedTriaged[t]! : untriaged[u]!);
    if (takeTriaged) t++;
    else u++;
  }
  return page;
}
