import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { type ServerOptions, buildServer } from './server.js';
import { type SenderOptions, startOutboxSender } from '../tracker/outbox.js';
import type { ExchangeOptions } from './routes/inbox.js';
import { listenOrigin, parseBaseUrl } from './web-context.js';

export interface ListenOptions extends Omit<ServerOptions, 'db' | 'dialect' | 'exchange'> {
  readonly port: number;
  readonly host: string;
  /** How the outbox is sent to peers while the server runs; `false` sends nothing (the outbox keeps it). */
  readonly sender?: ListenSenderOptions | false;
  /** Limits of the inbox (body size, notifications per peer and minute). */
  readonly inbox?: Omit<ExchangeOptions, 'dialect'>;
}

/** The outbox sender of a running server; its origin is the server's. */
export type ListenSenderOptions = Omit<SenderOptions, 'origin'> & { readonly intervalMs?: number };

const DEFAULT_SEND_INTERVAL_MS = 5_000;

/** A running tracker: its address, and how to stop it (the store stays open; its owner closes it). */
interface RunningServer {
  readonly app: FastifyInstance;
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  readonly address: string;
  close(): Promise<void>;
}

/** Serves a store over HTTP until `close`. */
export async function listen(store: Store, options: ListenOptions): Promise<RunningServer> {
  const app = await buildServer({ ...options, db: store.db, dialect: store.dialect, exchange: { ...options.inbox, dialect: store.dialect } });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    // An app that never listened still holds timers and hooks that would keep the process alive.
    await app.close();
    throw error;
  }
  const address = listenOrigin(options.host, app.server.address());
  const sender =
    options.sender === false
      ? undefined
      : startOutboxSender(store, {
          ...options.sender,
          origin: options.site.baseUrl === undefined ? address : parseBaseUrl(options.site.baseUrl),
          intervalMs: options.sender?.intervalMs ?? DEFAULT_SEND_INTERVAL_MS,
          onError: (error) => app.log.error({ err: error }, 'outbox delivery failed'),
        });
  return {
    app,
    address,
    async close() {
      await sender?.stop();
      await app.close();
    },
  };
}
