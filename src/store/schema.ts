import type { Generated } from 'kysely';
import type { Evidence, StateName } from '../base/states.js';
import type { TriageJustification, TriageStatus } from '../base/triage.js';
import type { Cve5Affected } from '../formats/cve5.js';
import type { NvdConfiguration } from '../formats/nvd.js';
import type { JsonColumn } from './json-column.js';

/*
 * The typed shape of the database, identical on SQLite and PostgreSQL.
 *
 * Conventions, chosen so both dialects return the same values:
 * - times are ISO-8601 UTC text (`2024-03-01T12:00:00.000Z`), never native timestamp types;
 * - JSON is text (a `JsonColumn` of what it holds), written with `jsonText` and read with
 *   `readJsonColumn` by the query functions, never by SQL;
 * - booleans are integers 0/1;
 * - ids are integers (`bigint` on PostgreSQL, read back as numbers).
 */

/** ISO-8601 UTC time as text. */
export type IsoTime = string;

// The state names are the shared vocabulary's; the store's readers take them from here.
export { STATE_NAMES, type StateName } from '../base/states.js';

/** VEX justifications (CISA "minimum requirements for VEX") a rejection may give. */
export type VexJustification =
  | 'component_not_present'
  | 'vulnerable_code_not_present'
  | 'vulnerable_code_not_in_execute_path'
  | 'vulnerable_code_cannot_be_controlled_by_adversary'
  | 'inline_mitigations_already_exist';

/** Where a secfix entry was read: the published secdb JSON or an aports APKBUILD. */
export type SecfixSource = 'secdb' | 'aports';

/** `running` until the import finishes; `unchanged` when the source was skipped by checksum or ETag. */
export type ImportRunStatus = 'running' | 'ok' | 'failed' | 'unchanged';

/** What an import marked as changed, for `update` to recompute. */
export type DirtyKind = 'package' | 'vulnerability';

interface BranchTable {
  id: Generated<number>;
  name: string;
  end_of_support: string | null;
  created_at: IsoTime;
}

interface RepositoryTable {
  id: Generated<number>;
  branch_id: number;
  name: string;
}

interface BranchArchTable {
  branch_id: number;
  arch: string;
}

/** One origin (source package) per repository. */
interface SourcePackageTable {
  id: Generated<number>;
  repository_id: number;
  name: string;
  maintainer: string | null;
}

/** One row per origin version ever seen in the repository's indexes. */
export interface PackageVersionTable {
  id: Generated<number>;
  source_package_id: number;
  version: string;
  /** Sortable key computed by the version module, so SQL can order versions. */
  version_key: string | null;
  first_seen: IsoTime;
  last_seen: IsoTime;
  /** Set when no index lists the version any more; cleared if it comes back. */
  removed_at: IsoTime | null;
  maintainer: string | null;
  build_time: IsoTime | null;
  commit: string | null;
}

/** A binary package currently listed by one architecture's index. */
export interface BinaryPackageTable {
  id: Generated<number>;
  package_version_id: number;
  name: string;
  arch: string;
}

export interface VulnerabilityTable {
  id: string;
  source: string;
  status: string | null;
  description: string | null;
  published: IsoTime | null;
  last_modified: IsoTime | null;
  cvss_score: number | null;
  cvss_vector: string | null;
  cvss_version: string | null;
  severity: string | null;
  cwes: JsonColumn<readonly string[]>;
  aliases: JsonColumn<readonly string[]>;
  kev: JsonColumn<unknown> | null;
  ssvc: JsonColumn<unknown> | null;
  configurations: JsonColumn<readonly NvdConfiguration[]>;
  /** `[{url, tags}]`, one entry per URL, by URL. */
  reference_list: JsonColumn<readonly { readonly url: string; readonly tags: readonly string[] }[]>;
  content_hash: string;
}

/** The `affected` entries of a vulnerability's CVE 5 record (CNA and ADP containers), as its parser read them. */
export interface Cve5AffectedTable {
  vulnerability_id: string;
  affected: JsonColumn<readonly Cve5Affected[]>;
}

/** One CPE match of a vulnerability's configuration tree, flattened so it can be found by product. */
export interface CpeCriterionTable {
  id: Generated<number>;
  vulnerability_id: string;
  configuration_index: number;
  node_index: number;
  match_index: number;
  vulnerable: number;
  criteria: string;
  vendor: string;
  product: string;
  /** The CPE's target_sw when it names one (`python`, `node.js`, ...), else null. */
  target_sw: string | null;
  version: string;
  start_including: string | null;
  start_excluding: string | null;
  end_including: string | null;
  end_excluding: string | null;
}

