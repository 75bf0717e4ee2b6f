import type { FastifyInstance } from 'fastify';
import { CHANGE_KINDS, type ChangePosition, listChangesAfter } from '../../store/index.js';
import { badRequest } from '../errors.js';
import { type RawQuery, integerParam, onlyParams, textParam } from '../query-params.js';
import { respond } from '../respond.js';
import { CHANGES_FEED_PATH } from '../urls.js';
import type { WebContext } from '../web-context.js';

/** Changes per answer unless `limit` says; and the most one answer gives. */
const DEFAULT_LIMIT = 100;
export const MAX_CHANGES_LIMIT = 1000;

/** A position as an opaque cursor: base64url of `[time, kind, id]`. */
function cursorOf(position: ChangePosition): string {
  return Buffer.from(JSON.stringify([position.time, position.kind, position.id])).toString('base64url');
}

function positionOf(cursor: string): ChangePosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 3) {
    const [time, kind, id] = value as unknown[];
    if (typeof time === 'string' && (CHANGE_KINDS as readonly unknown[]).includes(kind) && Number.isSafeInteger(id)) {
      return { time, kind: kind as ChangePosition['kind'], id: id as number };
    }
  }
  throw badRequest('query parameter "after" is not a cursor this server gave; start again without it');
}

/**
 * `GET /api/changes?after=CURSOR&limit=N`: every state change, triage event and finished
 * import in order, `limit` at a time, each with its cursor; `next` is the cursor to ask with next
 * (the last change's, or the one given when nothing is new), `more` whether a full page came.
 * The first call goes without `after`. Answered with ETag and compression like every API answer.
 */
export function registerChangeLogRoute(app: FastifyInstance, web: WebContext): void {
  app.get<{ Querystring: RawQuery }>(CHANGES_FEED_PATH, (request, reply) => {
    onlyParams(request.query, ['after', 'limit']);
    const after = textParam(request.query, 'after');
    const limit = integerParam(request.query, 'limit', 1, MAX_CHANGES_LIMIT) ?? DEFAULT_LIMIT;
    const position = after === undefined ? null : positionOf(after);
    const url = `${CHANGES_FEED_PATH}?limit=${limit}${after === undefined ? '' : `&after=${after}`}`;
    return respond(web, request, reply, {
      url,
      contentType: 'application/json; charset=utf-8',
      variant: 'changes-since',
      render: async () => {
        const changes = await listChangesAfter(web.db, position, limit);
        const last = changes.at(-1);
        const next = last === undefined ? (after ?? null) : cursorOf(last);
        return `${JSON.stringify({ changes: changes.map((change) => ({ cursor: cursorOf(change), ...change })), next, more: changes.length === limit })}\n`;
      },
    });
  });
}
