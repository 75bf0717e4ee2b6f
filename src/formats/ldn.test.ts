import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../base/input-error.js';
import { TRIAGE_JUSTIFICATIONS } from '../base/triage.js';
import { repoPath } from '../test-support/paths.js';
import {
  AS2_CONTEXT,
  type ExchangeDecision,
  type ExchangeParties,
  announceActivity,
  parseNotificationBody,
  readExchangeMessage,
  replyActivity,
  undoActivity,
} from './ldn.js';

const parties: ExchangeParties = { origin: 'https://a.example', originInbox: 'https://a.example/inbox', target: 'https://b.example', targetInbox: 'https://b.example/inbox' };
const notAffected: ExchangeDecision = { package: 'busybox', vulnerabilityId: 'CVE-2024-1234', status: 'not-affected', justification: 'component-not-present', version: null, note: 'not built' };
const fixed: ExchangeDecision = { package: 'openssl', vulnerabilityId: 'CVE-2024-5678', status: 'fixed', justification: null, version: '3.5.1-r0', note: null };
const at = '2026-12-05T10:00:00.000Z';

/** The OpenVEX statement an Announce of `decision` carries. */
const statementOf = (decision: ExchangeDecision) => announceActivity('urn:x:0', parties, decision, 'x', 'alpine', at)['object'] as Record<string, unknown>;

/** The message a receiver reads from an activity after it went over the wire as JSON. */
const roundTrip = (activity: Record<string, unknown>) => readExchangeMessage(parseNotificationBody(JSON.stringify(activity)));

describe('exchange messages', () => {
  it('an Announce carries the decision as an OpenVEX statement and reads back as the same decision', () => {
    for (const decision of [notAffected, fixed]) {
      const activity = announceActivity('https://a.example/outbox#event-1', parties, decision, 'https://a.example/cve/X', 'alpine', at);
      expect(activity).toMatchObject({ type: 'Announce', context: 'https://a.example/cve/X', actor: { id: 'https://a.example' }, target: { inbox: 'https://b.example/inbox' } });
      expect(roundTrip(activity)).toEqual({ kind: 'proposal', type: 'Announce', id: 'https://a.example/outbox#event-1', actor: 'https://a.example', decision });
    }
  });

  it('writes OpenVEX fields: not_affected with justification and impact statement, fixed with the version in the purl', () => {
    expect(statementOf(notAffected)).toEqual({
      vulnerability: { name: 'CVE-2024-1234' },
      products: [{ '@id': 'pkg:apk/alpine/busybox?arch=source' }],
      timestamp: at,
      status: 'not_affected',
      justification: 'component_not_present',
      impact_statement: 'not built',
    });
    expect(statementOf(fixed)['products']).toEqual([{ '@id': 'pkg:apk/alpine/openssl@3.5.1-r0?arch=source' }]);
  });

  it('reads back every justification OpenVEX names the same way, and the others as the OpenVEX one', () => {
    for (const justification of TRIAGE_JUSTIFICATIONS) {
      const statement = statementOf({ ...notAffected, justification });
      const message = roundTrip({ ...announceActivity('urn:x:1', parties, notAffected, 'x', 'alpine', at), object: statement });
      const read = (message.kind === 'proposal' ? message.decision.justification : undefined)!;
      expect(read.replace(/-/g, '_')).toBe(statement['justification']);
    }
  });

  it('Undo, Accept and Reject name the activity they concern', () => {
    expect(roundTrip(undoActivity('urn:x:2', parties, 'urn:x:1', at))).toEqual({ kind: 'undo', id: 'urn:x:2', actor: 'https://a.example', undoes: 'urn:x:1' });
    expect(roundTrip(replyActivity('Accept', 'urn:x:3', parties, 'urn:x:1', at))).toEqual({ kind: 'reply', type: 'Accept', id: 'urn:x:3', actor: 'https://a.example', inReplyTo: 'urn:x:1' });
    expect(roundTrip(replyActivity('Reject', 'urn:x:4', parties, 'urn:x:1', at))).toMatchObject({ kind: 'reply', type: 'Reject' });
  });

  it('any other JSON-LD is kept as it is (the LDN test suite posts such)', () => {
    const body = '{ "@id": "http://example.net/note#foo", "http://schema.org/citation": { "@id": "http://example.org/article#results" } }';
    expect(readExchangeMessage(parseNotificationBody(body))).toEqual({ kind: 'other', id: 'http://example.net/note#foo', type: null });
  });

  it.each([
    ['an Announce without object', { '@context': AS2_CONTEXT, id: 'urn:1', type: 'Announce', actor: 'https://a.example', context: 'x' }, '$.object'],
    ['an Announce without actor', { '@context': AS2_CONTEXT, id: 'urn:1', type: 'Announce', context: 'x', object: {} }, '$.actor'],
    ['an Undo without object', { '@context': AS2_CONTEXT, id: 'urn:1', type: 'Undo', actor: 'https://a.example' }, '$.object'],
    ['an Accept without inReplyTo', { '@context': AS2_CONTEXT, id: 'urn:1', type: 'Accept', actor: 'https://a.example' }, '$.inReplyTo'],
    ['an affected statement', { ...announceActivity('urn:1', parties, notAffected, 'x', 'alpine', at), object: { ...statementOf(notAffected), status: 'affected' } }, '$.object.status'],
    ['a product that is not an apk purl', { ...announceActivity('urn:1', parties, notAffected, 'x', 'alpine', at), object: { ...statementOf(notAffected), products: [{ '@id': 'pkg:npm/x' }] } }, '$.object.products[0].@id'],
  ])('refuses %s, naming the field', (_case, activity, place) => {
    expect(() => roundTrip(activity)).toThrow(InputError);
    expect(() => roundTrip(activity)).toThrow(place);
  });
});

