import { InputError } from '../base/input-error.js';
import { OPENVEX_JUSTIFICATIONS, TRIAGE_JUSTIFICATIONS, type TriageJustification } from '../base/triage.js';
import { OPENVEX_CONTEXT, openVexStatement } from './openvex.js';
import { apkPurl } from './purl.js';

/*
 * Linked Data Notifications between trackers (docs/exchange.md): ActivityStreams 2.0 activities
 * after COAR Notify's patterns. An `Announce` or `Offer` carries one OpenVEX statement (a fix or a
 * not-affected decision) about the vulnerability its `context` names; `Undo` retracts an earlier
 * activity; `Accept` and `Reject` answer one (`inReplyTo`). Parsing never dereferences anything:
 * a context outside the allow-list is refused, not fetched.
 */

export const AS2_CONTEXT = 'https://www.w3.org/ns/activitystreams';
const LDP_CONTEXT = 'http://www.w3.org/ns/ldp';
const COAR_NOTIFY_CONTEXT = 'https://coar-notify.net';
/** The link relation (and predicate) naming a resource's inbox. */
export const LDP_INBOX = 'http://www.w3.org/ns/ldp#inbox';

/** Contexts a notification may name; none is ever fetched (the receiver has what it needs of them). */
const ALLOWED_CONTEXTS: readonly string[] = [AS2_CONTEXT, LDP_CONTEXT, COAR_NOTIFY_CONTEXT, OPENVEX_CONTEXT];

const SOURCE = 'notification';

/** A decision one tracker tells another: the subset of a triage event a statement carries. */
export interface ExchangeDecision {
  readonly package: string;
  readonly vulnerabilityId: string;
  readonly status: 'not-affected' | 'fixed';
  readonly justification: TriageJustification | null;
  readonly version: string | null;
  readonly note: string | null;
}

/** What a received notification means to secfix. */
export type ExchangeMessage =
  | { readonly kind: 'proposal'; readonly type: 'Announce' | 'Offer'; readonly id: string; readonly actor: string; readonly decision: ExchangeDecision }
  | { readonly kind: 'undo'; readonly id: string; readonly actor: string; readonly undoes: string }
  | { readonly kind: 'reply'; readonly type: 'Accept' | 'Reject'; readonly id: string; readonly actor: string; readonly inReplyTo: string }
  /** Any other JSON-LD: stored and listed, but it suggests nothing. */
  | { readonly kind: 'other'; readonly id: string | null; readonly type: string | null };

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The first context (or `@import`) anywhere in the document that is not allow-listed, as the
 * place and IRI; undefined when every context is allowed. Inline context objects are walked too.
 */
