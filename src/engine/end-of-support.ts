/**
 * When each Alpine release branch stopped (or stops) receiving security fixes in `main`: the
 * "End of Support" column of https://alpinelinux.org/releases/. Checked against trivy's table
 * (`aquasecurity/trivy` `pkg/detector/ospkg/alpine/alpine.go`, 3.0–3.19), this repository's
 * `config/alpine.yaml` (3.21, 3.22) and wiki.linux-server-admin.com's Alpine page (3.20–3.23).
 * Used only where the caller has no date, i.e. a scan of secdb files. `edge` is never past
 * support, so it is absent.
 */
const END_OF_SUPPORT: Readonly<Record<string, string>> = {
  '3.0': '2016-05-01',
  '3.1': '2016-11-01',
  '3.2': '2017-05-01',
  '3.3': '2017-11-01',
  '3.4': '2018-05-01',
  '3.5': '2018-11-01',
  '3.6': '2019-05-01',
  '3.7': '2019-11-01',
  '3.8': '2020-05-01',
  '3.9': '2020-11-01',
  '3.10': '2021-05-01',
  '3.11': '2021-11-01',
  '3.12': '2022-05-01',
  '3.13': '2022-11-01',
  '3.14': '2023-05-01',
  '3.15': '2023-11-01',
  '3.16': '2024-05-23',
  '3.17': '2024-11-22',
  '3.18': '2025-05-09',
  '3.19': '2025-11-01',
  '3.20': '2026-04-01',
  '3.21': '2026-11-01',
  '3.22': '2027-05-01',
  '3.23': '2027-11-01',
};

/**
 * The built-in end-of-support date of a branch, or undefined when the table does not know it.
 * Only for a caller that has no date of its own: a scan of secdb files. The tracker's branches
 * carry their date (or none: then they have no end), and that is what counts for them.
 */
export function builtInEndOfSupport(branch: string): string | undefined {
  return Object.hasOwn(END_OF_SUPPORT, branch) ? END_OF_SUPPORT[branch] : undefined;
}

/**
 * The one end-of-support rule: a branch still gets security fixes on `today` (YYYY-MM-DD) when
 * it has no end date (`edge`, or a branch whose date nobody set) or today is not past it: the
 * end day itself is still supported, the day after is not. A pair on an unsupported branch is
 * `end-of-life` (see `resolvePairTriage`), not open.
 */
export function isBranchSupported(endOfSupport: string | null, today: string): boolean {
  return endOfSupport === null || today <= endOfSupport.slice(0, 10);
}

/** Today as `YYYY-MM-DD` (UTC) at `now`: the day every end-of-support decision is taken on. */
export function dayOf(now: Date): string {
  return now.toISOString().slice(0, 10);
}
