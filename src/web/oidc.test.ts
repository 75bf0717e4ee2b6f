import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestStore, openTestStore } from '../test-support/databases.js';
import { listen } from './listen.js';
import { accessibilityViolations, launchBrowser, screenshot } from './test-support/browser.js';
import { type TestProvider, startTestProvider } from './test-support/oidc-provider.js';

type RunningServer = Awaited<ReturnType<typeof listen>>;

/** A CVE of the demo data with vulnerable pairs. */
const TRIAGED_CVE = 'CVE-2023-42363';
const JANE = { sub: 'jane', email: 'Jane@Example.org', email_verified: true, groups_direct: ['alpine/security'] };

/**
 * The whole sign-in in Debian's chromium: secfix and a real OpenID provider (oidc-provider, shaped
 * like GitLab) on loopback, the code flow with PKCE, state and nonce through real redirects, the
 * session cookie, /api/me, logout with the CSRF token, and a provider that does not vouch for
 * the address.
 */
describe('sign-in with OpenID Connect in a browser', () => {
  let store: TestStore;
  let server: RunningServer;
  let provider: TestProvider;
  let browser: Browser;

  beforeAll(async () => {
    store = await openTestStore('sqlite', { contents: 'demo' });
    provider = await startTestProvider(() => `${server.address}/auth/callback`);
    server = await listen(store, {
      port: 0,
      host: '127.0.0.1',
      site: { distribution: 'Test OS' },
      rateLimitPerMinute: false,
      auth: {
        oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret },
        roles: { securityTeam: { emails: [], groups: ['alpine/security'] }, admins: { emails: [], groups: [] } },
      },
    });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await provider?.close();
    await store?.dispose();
  });

  it('signs in from a page, shows the user in /api/me, and logs out', async () => {
    provider.signInAs(JANE);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.address}/changes`);
      await Promise.all([page.waitForURL(`${server.address}/changes`), page.click('text=Sign in')]);
      const session = (await context.cookies(server.address)).find((cookie) => cookie.name === 'secfix_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
      await screenshot(page, 'signed-in');

      const me = await page.goto(`${server.address}/api/me`);
      const identity = (await me!.json()) as { role: string; email: string; via: string; groups: string[]; csrfToken: string };
      expect(identity).toMatchObject({ role: 'security-team', email: 'jane@example.org', via: 'session', groups: ['alpine/security'] });

      // A second sign-in in the same browser gets a new session id and ends the first.
      await page.goto(`${server.address}/login?return=/api/me`);
      const rotated = (await context.cookies(server.address)).find((cookie) => cookie.name === 'secfix_session');
      expect(rotated?.value).not.toBe(session?.value);

      // Without the form's CSRF token, logging out is refused.
      expect((await context.request.post(`${server.address}/logout`, { form: {}, maxRedirects: 0 })).status()).toBe(403);
      await page.goto(`${server.address}/changes`);
      expect(await page.textContent('header .account')).toContain('Signed in as jane@example.org');
      await Promise.all([page.waitForURL(`${server.address}/`), page.click('header .account button')]);
      expect(await page.textContent('header .account')).toContain('Sign in');
      expect(((await (await page.goto(`${server.address}/api/me`))!.json()) as { role: string }).role).toBe('anonymous');
      // The session is revoked in the store, not only forgotten by the browser.
      const rows = await store.db.selectFrom('auth_session').select('revoked_at').execute();
      expect(rows.map((row) => row.revoked_at === null)).toEqual([false, false]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('triages a CVE from its page, shows it on the branch page, and logs out', async () => {
    provider.signInAs(JANE);
    const context = await browser.newContext();
    try {
      const states = ((await (await context.request.get(`${server.address}/api/cve/${TRIAGED_CVE}`)).json()) as { states: { branch: string; package: string; state: string }[] }).states;
      const pair = states.find((state) => state.state === 'vulnerable');
      if (pair === undefined) throw new Error(`the demo data has no vulnerable pair of ${TRIAGED_CVE}`);
      const page = await context.newPage();
      await page.goto(`${server.address}/cve/${TRIAGED_CVE}`);
      expect(await page.locator('form.triage').count()).toBe(0);
      await Promise.all([page.waitForURL(`${server.address}/cve/${TRIAGED_CVE}`), page.click('text=Sign in')]);

      expect(await accessibilityViolations(page)).toEqual([]);
      const form = page.locator(`form[aria-label="Triage ${pair.package}"]`);
      await form.locator('select[name=status]').selectOption('not-affected');
      await form.locator('select[name=justification]').selectOption('vulnerable-code-not-in-execute-path');
      await form.locator('textarea[name=note]').fill('the applet is not built');
      await form.locator(`input[name=branch][value="${pair.branch}"]`).check();
      await Promise.all([page.waitForURL(new RegExp(`/cve/${TRIAGED_CVE}#triage-event-\\d+$`)), form.locator('button[type=submit]').click()]);
      expect(await page.textContent('#triage-history + .table-scroll')).toContain('the applet is not built');
      await screenshot(page, 'triaged');

      await page.goto(`${server.address}/branch/${pair.branch}`);
      expect(await page.textContent('main')).toContain('triage rules: not-affected');
      await page.goto(`${server.address}/triage`);
      expect(await page.locator('input[name=pair]').count()).toBeGreaterThan(0);
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, 'triage-queue');
      await Promise.all([page.waitForURL(`${server.address}/`), page.click('header .account button')]);
      expect(await page.textContent('header .account')).toContain('Sign in');
    } finally {
      await context.close();
    }
  }, 120_000);

  it('refuses a sign-in whose e-mail the provider has not verified', async () => {
    provider.signInAs({ ...JANE, sub: 'max', email: 'max@example.org', email_verified: false });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`${server.address}/login?return=/`);
      expect(response?.status()).toBe(403);
      expect(await page.textContent('main')).toContain('email_verified');
      expect((await context.cookies(server.address)).some((cookie) => cookie.name === 'secfix_session')).toBe(false);
    } finally {
      await context.close();
    }
  }, 120_000);
});
