import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { type ServerOptions, buildServer } from './server.js';
import { listenOrigin } from './web-context.js';

export interface ListenOptions extends Omit<ServerOptions, 'db' | 'dialect'> {
  readonly port: number;
  readonly host: string;
}

/** A running tracker: its address, and how to stop it (the store stays open; its owner closes it). */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  readonly address: string;
  close(): Promise<void>;
}

/** Serves a store over HTTP until `close`. */
export async function listen(store: Store, options: ListenOptions): Promise<RunningServer> {
  const app = await buildServer({ ...options, db: store.db, dialect: store.dialect });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    // An app that never listened still holds timers and hooks that would keep the process alive.
    await app.close();
    throw error;
  }
  return { app, address: listenOrigin(options.host, app.server.address()), close: () => app.close() };
}
