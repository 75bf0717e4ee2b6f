import type { IndexedOriginVersion } from '../queries/packages.js';
import type { VulnerabilityRecord } from '../queries/vulnerabilities.js';

/** An NVD vulnerability record of which nothing is known but what `known` gives. */
export function vulnerabilityRecord(id: string, known: Partial<VulnerabilityRecord> = {}): VulnerabilityRecord {
  return {
    id,
    source: 'nvd',
    status: null,
    description: null,
    published: null,
    lastModified: null,
    cvssScore: null,
    cvssVector: null,
    cvssVersion: null,
    severity: null,
    cwes: [],
    aliases: [],
    kev: null,
    ssvc: null,
    configurations: [],
    references: [],
    criteria: [],
    ...known,
  };
}

/** An index entry of origin `name` with one binary of the same name, and nothing else known but what `known` gives. */
export function indexedOrigin(name: string, version: string, known: Partial<IndexedOriginVersion> = {}): IndexedOriginVersion {
  return { origin: name, version, versionKey: null, maintainer: null, buildTime: null, commit: null, binaries: [name], ...known };
}
