import { writeStates } from '../../store/index.js';
import type { TestStore } from '../../test-support/databases.js';
import { demoRepositoryId } from './web-fixture.js';

/** The attack texts `seedHostileChange` stores. */
export interface HostileChange {
  readonly vulnerabilityId: string;
  /** Stored as the description, CVSS vector, CWE, reference tags, secfix evidence and cause of the change. */
  readonly text: string;
  readonly package: string;
  readonly maintainer: string;
  readonly referenceUrls: readonly string[];
  /** When the package's state changed; later than the demo data's changes makes it the newest. */
  readonly changedAt: string;
}

/**
 * To a copy of the demo data, adds in 3.16/main a package with a vulnerable state whose vulnerability,
 * references, maintainer, evidence and change cause carry `hostile`'s texts.
 */
export async function seedHostileChange(store: TestStore, hostile: HostileChange): Promise<void> {
  const repositoryId = await demoRepositoryId(store, '3.16', 'main');
  await store.db
    .insertInto('vulnerability')
    .values({
      id: hostile.vulnerabilityId,
      source: 'nvd',
      status: 'Analyzed',
      description: hostile.text,
      published: '2099-01-01T00:00:00.000Z',
      last_modified: '2099-01-02T00:00:00.000Z',
      cvss_score: 9.8,
      cvss_vector: hostile.text,
      cvss_version: '3.1',
      severity: 'CRITICAL',
      cwes: JSON.stringify([hostile.text]),
      aliases: JSON.stringify([]),
      kev: null,
      ssvc: null,
      configurations: JSON.stringify([]),
      reference_list: JSON.stringify(hostile.referenceUrls.map((url) => ({ url, tags: [hostile.text] }))),
      content_hash: 'hostile',
    })
    .execute();
  const sourcePackage = await store.db
    .insertInto('source_package')
    .values({ repository_id: repositoryId, name: hostile.package, maintainer: hostile.maintainer })
    .returning('id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('package_version')
    .values({
      source_package_id: sourcePackage.id,
      version: '1.0-r0',
      version_key: null,
      first_seen: hostile.changedAt,
      last_seen: hostile.changedAt,
      removed_at: null,
      maintainer: hostile.maintainer,
      build_time: null,
      commit: null,
    })
    .execute();
  const evidence = [{ kind: 'secfix', repo: 'main', version: '1.0-r1', text: hostile.text }] as const;
  await writeStates(
    store.db,
    [{ repositoryId, package: hostile.package, vulnerabilityId: hostile.vulnerabilityId, state: 'vulnerable', version: '1.0-r0', fixedVersion: null, evidence }],
    { cause: hostile.text, at: hostile.changedAt },
  );
}
