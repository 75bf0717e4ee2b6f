import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../formats/http-signature.js';
import { announceActivity } from '../formats/ldn.js';
import { appendTriageEvents, migrateToLatest, openDatabase } from '../store/index.js';
import { addPeer } from '../tracker/exchange.js';
import { deliverDue, queueForPeers } from '../tracker/outbox.js';
import { buildServer } from '../web/server.js';
import { elapsedMs } from './measure.js';

/*
 * The exchange between trackers on SQLite: receiving one signed notification through the real
 * server (inject: signature and digest checked, nonce stored, JSON-LD parsed, suggestion written;
 * p50/p99 of 500), and sending 500 queued Announces to a loopback inbox (per second).
 */

const RUNS = 500;
const WARM_UP_RUNS = 20;
const PEER = 'https://b.example';
const BASE = 'http://tracker.bench';

const folder = mkdtempSync(join(tmpdir(), 'secfix-bench-exchange-'));
try {
  const store = await openDatabase(`sqlite:${join(folder, 'exchange.db')}`, { create: true });
  await migrateToLatest(store);
  const secret = randomBytes(32);
  await addPeer(store, { origin: PEER, inboxUrl: `${PEER}/inbox`, keyType: 'hmac-sha256', key: secret.toString('base64') });
  const app = await buildServer({ db: store.db, dialect: 'sqlite', site: { distribution: 'bench', baseUrl: BASE }, cache: false, rateLimitPerMinute: false, exchange: { dialect: 'sqlite', perPeerPerMinute: 1_000_000 } });
  const parties = { origin: PEER, originInbox: `${PEER}/inbox`, target: BASE, targetInbox: `${BASE}/inbox` };
  const receive = async (index: number) => {
    const body = JSON.stringify(
      announceActivity(`${PEER}/outbox#event-${index}`, parties, { package: `pkg${index}`, vulnerabilityId: 'CVE-2026-0001', status: 'not-affected', justification: 'component-not-present', version: null, note: null }, 'x', 'alpine', new Date().toISOString()),
    );
    const headers = signRequest({ method: 'POST', targetUri: `${BASE}/inbox`, body }, { alg: 'hmac-sha256', secret }, PEER, Math.floor(Date.now() / 1000), randomUUID());
    const response = await app.inject({ method: 'POST', url: '/inbox', payload: body, headers: { 'content-type': 'application/ld+json', ...headers } });
    if (response.statusCode !== 201) throw new Error(`inbox answered ${response.statusCode}: ${response.body}`);
  };
  for (let index = 0; index < WARM_UP_RUNS; index += 1) await receive(-index - 1);
  const times: number[] = [];
  for (let index = 0; index < RUNS; index += 1) {
    const start = process.hrtime.bigint();
    await receive(index);
    times.push(elapsedMs(start));
  }
  times.sort((a, b) => a - b);
  const at = (fraction: number) => Math.round(times[Math.min(times.length - 1, Math.floor(times.length * fraction))]! * 100) / 100;
  await app.close();

  // Sending: a loopback inbox that takes everything, as the only peer.
  const inbox = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.statusCode = 201;
      response.end();
    });
  });
  await new Promise<void>((resolve) => inbox.listen(0, '127.0.0.1', resolve));
  const inboxUrl = `http://127.0.0.1:${(inbox.address() as AddressInfo).port}/inbox`;
  await store.db.deleteFrom('exchange_peer').execute();
  await addPeer(store, { origin: new URL(inboxUrl).origin, inboxUrl, keyType: 'hmac-sha256', key: secret.toString('base64') });
  const createdAt = new Date().toISOString();
  const events = await appendTriageEvents(
    store.db,
    Array.from({ length: RUNS }, (_, index) => ({
      package: `pkg${index}`,
      vulnerabilityId: 'CVE-2026-0001',
      branches: null,
      status: 'not-affected' as const,
      justification: 'component-not-present' as const,
      version: null,
      note: null,
      author: 'bench@example.org',
      createdAt,
      computedDigests: {},
    })),
  );
  await queueForPeers(store.db, events);
  const start = process.hrtime.bigint();
  let sent = 0;
  for (;;) {
    const counts = await deliverDue(store, { origin: BASE });
    if (counts.sent + counts.retrying + counts.failed === 0) break;
    sent += counts.sent;
  }
  const sendMs = elapsedMs(start);
  await new Promise<void>((resolve) => inbox.close(() => resolve()));
  await store.close();

  const figures = { receiveOneMs: { p50: at(0.5), p99: at(0.99) }, send: { notifications: sent, perSecond: Math.round(sent / (sendMs / 1000)) } };
  console.error(`exchange: receive one p50 ${figures.receiveOneMs.p50} ms, p99 ${figures.receiveOneMs.p99} ms; sent ${sent} at ${figures.send.perSecond}/s`);
  console.log(JSON.stringify(figures));
} finally {
  rmSync(folder, { recursive: true, force: true });
}