function disallowedContext(document: unknown, allowed: readonly string[] = ALLOWED_CONTEXTS, place = '$'): string | undefined {
  if (Array.isArray(document)) {
    for (const [index, item] of document.entries()) {
      const found = disallowedContext(item, allowed, `${place}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isObject(document)) return undefined;
  for (const [key, value] of Object.entries(document)) {
    if ((key === '@context' || key === '@import') && typeof value === 'string' && !allowed.includes(value)) return `${place}.${key}: ${value}`;
    if (key === '@context' && Array.isArray(value)) {
      const remote = value.find((item): item is string => typeof item === 'string' && !allowed.includes(item));
      if (remote !== undefined) return `${place}.@context: ${remote}`;
    }
    const found = disallowedContext(value, allowed, `${place}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A JSON-LD notification body: an object (or an expanded document, an array of one node). */
export function parseNotificationBody(text: string): JsonObject | readonly unknown[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InputError(SOURCE, undefined, `not JSON: ${(error as Error).message}`);
  }
  if (!isObject(document) && !Array.isArray(document)) throw new InputError(SOURCE, '$', 'a notification is a JSON-LD object');
  const remote = disallowedContext(document);
  if (remote !== undefined) throw new InputError(SOURCE, remote.split(': ')[0], `context ${remote.slice(remote.indexOf(': ') + 2)} is not allowed; allowed: ${ALLOWED_CONTEXTS.join(', ')}`);
  return document;
}

const idOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const id = value['id'] ?? value['@id'];
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
};

const typeOf = (node: JsonObject): string | undefined => {
  const type = node['type'] ?? node['@type'];
  return typeof type === 'string' ? type : Array.isArray(type) && typeof type[0] === 'string' ? type[0] : undefined;
};

function required(node: JsonObject, key: string, place: string): string {
  const value = idOf(node[key]);
  if (value === undefined || value === '') throw new InputError(SOURCE, `${place}.${key}`, `missing or not an IRI`);
  return value;
}

const PURL = /^pkg:apk\/[^/?#@]+\/([^/?#@]+)(?:@([^?#]+))?(?:[?#].*)?$/;

/** OpenVEX's label back to secfix's name: the justification OpenVEX names the same way. */
function justificationOf(label: unknown, place: string): TriageJustification {
  const named = TRIAGE_JUSTIFICATIONS.find((name) => OPENVEX_JUSTIFICATIONS[name] === label && name.replace(/-/g, '_') === label);
  if (named === undefined) throw new InputError(SOURCE, place, `unknown OpenVEX justification ${JSON.stringify(label)}`);
  return named;
}

/**
 * The OpenVEX 0.2.0 statement of a decision: the origin package as product (with the fix
 * version when fixed), `not_affected` with its justification and the note as impact statement.
 */
function decisionStatement(decision: ExchangeDecision, namespace: string, timestamp: string): JsonObject {
  const fixed = decision.status === 'fixed';
  return openVexStatement({
    vulnerability: decision.vulnerabilityId,
    timestamp,
    products: [apkPurl(namespace, decision.package, fixed ? decision.version : null, 'source')],
    status: fixed ? 'fixed' : 'not_affected',
    statusNotes: fixed ? decision.note : null,
    justification: fixed || decision.justification === null ? null : OPENVEX_JUSTIFICATIONS[decision.justification],
    impactStatement: fixed ? null : decision.note,
  });
}

/** The decision an OpenVEX statement states; bad shape is an InputError naming the field. */
function decisionOfStatement(statement: unknown, place: string): ExchangeDecision {
  if (!isObject(statement)) throw new InputError(SOURCE, place, 'expected an OpenVEX statement object');
  const vulnerability = statement['vulnerability'];
  const vulnerabilityId = isObject(vulnerability) ? vulnerability['name'] : undefined;
  if (typeof vulnerabilityId !== 'string' || vulnerabilityId === '') throw new InputError(SOURCE, `${place}.vulnerability.name`, 'missing');
  const products = statement['products'];
  if (!Array.isArray(products) || products.length !== 1) throw new InputError(SOURCE, `${place}.products`, 'expected exactly one product');
  const purl = PURL.exec(idOf(products[0]) ?? '');
  if (purl === null) throw new InputError(SOURCE, `${place}.products[0].@id`, 'expected an apk purl, pkg:apk/NAMESPACE/ORIGIN[@VERSION]');
  const pkg = decodeURIComponent(purl[1]!);
  const version = purl[2] === undefined ? null : decodeURIComponent(purl[2]);
  const text = (key: string) => {
    const value = statement[key];
    if (value !== undefined && typeof value !== 'string') throw new InputError(SOURCE, `${place}.${key}`, 'expected a string');
    return value?.trim() || null;
  };
  switch (statement['status']) {
    case 'fixed':
      if (version === null) throw new InputError(SOURCE, `${place}.products[0].@id`, 'a fixed statement names the fix version in the purl');
      return { package: pkg, vulnerabilityId, status: 'fixed', justification: null, version, note: text('status_notes') };
    case 'not_affected':
      return {
        package: pkg,
        vulnerabilityId,
        status: 'not-affected',
        justification: justificationOf(statement['justification'], `${place}.justification`),
        version: null,
        note: text('impact_statement'),
      };
    default:
      throw new InputError(SOURCE, `${place}.status`, 'secfix exchanges fixed and not_affected statements');
  }
}

/** What a parsed notification body means (see ExchangeMessage); a known activity with a bad shape is an InputError. */
export function readExchangeMessage(document: JsonObject | readonly unknown[]): ExchangeMessage {
  if (!isObject(document)) return { kind: 'other', id: null, type: null };
  const type = typeOf(document);
  const id = idOf(document) ?? null;
  if (type === 'Announce' || type === 'Offer' || type === 'Undo' || type === 'Accept' || type === 'Reject') {
    if (id === null || id === '') throw new InputError(SOURCE, '$.id', `an ${type} needs an id`);
    const actor = required(document, 'actor', '$');
    if (type === 'Undo') return { kind: 'undo', id, actor, undoes: required(document, 'object', '$') };
    if (type === 'Accept' || type === 'Reject') return { kind: 'reply', type, id, actor, inReplyTo: required(document, 'inReplyTo', '$') };
    required(document, 'context', '$');
    return { kind: 'proposal', type, id, actor, decision: decisionOfStatement(document['object'], '$.object') };
  }
  return { kind: 'other', id, type: type ?? null };
}

/** Who sends and receives an activity: COAR Notify's `origin` and `target` services. */
export interface ExchangeParties {
  /** The sender's origin, also its actor id. */
  readonly origin: string;
  readonly originInbox: string;
  readonly target: string;
  readonly targetInbox: string;
}

function envelope(type: string, id: string, parties: ExchangeParties, published: string): JsonObject {
  return {
    '@context': [AS2_CONTEXT, COAR_NOTIFY_CONTEXT],
    id,
    type,
    actor: { id: parties.origin, type: 'Service' },
    origin: { id: parties.origin, type: 'Service', inbox: parties.originInbox },
    target: { id: parties.target, type: 'Service', inbox: parties.targetInbox },
    published,
  };
}

/** An `Announce` of a decision: `object` its OpenVEX statement, `context` the vulnerability's IRI. */
export function announceActivity(id: string, parties: ExchangeParties, decision: ExchangeDecision, vulnerabilityIri: string, namespace: string, published: string): JsonObject {
  return { ...envelope('Announce', id, parties, published), context: vulnerabilityIri, object: decisionStatement(decision, namespace, published) };
}

/** An `Undo` retracting the activity `undoes`. */
export function undoActivity(id: string, parties: ExchangeParties, undoes: string, published: string): JsonObject {
  return { ...envelope('Undo', id, parties, published), object: { id: undoes, type: 'Announce' } };
}

/** An `Accept` or `Reject` answering an activity of the target's. */
export function replyActivity(type: 'Accept' | 'Reject', id: string, parties: ExchangeParties, inReplyTo: string, published: string): JsonObject {
  return { ...envelope(type, id, parties, published), inReplyTo, object: { id: inReplyTo } };
}

/** The inbox as an LDP container listing its notifications (`ldp:contains`). */
export function inboxListing(inboxUrl: string, notificationUrls: readonly string[]): JsonObject {
  return { '@context': LDP_CONTEXT, '@id': inboxUrl, '@type': ['ldp:Container', 'ldp:BasicContainer'], contains: [...notificationUrls] };
}
