/**
 * secfix's JSON-LD vocabulary and context. Terms never change meaning: a new meaning gets a new
 * term, and an incompatible context a new versioned URL (`/ns/v2.jsonld`).
 *
 * The vocabulary lives under each tracker's canonical origin (`<base>/ns#`, the base URL or the
 * listen address, never a request's Host) so every term dereferences to the tracker that used it
 * and is the same in all of its answers; a fixed IRI shared by every tracker would need a domain
 * the project does not have. Well-known vocabularies are used where one fits (Dublin Core terms
 * for description and dates, schema.org for names).
 */

/** Where the context is published, relative to the tracker's origin. */
export const CONTEXT_PATH = '/ns/v1.jsonld';
/** Where the vocabulary is published; its terms are `<base>/ns#Term`. */
export const VOCABULARY_PATH = '/ns';

const id = (term: string) => ({ '@id': `sec:${term}`, '@type': '@id' });
const set = (term: string, link = false) => ({ '@id': `sec:${term}`, '@container': '@set', ...(link ? { '@type': '@id' } : {}) });
const dateTime = (iri: string) => ({ '@id': iri, '@type': 'xsd:dateTime' });

/** Classes of the vocabulary, with what each describes (also served as the vocabulary document). */
const CLASSES: Readonly<Record<string, string>> = {
  Tracker: 'A secfix tracker for one distribution.',
  Branch: 'A release branch of the distribution, such as 3.16 or edge.',
  Repository: 'A repository of a branch, such as main or community.',
  Package: 'A source package (origin) of the distribution.',
  PackageVersion: 'A version of a source package published in one repository of one branch.',
  Vulnerability: 'A vulnerability record (CVE, GHSA, ...).',
  CpeMatch: 'One CPE criterion of a vulnerability\'s NVD configuration.',
  VulnerabilityState: 'What the tracker decided for one vulnerability in one package of one repository.',
  Secfix: 'A secfixes line: the package version that fixed a vulnerability in a branch.',
  StateChange: 'A change of a VulnerabilityState, with its cause.',
  Maintainer: 'A package maintainer as the package index names them.',
  QualityFinding: 'A data-quality problem found by `secfix check`.',
  Collection: 'A page of a list of resources.',
};

/** The context document every JSON-LD answer names. */
export function contextDocument(base: string): Record<string, unknown> {
  return {
    '@context': {
      '@version': 1.1,
      '@protected': true,
      sec: `${base}${VOCABULARY_PATH}#`,
      xsd: 'http://www.w3.org/2001/XMLSchema#',
      dcterms: 'http://purl.org/dc/terms/',
      schema: 'https://schema.org/',
      id: '@id',
      type: '@type',
      ...Object.fromEntries(Object.keys(CLASSES).map((name) => [name, `sec:${name}`])),
      name: 'schema:name',
      email: 'schema:email',
      description: 'dcterms:description',
      published: dateTime('dcterms:issued'),
      modified: dateTime('dcterms:modified'),
      distribution: 'sec:distribution',
      branch: id('branch'),
      branches: set('branch', true),
      repository: id('repository'),
      repositories: set('repository', true),
      supported: { '@id': 'sec:supported', '@type': 'xsd:boolean' },
      endOfSupport: { '@id': 'sec:endOfSupport', '@type': 'xsd:date' },
      architectures: set('architecture'),
      counts: { '@id': 'sec:stateCounts', '@type': '@json' },
      package: id('package'),
      packageName: 'sec:packageName',
      version: 'sec:version',
      versions: set('packageVersion', true),
      maintainer: id('maintainer'),
      maintainerName: 'sec:maintainerName',
      orphaned: { '@id': 'sec:orphaned', '@type': 'xsd:boolean' },
      firstSeen: dateTime('sec:firstSeen'),
      lastSeen: dateTime('sec:lastSeen'),
      removed: dateTime('sec:removed'),
      vulnerability: id('vulnerability'),
      vulnerabilities: set('vulnerability', true),
      aliases: set('alias'),
      cvssScore: { '@id': 'sec:cvssScore', '@type': 'xsd:decimal' },
      cvssVector: 'sec:cvssVector',
      cvssVersion: 'sec:cvssVersion',
      severity: 'sec:severity',
      cwe: set('cwe'),
      kev: { '@id': 'sec:knownExploited', '@type': '@json' },
      ssvc: { '@id': 'sec:ssvc', '@type': '@json' },
      references: set('reference', true),
      cpeMatches: set('cpeMatch', true),
      criteria: 'sec:criteria',
      vulnerable: { '@id': 'sec:vulnerable', '@type': 'xsd:boolean' },
      startIncluding: 'sec:versionStartIncluding',
      startExcluding: 'sec:versionStartExcluding',
      endIncluding: 'sec:versionEndIncluding',
      endExcluding: 'sec:versionEndExcluding',
      matchedPackages: set('matchedPackage', true),
      rule: 'sec:matchRule',
      states: set('state', true),
      state: 'sec:stateName',
      fixedVersion: 'sec:fixedVersion',
      evidence: { '@id': 'sec:evidence', '@type': '@json' },
      secfixes: set('secfix', true),
      oldState: 'sec:oldState',
      newState: 'sec:newState',
      changedAt: dateTime('sec:changedAt'),
      cause: 'sec:cause',
      changes: set('change', true),
      problem: 'sec:problem',
      detail: 'sec:detail',
      findings: set('finding', true),
      feed: id('feed'),
      items: { '@id': 'sec:item', '@container': '@list', '@type': '@id' },
      totalItems: { '@id': 'sec:totalItems', '@type': 'xsd:integer' },
      page: { '@id': 'sec:page', '@type': 'xsd:integer' },
      next: id('next'),
      previous: id('previous'),
      query: 'sec:query',
      packageCount: { '@id': 'sec:packageCount', '@type': 'xsd:integer' },
      vulnerableCount: { '@id': 'sec:vulnerableCount', '@type': 'xsd:integer' },
      openCount: { '@id': 'sec:openCount', '@type': 'xsd:integer' },
      exactMatch: id('exactMatch'),
      uncheckedRepositories: set('uncheckedRepository', true),
    },
  };
}

/** The vocabulary as JSON-LD (RDFS): each class with its comment. */
export function vocabularyDocument(base: string): Record<string, unknown> {
  return {
    '@context': { rdfs: 'http://www.w3.org/2000/01/rdf-schema#', sec: `${base}${VOCABULARY_PATH}#` },
    '@id': `${base}${VOCABULARY_PATH}`,
    '@graph': Object.entries(CLASSES).map(([name, comment]) => ({
      '@id': `sec:${name}`,
      '@type': 'rdfs:Class',
      'rdfs:label': name,
      'rdfs:comment': comment,
    })),
  };
}

/** Puts the context reference on a resource's JSON-LD. */
export function withContext(base: string, document: Record<string, unknown>): Record<string, unknown> {
  return { '@context': `${base}${CONTEXT_PATH}`, ...document };
}