describe('contexts', () => {
  it('every term of an activity (outside the OpenVEX object) is an ActivityStreams term', () => {
    const as2 = (JSON.parse(readFileSync(repoPath('fixtures', 'jsonld-contexts', 'activitystreams.jsonld'), 'utf8')) as { '@context': Record<string, unknown> })['@context'];
    const activities = [
      announceActivity('urn:1', parties, notAffected, 'x', 'alpine', at),
      undoActivity('urn:2', parties, 'urn:1', at),
      replyActivity('Accept', 'urn:3', parties, 'urn:1', at),
    ];
    for (const activity of activities) {
      const envelope = Object.fromEntries(Object.entries(activity).filter(([key]) => key !== 'object' && key !== '@context'));
      const terms = [...Object.keys(envelope), ...Object.values(envelope).flatMap((value) => (typeof value === 'object' && value !== null ? Object.keys(value) : [])), activity['type'] as string, 'Service'];
      for (const term of terms) expect(as2[term], term).toBeDefined();
    }
  });

  it('allows the AS2, LDP, COAR Notify and OpenVEX contexts and inline ones', () => {
    const body = { '@context': [AS2_CONTEXT, 'https://coar-notify.net', { ex: 'https://example.org/' }], object: { '@context': 'https://openvex.dev/ns/v0.2.0' } };
    expect(parseNotificationBody(JSON.stringify(body))).toEqual(body);
  });

  it('finds a remote context anywhere: top, array, nested, @import', () => {
    const refusal = (document: unknown) => {
      const error = (() => {
        try {
          parseNotificationBody(JSON.stringify(document));
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).problem).toContain('https://evil.example/ctx is not allowed');
      return (error as InputError).place;
    };
    expect(refusal({ '@context': 'https://evil.example/ctx' })).toBe('$.@context');
    expect(refusal({ '@context': [AS2_CONTEXT, 'https://evil.example/ctx'] })).toBe('$.@context');
    expect(refusal([{ object: { '@context': 'https://evil.example/ctx' } }])).toBe('$[0].object.@context');
    expect(refusal({ '@context': { '@import': 'https://evil.example/ctx' } })).toBe('$.@context.@import');
  });

  it('refuses such a notification with an InputError naming the context', () => {
    expect(() => parseNotificationBody('{"@context":"https://evil.example/ctx"}')).toThrow('context https://evil.example/ctx is not allowed');
    expect(() => parseNotificationBody('not json')).toThrow(InputError);
    expect(() => parseNotificationBody('"a string"')).toThrow('a notification is a JSON-LD object');
  });

  it('the LDN test suite\'s expanded notifications pass; its compacted ones name schema.org, which is refused', () => {
    for (const name of ['assessing', 'comment', 'rsvp']) {
      expect(() => parseNotificationBody(readFileSync(repoPath('fixtures', 'ldn-tests', 'inbox-expanded', name), 'utf8'))).not.toThrow();
    }
    expect(() => parseNotificationBody(readFileSync(repoPath('fixtures', 'ldn-tests', 'inbox-compacted', 'citation'), 'utf8'))).toThrow('schema.org');
  });
});
