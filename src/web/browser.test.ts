import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestStore, openTestStore } from '../test-support/databases.js';
import { listen } from './listen.js';
import { type AccessibilityViolation, accessibilityViolations, launchBrowser, screenshot } from './test-support/browser.js';

type RunningServer = Awaited<ReturnType<typeof listen>>;

/**
 * The tracker in a real browser (Debian's chromium through playwright-core), over a real server
 * on loopback with the demo data: the path a person takes, with no console errors and no
 * accessibility violations, and screenshots of the main pages in test-results/screenshots.
 */
describe('in a browser', () => {
  let store: TestStore;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  beforeAll(async () => {
    store = await openTestStore('sqlite', { contents: 'demo' });
    server = await listen(store, { port: 0, host: '127.0.0.1', site: { distribution: 'Alpine Linux (sample data)' }, rateLimitPerMinute: false });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  /** A page that records console errors, script errors, failed requests and error answers. */
  async function openPage(): Promise<Page> {
    const page = await context.newPage();
    // A console error such as "Failed to load resource" names its URL only in its location.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url || page.url()})`);
    });
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'no reason given'})`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
    });
    return page;
  }

  async function expectAccessible(page: Page): Promise<void> {
    const violations: AccessibilityViolation[] = await accessibilityViolations(page);
    expect(violations, `${page.url()}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  }

  it('goes from home to a branch, filters, opens a CVE, searches and follows a feed', async () => {
    const page = await openPage();
    await page.goto(`${server.address}/`);
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h1').textContent()).toContain('Alpine Linux (sample data)');
    expect(await page.locator('figure.chart > svg').count()).toBe(1);
    await screenshot(page, 'home');
    await expectAccessible(page);

    // The keyboard reaches the skip link first, and it leads to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Skip to content');

    await page.click('main a[href="/branch/3.16"]');
    await page.waitForURL(/\/branch\/3\.16$/);
    expect(await page.locator('h1').textContent()).toContain('3.16');
    await page.selectOption('select[name="repo"]', 'main');
    await Promise.all([page.waitForURL(/repo=main/), page.locator('form:has(select[name="repo"]) button[type="submit"]').click()]);
    const cveLinks = page.locator('main a[href^="/cve/"]');
    expect(await cveLinks.count()).toBeGreaterThan(0);
    await screenshot(page, 'branch');
    await expectAccessible(page);

    const cveHref = (await cveLinks.first().getAttribute('href'))!;
    await cveLinks.first().click();
    await page.waitForURL((url) => url.pathname === cveHref);
    expect(await page.locator('h1').textContent()).toContain(decodeURIComponent(cveHref.slice('/cve/'.length)));
    await screenshot(page, 'cve');
    await expectAccessible(page);

    await page.fill('#site-search', 'busybox');
    await Promise.all([page.waitForURL(/\/package\/busybox$/), page.press('#site-search', 'Enter')]);
    expect(await page.locator('h1').textContent()).toContain('busybox');
    await expectAccessible(page);

    await page.goto(`${server.address}/`);
    const feedHref = (await page.locator('a[type="application/atom+xml"]').first().getAttribute('href'))!;
    const feed = await page.goto(new URL(feedHref, server.address).toString());
    expect(feed?.headers()['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(await feed?.text()).toContain('<feed xmlns="http://www.w3.org/2005/Atom"');

    expect(problems).toEqual([]);
  }, 120_000);

  it('shows the audit log, my work, the orphan list and a maintainer page without accessibility problems', async () => {
    const page = await openPage();
    await page.goto(`${server.address}/maintainers`);
    const maintainerHref = await page.locator('main table tbody a').first().getAttribute('href');
    for (const path of ['/audit', '/audit?package=busybox', '/me', '/orphans', maintainerHref ?? '/maintainers']) {
      await page.goto(new URL(path, server.address).toString());
      expect(await page.locator('h1').count(), path).toBe(1);
      await expectAccessible(page);
    }
    expect(problems).toEqual([]);
  });

  it('serves the icon the pages link, and leads /favicon.ico (which feeds make browsers ask for) to it', async () => {
    const page = await openPage();
    await page.goto(`${server.address}/`);
    const icon = (await page.locator('link[rel="icon"]').getAttribute('href'))!;
    for (const path of [icon, '/favicon.ico']) {
      const response = await page.goto(new URL(path, server.address).toString());
      expect(response?.status(), path).toBe(200);
      expect(response?.headers()['content-type'], path).toBe('image/svg+xml');
      expect(response?.url(), path).toBe(new URL(icon, server.address).toString());
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a CVE id it does not track as a 404 page saying so, with the links to look it up elsewhere', async () => {
    const page = await openPage();
    const url = `${server.address}/cve/CVE-2099-12345`;
    const response = await page.goto(url);
    expect(response?.status()).toBe(404);
    expect(await page.locator('main').textContent()).toContain('CVE-2099-12345 is not tracked here');
    expect(await page.locator('main a[href="https://nvd.nist.gov/vuln/detail/CVE-2099-12345"]').count()).toBe(1);
    await screenshot(page, 'cve-not-tracked');
    await expectAccessible(page);
    // The browser reports the page's own 404 (as a response and a console error); nothing else may fail.
    const reported = problems.splice(0);
    expect(reported.length).toBeGreaterThan(0);
    for (const problem of reported) expect(problem).toContain(url);
  }, 60_000);

  it('lays the pages out for a phone without horizontal scrolling of the page', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
    try {
      const page = await phone.newPage();
      await page.goto(`${server.address}/branch/3.16`);
      const overflow = await page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(page, 'branch-phone');
    } finally {
      await phone.close();
    }
  }, 60_000);
});
