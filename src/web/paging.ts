import { type RawQuery, integerParam } from './query-params.js';

/** The deepest page a paged list accepts. */
export const MAX_PAGE = 100_000;

/** The `page` query parameter: 1 when absent, else a whole number from 1 to `max`. */
export function pageParam(query: RawQuery, max = MAX_PAGE): number {
  return integerParam(query, 'page', 1, max) ?? 1;
}

/** Pages needed for `total` items; an empty list still has its first page. */
export function pageCountOf(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

/** The `page` query value of a link: none for the first page, so that page has one URL. */
export function pageQueryValue(page: number): number | undefined {
  return page === 1 ? undefined : page;
}

/** A JSON answer's `previous` and `next`: the paths of the neighbouring pages, null past either end. */
export function neighbourPagePaths(
  page: number,
  pageCount: number,
  pathOf: (page: number) => string,
): { previous: string | null; next: string | null } {
  return { previous: page > 1 ? pathOf(page - 1) : null, next: page < pageCount ? pathOf(page + 1) : null };
}

/** A JSON-LD Collection's paging: its size, the page, and the neighbouring pages' IRIs where there are some. */
export function linkedPaging(
  totalItems: number,
  page: number,
  pageCount: number,
  iriOf: (page: number) => string,
): { totalItems: number; page: number; previous?: string; next?: string } {
  return { totalItems, page, ...(page > 1 ? { previous: iriOf(page - 1) } : {}), ...(page < pageCount ? { next: iriOf(page + 1) } : {}) };
}
