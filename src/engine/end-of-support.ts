/**
 * When each Alpine release branch stopped (or stops) receiving security fixes in `main`: the
 * "End of Support" column of https://alpinelinux.org/releases/. Checked against trivy's table
 * (`aquasecurity/trivy` `pkg/detector/ospkg/alpine/alpine.go`, 3.0–3.19), this repository's
 * `config/alpine.yaml` (3.21, 3.22) and wiki.linux-server-admin.com's Alpine page (3.20–3.23).
 * Used only when the tracker database gives no date, i.e. in secdb-file mode. `edge` is never
 * past support, so it is absent.
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

/** The built-in end-of-support date of a branch, or undefined when the table does not know it. */
export function builtInEndOfSupport(branch: string): string | undefined {
  return Object.hasOwn(END_OF_SUPPORT, branch) ? END_OF_SUPPORT[branch] : undefined;
}

/**
 * Whether a branch still gets security fixes on `today` (YYYY-MM-DD): today is not past its end
 * of support (the tracker's date, else the built-in one), or it has none (`edge`).
 */
export function isBranchSupported(branch: string, endOfSupport: string | null, today: string): boolean {
  const end = endOfSupport ?? builtInEndOfSupport(branch);
  return end === undefined || today <= end.slice(0, 10);
}