interface SecfixTable {
  id: Generated<number>;
  repository_id: number;
  package: string;
  /** The fixed version, or `0` for "never affected". */
  version: string;
  /** Not a foreign key: secfixes name GHSA, ALPINE and other ids NVD does not have. */
  vulnerability_id: string;
  note: string | null;
  source: SecfixSource;
  import_run_id: number | null;
}

export interface RejectionTable {
  id: Generated<number>;
  package: string;
  vulnerability_id: string;
  /** JSON array of branch names; null means every branch. */
  branches: JsonColumn<readonly string[]> | null;
  justification: VexJustification | null;
  rationale: string | null;
  author: string | null;
  created_at: IsoTime;
  source: string;
}

/** One triage decision (append-only: never updated or deleted); `TriageEvent` in src/base/triage.ts explains the fields. */
export interface TriageEventTable {
  id: Generated<number>;
  package: string;
  vulnerability_id: string;
  /** JSON array of branch names, sorted; null means every branch. */
  branches: JsonColumn<readonly string[]> | null;
  status: TriageStatus;
  justification: TriageJustification | null;
  version: string | null;
  note: string | null;
  author: string;
  created_at: IsoTime;
  computed_digests: JsonColumn<Readonly<Record<string, string>>>;
}

export interface StateTable {
  repository_id: number;
  package: string;
  vulnerability_id: string;
  state: StateName;
  version: string | null;
  fixed_version: string | null;
  evidence: JsonColumn<readonly Evidence[]>;
  updated_at: IsoTime;
}

interface StateHistoryTable {
  id: Generated<number>;
  repository_id: number;
  package: string;
  vulnerability_id: string;
  /** Null when the pair first got a state. */
  old_state: StateName | null;
  /** Null when the pair's state was deleted. */
  new_state: StateName | null;
  changed_at: IsoTime;
  cause: string;
}

export interface ImportRunTable {
  id: Generated<number>;
  source: string;
  kind: string;
  checksum: string | null;
  etag: string | null;
  /** The HTTP Last-Modified header of the source, as sent. */
  last_modified: string | null;
  started_at: IsoTime;
  finished_at: IsoTime | null;
  status: ImportRunStatus;
  counts: JsonColumn<Readonly<Record<string, number>>> | null;
  error: string | null;
  duration_ms: number | null;
  /**
   * What the run's data replaces, for sources that replace a whole target: `apkindex:<branch>/<repo>/<arch>`,
   * `secdb:<branch>/<repo>` or `aports:<branch>`. Null for the others and for runs that wrote nothing.
   */
  target: string | null;
}

interface DirtyTable {
  kind: DirtyKind;
  key: string;
}

/** One row (id 1): bumped by every committed write, read by caches to know whether anything changed. */
interface DataVersionTable {
  id: number;
  version: number;
  changed_at: IsoTime;
}

/** A signed-in browser: found by the SHA-256 of its cookie's secret, never by the secret itself. */
interface AuthSessionTable {
  id_hash: string;
  /** The provider's verified address, lower-case. */
  email: string;
  /** The provider's groups (GitLab's `groups_direct`) at sign-in. */
  groups: JsonColumn<readonly string[]>;
  created_at: IsoTime;
  expires_at: IsoTime;
  /** Set by logout (or a newer sign-in in the same browser); such a session signs nobody in. */
  revoked_at: IsoTime | null;
}

/** A sign-in between `/login` and the provider's callback: what the callback must check. */
interface AuthLoginTable {
  state_hash: string;
  code_verifier: string;
  nonce: string;
  /** A same-origin path to go back to. */
  return_to: string;
  expires_at: IsoTime;
}

/** Roles a token or signed-in person may hold (the engine's authorization decides what each may do). */
export type TokenRole = 'maintainer' | 'security-team' | 'admin';

/** An API token for automation; only the SHA-256 of the token is kept. */
interface ApiTokenTable {
  name: string;
  role: TokenRole;
  email: string | null;
  token_hash: string;
  created_at: IsoTime;
  revoked_at: IsoTime | null;
}

