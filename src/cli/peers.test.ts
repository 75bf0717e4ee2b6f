import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseNotificationBody, readExchangeMessage } from '../formats/ldn.js';
import { runCli } from '../test-support/cli.js';
import { backends, useTestStore } from '../test-support/databases.js';
import { type RecordingInbox, startRecordingInbox } from '../tracker/test-support/recording-inbox.js';
import { addTriageSample } from '../tracker/test-support/triage-sample.js';

/* `peers add|list|remove|flush` in-process on an SQLite file: keys checked, never printed. */
describe('secfix peers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secfix-peers-'));
  const db = `sqlite:${join(dir, 'secfix.db')}`;
  const secret = randomBytes(32).toString('base64');
  writeFileSync(join(dir, 'b.key'), `${secret}\n`);
  writeFileSync(join(dir, 'short.key'), randomBytes(8).toString('base64'));
  writeFileSync(join(dir, 'c.pub.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'rsa.pub.pem'), generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }));

  it('adds, lists and removes peers', async () => {
    expect((await runCli(['init', '--db', db])).status).toBe(0);
    expect(await runCli(['peers', 'add', 'https://b.example', '--inbox', 'https://b.example/inbox', '--hmac-key-file', join(dir, 'b.key'), '--db', db])).toMatchObject({
      status: 0,
      stdout: 'secfix: peer https://b.example (inbox https://b.example/inbox, hmac-sha256) saved\n',
    });
    expect((await runCli(['peers', 'add', 'https://c.example', '--inbox', 'https://c.example/inbox', '--public-key-file', join(dir, 'c.pub.pem'), '--db', db])).status).toBe(0);
    const listed = await runCli(['peers', 'list', '--json', '--db', db]);
    expect(JSON.parse(listed.stdout)).toEqual([
      { origin: 'https://b.example', inbox: 'https://b.example/inbox', keyType: 'hmac-sha256', addedAt: expect.any(String) as string },
      { origin: 'https://c.example', inbox: 'https://c.example/inbox', keyType: 'ed25519', addedAt: expect.any(String) as string },
    ]);
    expect(listed.stdout).not.toContain(secret);
    expect(await runCli(['peers', 'remove', 'https://c.example', '--db', db])).toMatchObject({ status: 0, stdout: 'secfix: peer https://c.example removed\n' });
    expect(await runCli(['peers', 'remove', 'https://c.example', '--db', db])).toMatchObject({ status: 2, stderr: 'secfix: no peer https://c.example\n' });
    expect(await runCli(['peers', 'flush', '--base-url', 'https://a.example', '--db', db])).toMatchObject({ status: 0, stdout: 'secfix: outbox: 0 sent, 0 to retry, 0 failed\n' });
  });

  it.each([
    ['a path in the origin', ['https://b.example/x', '--inbox', 'https://b.example/inbox', '--hmac-key-file', 'b.key'], 'origin'],
    ['a short shared key', ['https://b.example', '--inbox', 'https://b.example/inbox', '--hmac-key-file', 'short.key'], 'at least 32 bytes'],
    ['an RSA public key', ['https://b.example', '--inbox', 'https://b.example/inbox', '--public-key-file', 'rsa.pub.pem'], 'not an Ed25519 key'],
    ['no key', ['https://b.example', '--inbox', 'https://b.example/inbox'], 'exactly one of'],
    ['a missing key file', ['https://b.example', '--inbox', 'https://b.example/inbox', '--hmac-key-file', 'none.key'], 'no such file'],
    ['an inbox that is not http', ['https://b.example', '--inbox', 'file:///etc/passwd', '--hmac-key-file', 'b.key'], 'inbox'],
  ])('refuses %s with exit 2', async (_case, args, message) => {
    const argv = args.map((arg) => (arg.endsWith('.key') || arg.endsWith('.pem') ? join(dir, arg) : arg));
    const run = await runCli(['peers', 'add', ...argv, '--db', db]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

/* `triage set` queues for the peers and `peers flush` delivers, to a loopback inbox, on both databases. */
describe.each(backends)('%s triage set, then peers flush', (backend) => {
  const store = useTestStore(backend);
  const dir = mkdtempSync(join(tmpdir(), `secfix-peers-flush-${backend}-`));
  writeFileSync(join(dir, 'peer.key'), randomBytes(32).toString('base64'));
  let inbox: RecordingInbox;
  beforeAll(async () => {
    inbox = await startRecordingInbox();
  });
  afterAll(() => inbox.close());
  beforeEach(() => addTriageSample(store().db));

  it('announces a decision made on the command line and undoes its withdrawal', async () => {
    const db = ['--db', store().url];
    expect((await runCli(['peers', 'add', new URL(inbox.url).origin, '--inbox', inbox.url, '--hmac-key-file', join(dir, 'peer.key'), ...db])).status).toBe(0);
    const set = (...args: string[]) => runCli(['triage', 'set', 'openssl', 'CVE-2019-0190', ...args, '--author', 'ann@example.org', ...db]);
    expect((await set('not-affected', '--justification', 'component-not-present')).status).toBe(0);
    expect(await runCli(['peers', 'flush', '--base-url', 'https://a.example', ...db])).toMatchObject({ status: 0, stdout: 'secfix: outbox: 1 sent, 0 to retry, 0 failed\n' });
    expect((await set('withdrawn')).status).toBe(0);
    expect((await runCli(['peers', 'flush', '--base-url', 'https://a.example', ...db])).stdout).toBe('secfix: outbox: 1 sent, 0 to retry, 0 failed\n');
    const [announce, undo] = inbox.received.map((request) => readExchangeMessage(parseNotificationBody(request.body)));
    expect(announce).toMatchObject({ kind: 'proposal', actor: 'https://a.example', decision: { package: 'openssl', vulnerabilityId: 'CVE-2019-0190', status: 'not-affected' } });
    expect(undo).toMatchObject({ kind: 'undo', undoes: announce!.id });
  });
});
