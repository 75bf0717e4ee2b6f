import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import { InputError } from '../../base/input-error.js';
import { LDP_INBOX, inboxListing } from '../../formats/ldn.js';
import { type Store, type StoreDialect, findNotification, getDataVersion, listNotificationIds, listOutbox } from '../../store/index.js';
import { PeerAuthError, authenticatePeer, receiveNotification } from '../../tracker/exchange.js';
import { INBOX_PATH, OUTBOX_PATH } from '../../tracker/outbox.js';
import { HttpError, notFound } from '../errors.js';
import { requestFormat } from '../resource.js';
import { outboxView } from '../views/exchange.js';
import { page } from '../views/layout.js';
import type { WebContext } from '../web-context.js';

/** Exchange with peer trackers: the inbox, suggestions and outbox (`listen` turns it on). */
export interface ExchangeOptions {
  readonly dialect: StoreDialect;
  /** The largest notification body accepted, in bytes (413 beyond). */
  readonly bodyLimit?: number;
  /** Notifications per peer and minute before 429. */
  readonly perPeerPerMinute?: number;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;
const DEFAULT_PER_PEER_PER_MINUTE = 120;
const LD_JSON = 'application/ld+json';
/** What POST /inbox takes: JSON-LD, with or without a profile (AS2's own media type is the same thing). */
const ACCEPTED_TYPES = [LD_JSON, 'application/activity+json'];
const OUTBOX_LIMIT = 500;

/** The store the exchange writes through (under the writer lock), over the server's database. */
export const exchangeStore = (web: WebContext, options: ExchangeOptions): Store => ({ db: web.db, dialect: options.dialect, close: () => Promise.resolve() });

/** An onSend hook that adds `Link: <ORIGIN/inbox>; rel="ldp:inbox"` to every answer, so any resource leads to the inbox. */
export function advertiseInbox(web: WebContext): onSendHookHandler {
  return (_request, reply, payload, done) => {
    const link = `<${web.origin()}${INBOX_PATH}>; rel="${LDP_INBOX}"`;
    const existing = reply.getHeader('link');
    const links = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
    reply.header('link', [...links, link].join(', '));
    done(null, payload);
  };
}

/** A fixed window of requests per peer, kept in memory (a restart forgives). */
function peerRateLimit(perMinute: number): (origin: string, now: number) => boolean {
  const windows = new Map<string, { start: number; count: number }>();
  return (origin, now) => {
    const window = windows.get(origin);
    if (window === undefined || now - window.start >= 60_000) {
      windows.set(origin, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= perMinute;
  };
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** JSON-LD for linked-data clients; `application/json` only when that is what was asked for. */
function sendLinkedData(request: FastifyRequest, reply: FastifyReply, body: string): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .type(requestFormat(request) === 'json' ? 'application/json; charset=utf-8' : `${LD_JSON}; charset=utf-8`)
    .send(body);
}

/** GET, POST and OPTIONS on /inbox, GET /inbox/:id and the /outbox page. */
export function registerInboxRoutes(app: FastifyInstance, web: WebContext, options: ExchangeOptions): void {
  const store = exchangeStore(web, options);
  const allowed = peerRateLimit(options.perPeerPerMinute ?? DEFAULT_PER_PEER_PER_MINUTE);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const notificationUrl = (id: string) => `${web.origin()}${INBOX_PATH}/${id}`;

  void app.register((scope, _options, done) => {
    // The body is kept as the exact text received: its digest is signed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, parsed) => parsed(null, body));
    // Peers and linked-data clients read errors as JSON, also those raised before a handler runs (413).
    scope.addHook('onRequest', (request, _reply, next) => {
      request.secfixFormat = 'json';
      next();
    });

    scope.post(INBOX_PATH, { bodyLimit }, async (request, reply) => {
      const mediaType = (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!ACCEPTED_TYPES.includes(mediaType)) throw new HttpError(415, `a notification is ${LD_JSON} (with or without a profile), not "${mediaType || 'nothing'}"`);
      const body = typeof request.body === 'string' ? request.body : '';
      const now = new Date();
      let peer;
      try {
        peer = await authenticatePeer(
          store,
          {
            method: request.method,
            targetUri: `${web.origin()}${request.url}`,
            contentDigest: header(request, 'content-digest'),
            signatureInput: header(request, 'signature-input'),
            signature: header(request, 'signature'),
            body,
          },
          now,
        );
      } catch (error) {
        if (error instanceof PeerAuthError) throw new HttpError(401, error.message);
        throw error;
      }
      if (!allowed(peer.origin, now.getTime())) throw new HttpError(429, `more than ${options.perPeerPerMinute ?? DEFAULT_PER_PEER_PER_MINUTE} notifications a minute from ${peer.origin}`);
      try {
        const received = await receiveNotification(store, peer, body, now, web.origin());
        return reply.code(201).header('location', notificationUrl(received.id)).header('cache-control', 'no-store').send();
      } catch (error) {
        if (error instanceof InputError) throw new HttpError(400, error.message);
        throw error;
      }
    });

    scope.options(INBOX_PATH, async (_request, reply) =>
      reply.header('allow', 'GET, HEAD, OPTIONS, POST').header('accept-post', `${LD_JSON}, application/activity+json`).code(204).send(),
    );

    scope.get(INBOX_PATH, async (request, reply) => {
      const ids = await listNotificationIds(web.db);
      reply.header('accept-post', LD_JSON);
      return sendLinkedData(request, reply, JSON.stringify(inboxListing(`${web.origin()}${INBOX_PATH}`, ids.map(notificationUrl))));
    });

    scope.get<{ Params: { id: string } }>(`${INBOX_PATH}/:id`, async (request, reply) => {
      const notification = await findNotification(web.db, request.params.id);
      if (notification === undefined) throw notFound(`notification ${request.params.id}`);
      return sendLinkedData(request, reply, notification.body);
    });
    done();
  });

  app.get(OUTBOX_PATH, async (request, reply) => {
    const entries = await listOutbox(web.db, OUTBOX_LIMIT);
    reply.header('cache-control', 'no-store');
    const format = requestFormat(request);
    if (format !== 'html') return reply.type('application/json; charset=utf-8').send({ entries });
    const dataVersion = await getDataVersion(web.db);
    return reply
      .type('text/html; charset=utf-8')
      .send(page({ site: web.site, base: web.origin(), url: request.url, dataVersion }, { title: 'Outbox', body: outboxView(entries) }).toString());
  });
}
