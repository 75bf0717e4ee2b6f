import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { Schema } from '../../store/index.js';
import { type Backend, type TestStore, openTestStore } from '../../test-support/databases.js';
import { CONTEXT_PATH } from '../linked-data.js';
import { type ServerOptions, buildServer } from '../server.js';
import { QueryCounter } from './query-counter.js';

export { QueryCounter };

/** The origin tests give the server, so JSON-LD ids and feed links are predictable. */
export const TEST_BASE_URL = 'http://tracker.test';

export interface WebFixture {
  readonly app: FastifyInstance;
  readonly store: TestStore;
  readonly queries: QueryCounter;
  /** GET with optional headers; the answer as light-my-request gives it. */
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** GET expecting 200 JSON (or JSON-LD with `accept`); returns the parsed body. */
  getJson<T = Record<string, unknown>>(url: string, accept?: string): Promise<T>;
}

/**
 * What a fixture's database holds: a copy of the bundled demo data (the real Alpine sample:
 * 3 branches, secdb, indexes, NVD; loaded once per run) or only the schema, then what `seed` adds.
 */
export interface FixtureData {
  readonly contents: 'demo' | 'schema';
  readonly seed?: (store: TestStore) => Promise<void>;
}

/** The id of one repository of the demo data, such as 3.16/main. */
export async function demoRepositoryId(store: TestStore, branch: string, repo: string): Promise<number> {
  const row = await store.db
    .selectFrom('repository as r')
    .innerJoin('branch as b', 'b.id', 'r.branch_id')
    .where('b.name', '=', branch)
    .where('r.name', '=', repo)
    .select('r.id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A JSON-LD document loader that knows only secfix's own context, fetched from the server under test. */
export function contextLoader(web: WebFixture) {
  return async (url: string) => {
    if (url !== `${TEST_BASE_URL}${CONTEXT_PATH}`) throw new Error(`blocked remote context ${url}`);
    const response = await web.get(CONTEXT_PATH);
    return { contextUrl: null, document: response.json<unknown>(), documentUrl: url };
  };
}

/** Every page of a paged list as JSON, from `url` on, following `next`. */
export async function getAllPages<Page extends { readonly next: string | null }>(web: WebFixture, url: string): Promise<Page[]> {
  const pages: Page[] = [];
  let next: string | null = url;
  while (next !== null) {
    const page: Page = await web.getJson<Page>(next);
    pages.push(page);
    next = page.next;
  }
  return pages;
}

/**
 * For one `describe` block: a fresh database of `backend` holding `data` (the demo data unless
 * told), and a server over it without response cache or rate limit, so each request
 * renders and its queries can be counted. Returns a getter, available inside tests.
 */
export function useWebFixture(
  backend: Backend,
  data: FixtureData = { contents: 'demo' },
  options: Partial<Omit<ServerOptions, 'db' | 'dialect'>> = {},
): () => WebFixture {
  let fixture: WebFixture | undefined;
  beforeAll(async () => {
    const store = await openTestStore(backend, { contents: data.contents });
    await data.seed?.(store);
    const queries = new QueryCounter();
    const db: Kysely<Schema> = store.db.withPlugin(queries);
    const app = await buildServer({
      db,
      dialect: store.dialect,
      site: { distribution: 'Alpine Linux (sample data)', baseUrl: TEST_BASE_URL },
      cache: false,
      rateLimitPerMinute: false,
      exchange: { dialect: backend },
      ...options,
    });
    const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
    fixture = {
      app,
      store,
      queries,
      get,
      async getJson<T>(url: string, accept = 'application/json') {
        const response = await get(url, { accept });
        if (response.statusCode !== 200) throw new Error(`GET ${url} (${accept}) answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        return response.json<T>();
      },
    };
  }, 120_000);
  afterAll(async () => {
    await fixture?.app.close();
    await fixture?.store.dispose();
  });
  return () => {
    if (fixture === undefined) throw new Error('the web fixture is used outside a test (or failed to start)');
    return fixture;
  };
}
