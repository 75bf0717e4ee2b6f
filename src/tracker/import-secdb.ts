import { packageNameProblem, repositoryNameProblem } from '../formats/names.js';
import { parseSecdb } from '../formats/secdb.js';
import type { SecfixVersion } from '../formats/secfix-id.js';
import type { DownloadOptions } from '../sources/acquire.js';
import { readInput, readInputBytes } from '../sources/file.js';
import { openPublication } from '../sources/publication.js';
import { type SecfixEntry, type Store, ensureBranch, ensureRepository, markDirty, replaceSecfixes } from '../store/index.js';
import { type ImportSummary, prepareFile, qualifiedSource, refuseBadName, refuseUnknownBranch, runImport } from './import-run.js';
import { packageDirtyKey } from './dirty-keys.js';

export interface SecdbImportOptions {
  /** A secdb JSON document (`https://secdb.alpinelinux.org/<branch>/<repo>.json`), path or URL. */
  readonly location: string;
  /** Retries, size cap and interruption of a URL's download. */
  readonly download?: DownloadOptions | undefined;
  /** Checks the file's raw bytes before they are read (a published folder's checksum); throws to refuse them. */
  readonly check?: ((bytes: Buffer) => void) | undefined;
}

/** The secfix rows of one package's `version: [ids]` lists, `0` (never affected) included. */
export function secfixEntries(pkg: string, secfixes: readonly SecfixVersion[]): SecfixEntry[] {
  return secfixes.flatMap(({ version, ids }) =>
    ids.map((id) => ({ package: pkg, version, vulnerabilityId: id.id, note: id.note ?? null })),
  );
}

function checked(bytes: Buffer, check: (bytes: Buffer) => void): Buffer {
  check(bytes);
  return bytes;
}

/**
 * Imports a secdb document as the complete secdb secfixes of its repository; the branch
 * (`distroversion`) and repository (`reponame`) come from the file and are created if new.
 * Packages whose secfixes changed are marked dirty as `package` `${branch}:${package}`.
 */
export function importSecdb(store: Store, options: SecdbImportOptions): Promise<ImportSummary> {
  const { location } = options;
  return runImport(store, { kind: 'secdb', location, runSource: qualifiedSource(location, []) }, (previous) =>
    prepareFile({ kind: 'secdb', location, download: options.download }, previous, async (path) => {
      const { check } = options;
      const document = parseSecdb(check === undefined ? await readInput(path) : checked(await readInputBytes(path), check), location);
      refuseBadName(repositoryNameProblem(document.repo), location, '$.reponame');
      document.packages.forEach((pkg, index) => refuseBadName(packageNameProblem(pkg.name), location, `$.packages[${index}].pkg.name`));
      const entries = document.packages.flatMap((pkg) => secfixEntries(pkg.name, pkg.secfixes));
      return async (db, importRunId) => {
        await refuseUnknownBranch(db, document.branch, location);
        const repositoryId = await ensureRepository(db, await ensureBranch(db, document.branch), document.repo);
        const result = await replaceSecfixes(db, { repositoryId, source: 'secdb' }, entries, importRunId);
        await markDirty(db, 'package', result.changedPackages.map((pkg) => packageDirtyKey(document.branch, pkg)));
        const counts = {
          packages: document.packages.length,
          secfixes: entries.length,
          added: result.added,
          removed: result.removed,
          changedPackages: result.changedPackages.length,
          warnings: document.warnings.length,
        };
        // The file replaces every secdb secfix of its repository.
        return { counts, target: `secdb:${document.branch}/${document.repo}` };
      };
    }),
  );
}

export interface PublishedSecdbImportOptions {
  /** A published folder (`secfix publish`): a local folder or a URL ending in `/`. */
  readonly publication: string;
  readonly branch: string;
  readonly repo: string;
  /** Folder of trusted public keys: the publication's signature must verify with one. Without it only the checksums are checked. */
  readonly keysDir?: string | undefined;
  readonly download?: DownloadOptions | undefined;
}

/**
 * Imports one branch's repository from a published folder: its `secdb/<branch>/<repo>.json`,
 * refused unless it matches the publication's checksums and (with keys) its signature verifies.
 */
export async function importPublishedSecdb(store: Store, options: PublishedSecdbImportOptions): Promise<ImportSummary> {
  const publication = await openPublication(options.publication, { keysDir: options.keysDir, download: options.download });
  const path = `secdb/${options.branch}/${options.repo}.json`;
  return importSecdb(store, { location: publication.locate(path), download: options.download, check: (bytes) => publication.check(path, bytes) });
}
