import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/cli.js';

/* `serve`'s sign-in options are checked before it listens: one line and exit 2 for each mistake. */
describe('serve --oidc-issuer', () => {
  const db = `sqlite:${join(mkdtempSync(join(tmpdir(), 'secfix-serve-oidc-')), 'secfix.db')}`;

  it('refuses an issuer without a client id, a plain-http issuer off loopback, and a non-URL', async () => {
    expect((await runCli(['init', '--db', db])).status).toBe(0);
    const serve = (...flags: string[]) => runCli(['serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--no-log', ...flags]);
    expect(await serve('--oidc-issuer', 'https://gitlab.com')).toMatchObject({ status: 2, stderr: 'secfix: --oidc-issuer and --oidc-client-id go together\n' });
    expect(await serve('--oidc-issuer', 'http://gitlab.example.org', '--oidc-client-id', 'x')).toMatchObject({
      status: 2,
      stderr: 'secfix: --oidc-issuer: the issuer must be https (plain http only on loopback, for testing)\n',
    });
    expect((await serve('--oidc-issuer', 'gitlab', '--oidc-client-id', 'x')).stderr).toBe('secfix: --oidc-issuer: "gitlab" is not a URL\n');
  });
});
