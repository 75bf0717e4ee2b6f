import { randomBytes, randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecret, secretHash } from '../../base/secret.js';
import { signRequest } from '../../formats/http-signature.js';
import { announceActivity } from '../../formats/ldn.js';
import { createSession, listTriageEvents } from '../../store/index.js';
import { type TestStore, openTestStore } from '../../test-support/databases.js';
import { addPeer } from '../../tracker/exchange.js';
import { listen } from '../listen.js';
import { accessibilityViolations, launchBrowser, screenshot } from '../test-support/browser.js';

type RunningServer = Awaited<ReturnType<typeof listen>>;

const PEER = 'https://b.example';
const SECRET = randomBytes(32);

/*
 * The suggestions page in a real browser over a real server: a peer's signed Announce is listed,
 * a signed-in security-team member accepts it with the page's form (CSRF token included), and
 * the page then shows it accepted; no accessibility violations.
 */
describe('suggestions in a browser', () => {
  let store: TestStore;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    store = await openTestStore('sqlite', { contents: 'demo' });
    server = await listen(store, {
      port: 0,
      host: '127.0.0.1',
      site: { distribution: 'Alpine Linux (sample data)' },
      rateLimitPerMinute: false,
      sender: false,
      auth: { roles: { securityTeam: { emails: ['sec@example.org'], groups: [] }, admins: { emails: [], groups: [] } } },
    });
    await addPeer(store, { origin: PEER, inboxUrl: `${PEER}/inbox`, keyType: 'hmac-sha256', key: SECRET.toString('base64') });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  it('lists a peer\'s suggestion and accepts it with the form', async () => {
    const inbox = `${server.address}/inbox`;
    const body = JSON.stringify(
      announceActivity(
        `${PEER}/outbox#event-7`,
        { origin: PEER, originInbox: `${PEER}/inbox`, target: server.address, targetInbox: inbox },
        { package: 'busybox', vulnerabilityId: 'CVE-2099-2000', status: 'not-affected', justification: 'vulnerable-code-not-in-execute-path', version: null, note: 'only reachable from the shell' },
        `${PEER}/cve/CVE-2099-2000`,
        'alpine',
        new Date().toISOString(),
      ),
    );
    const headers = signRequest({ method: 'POST', targetUri: inbox, body }, { alg: 'hmac-sha256', secret: SECRET }, PEER, Math.floor(Date.now() / 1000), randomUUID());
    expect((await fetch(inbox, { method: 'POST', body, headers: { 'content-type': 'application/ld+json', ...headers } })).status).toBe(201);

    const id = newSecret();
    await createSession(store.db, { idHash: secretHash(id), email: 'sec@example.org', groups: [], createdAt: new Date().toISOString(), expiresAt: '2999-01-01T00:00:00.000Z' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'secfix_session', value: id, url: server.address }]);
    const page = await context.newPage();
    await page.goto(`${server.address}/`);
    await Promise.all([page.waitForURL(/\/suggestions$/), page.click('nav a[href="/suggestions"]')]);
    const row = page.locator('tr', { hasText: 'CVE-2099-2000' });
    expect(await row.textContent()).toContain(PEER);
    expect(await row.textContent()).toContain('vulnerable-code-not-in-execute-path');
    await screenshot(page, 'suggestions');
    expect(await accessibilityViolations(page)).toEqual([]);

    await Promise.all([page.waitForURL(/\/suggestions#suggestion-\d+$/), row.locator('button', { hasText: 'Accept' }).click()]);
    expect(await page.locator('tr', { hasText: 'CVE-2099-2000' }).textContent()).toContain('accepted by sec@example.org');
    expect(await listTriageEvents(store.db, { vulnerabilityId: 'CVE-2099-2000' })).toMatchObject([{ status: 'not-affected', author: `peer:${PEER}`, note: 'only reachable from the shell' }]);
    await context.close();
  });
});
