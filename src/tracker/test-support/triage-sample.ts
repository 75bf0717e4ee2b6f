import type { Kysely } from 'kysely';
import { type Schema, ensureBranch, ensureRepository, replaceIndexSnapshot, upsertVulnerabilities, writeStates } from '../../store/index.js';
import { indexedOrigin, vulnerabilityRecord } from '../../store/test-support/records.js';

/**
 * Branch 3.16 main with openssl (maintained by Ann) and curl, and three computed-vulnerable
 * pairs that differ in urgency: CVE-2023-0001 low but known exploited, CVE-2023-38545 critical,
 * CVE-2019-0190 high (the mod_ssl bug NVD ties to openssl).
 */
export async function addTriageSample(db: Kysely<Schema>): Promise<void> {
  const main = await ensureRepository(db, await ensureBranch(db, '3.16'), 'main');
  await replaceIndexSnapshot(db, {
    repositoryId: main,
    arch: 'x86_64',
    packages: [indexedOrigin('openssl', '1.1.1q-r0', { maintainer: 'Ann <ann@example.org>' }), indexedOrigin('curl', '8.3.0-r0')],
    at: '2026-01-01T00:00:00.000Z',
  });
  await upsertVulnerabilities(db, [
    vulnerabilityRecord('CVE-2019-0190', { severity: 'HIGH', published: '2019-01-30T00:00:00.000Z' }),
    vulnerabilityRecord('CVE-2023-38545', { severity: 'CRITICAL', published: '2023-10-18T00:00:00.000Z' }),
    vulnerabilityRecord('CVE-2023-0001', { severity: 'LOW', published: '2023-01-01T00:00:00.000Z', kev: { dateAdded: '2023-02-01' } }),
  ]);
  const vulnerable = (pkg: string, id: string) => ({
    repositoryId: main,
    package: pkg,
    vulnerabilityId: id,
    state: 'vulnerable' as const,
    version: pkg === 'curl' ? '8.3.0-r0' : '1.1.1q-r0',
    fixedVersion: null,
    evidence: [],
  });
  await writeStates(db, [vulnerable('openssl', 'CVE-2019-0190'), vulnerable('curl', 'CVE-2023-38545'), vulnerable('curl', 'CVE-2023-0001')], { cause: 'test' });
}