/** Append-only: who (`actor`) did what (`action`) to what (`subject`), with details as JSON. */
export interface AuditEventTable {
  id: Generated<number>;
  at: IsoTime;
  actor: string;
  action: string;
  subject: string;
  detail: JsonColumn<Readonly<Record<string, unknown>>> | null;
  /** The origin package and the vulnerability a triage row is about; null for other rows. */
  package: string | null;
  vulnerability_id: string | null;
}

/** How a peer signs its requests: a shared secret (HMAC-SHA256) or an Ed25519 key pair. */
export const PEER_KEY_TYPES = ['hmac-sha256', 'ed25519'] as const;
export type PeerKeyType = (typeof PEER_KEY_TYPES)[number];

/** Another tracker this one exchanges notifications with. */
export interface ExchangePeerTable {
  /** `https://host[:port]`: who the peer is, and the `keyid` its signatures name. */
  origin: string;
  /** Where notifications for the peer are posted. */
  inbox_url: string;
  key_type: PeerKeyType;
  /** The shared secret (base64) or the peer's Ed25519 public key (PEM). */
  key: string;
  added_at: IsoTime;
}

/** A signature nonce a peer used; a second request with it is a replay. */
export interface ExchangeNonceTable {
  peer_origin: string;
  nonce: string;
  created_at: IsoTime;
}

/** A notification a peer posted to the inbox, as received. */
export interface InboxNotificationTable {
  id: string;
  peer_origin: string;
  activity_id: string | null;
  activity_type: string | null;
  received_at: IsoTime;
  body: string;
}

export type SuggestionState = 'open' | 'accepted' | 'dismissed' | 'withdrawn';

/** What a peer's notification proposes for one pair; a person accepts or dismisses it. */
export interface ExchangeSuggestionTable {
  id: Generated<number>;
  notification_id: string;
  peer_origin: string;
  /** The id of the activity that made it, which a later `Undo` names. */
  activity_id: string;
  package: string;
  vulnerability_id: string;
  status: TriageStatus;
  justification: TriageJustification | null;
  version: string | null;
  note: string | null;
  received_at: IsoTime;
  state: SuggestionState;
  decided_at: IsoTime | null;
  decided_by: string | null;
  /** The triage event an accept recorded. */
  triage_event_id: number | null;
}

export type OutboxState = 'pending' | 'sent' | 'failed';

/** One activity to deliver to one peer, kept (with each attempt's result) until delivered. */
export interface OutboxEntryTable {
  id: Generated<number>;
  peer_origin: string;
  /** The triage event it tells of (an Announce or Undo); null for a reply. */
  triage_event_id: number | null;
  /** An answer to the peer's activity `in_reply_to`. */
  reply: 'Accept' | 'Reject' | null;
  in_reply_to: string | null;
  created_at: IsoTime;
  state: OutboxState;
  attempts: Generated<number>;
  next_attempt_at: IsoTime;
  last_attempt_at: IsoTime | null;
  last_status: number | null;
  last_result: string | null;
  /** The `Location` the peer's inbox answered. */
  location: string | null;
  /** The peer's answer to what was sent (after a person there decided on the suggestion it made). */
  answer: 'Accept' | 'Reject' | null;
}

/** What a page shows that depends only on the data, built once for one data version (see queries/summaries.ts). */
export interface PageSummaryTable {
  name: string;
  /** The data version the body was built from; a body of another version is not shown. */
  data_version: number;
  built_at: IsoTime;
  body: JsonColumn<unknown>;
}

export interface Schema {
  branch: BranchTable;
  repository: RepositoryTable;
  branch_arch: BranchArchTable;
  source_package: SourcePackageTable;
  package_version: PackageVersionTable;
  binary_package: BinaryPackageTable;
  vulnerability: VulnerabilityTable;
  cpe_criterion: CpeCriterionTable;
  cve5_affected: Cve5AffectedTable;
  secfix: SecfixTable;
  rejection: RejectionTable;
  triage_event: TriageEventTable;
  state: StateTable;
  state_history: StateHistoryTable;
  import_run: ImportRunTable;
  dirty: DirtyTable;
  data_version: DataVersionTable;
  auth_session: AuthSessionTable;
  auth_login: AuthLoginTable;
  api_token: ApiTokenTable;
  audit_event: AuditEventTable;
  exchange_peer: ExchangePeerTable;
  exchange_nonce: ExchangeNonceTable;
  inbox_notification: InboxNotificationTable;
  exchange_suggestion: ExchangeSuggestionTable;
  outbox_entry: OutboxEntryTable;
  page_summary: PageSummaryTable;
}
