import type { StateName } from '../../base/states.js';

/*
 * Hand-derived states for v3.16 main of the real sample (data/alpine-sample): the x86_64 APKINDEX
 * (what the repo publishes), the v3.16 secdb (main and community), every NVD record of the sample,
 * and the bundled Alpine mapping rules (config/alpine-mapping.yaml). Each row says why. The engine
 * test checks them on plain data; the tracker test checks the same rows through the importers,
 * the store and `update`, on SQLite and PostgreSQL.
 */

/** The sample has no rejections file, so the one rejection of the table is written here. */
export const V316_REJECTIONS_YAML = `# written for this test

python3:
  # tarfile extracting outside the target is documented behaviour; callers must filter
  - CVE-2007-4559
`;

export interface ExpectedPair {
  readonly package: string;
  readonly cve: string;
  readonly state: StateName;
  readonly fixedVersion: string | null;
  readonly why: string;
}

// Published versions are the v3.16 x86_64 APKINDEX's; "line" means the package's own v3.16 secfixes line.
export const V316_MAIN_EXPECTED: readonly ExpectedPair[] = [
  // Fixed by a secfix the published version reaches.
  { package: 'openssl', cve: 'CVE-2022-2097', state: 'fixed', fixedVersion: '1.1.1q-r0', why: 'line 1.1.1q-r0; published 1.1.1s-r0 is newer' },
  { package: 'openssl3', cve: 'CVE-2022-3602', state: 'fixed', fixedVersion: '3.0.7-r0', why: 'line 3.0.7-r0 is exactly the published 3.0.7-r0' },
  { package: 'libxml2', cve: 'CVE-2022-40304', state: 'fixed', fixedVersion: '2.9.14-r2', why: 'line 2.9.14-r2 equals the published version' },
  { package: 'expat', cve: 'CVE-2022-43680', state: 'fixed', fixedVersion: '2.5.0-r0', why: 'line 2.5.0-r0 equals the published version' },
  { package: 'curl', cve: 'CVE-2021-22945', state: 'fixed', fixedVersion: '7.79.0-r0', why: 'line 7.79.0-r0; published 7.83.1-r4' },
  { package: 'busybox', cve: 'CVE-2021-42374', state: 'fixed', fixedVersion: '1.34.0-r0', why: 'line 1.34.0-r0 (NVD 2.0 record); published 1.35.0-r17' },
  { package: 'ncurses', cve: 'CVE-2021-39537', state: 'fixed', fixedVersion: '6.2_p20200530-r0', why: 'line 6.2_p20200530-r0 is below the published 6.3_p20220521-r0' },
  { package: 'apache2', cve: 'CVE-2019-0190', state: 'fixed', fixedVersion: '2.4.38-r0', why: 'line 2.4.38-r0; published 2.4.54-r0' },
  { package: 'squid', cve: 'CVE-2022-41318', state: 'fixed', fixedVersion: '5.2-r1', why: 'a backport: NVD says 2.5 to before 5.7, which holds 5.5, but the line 5.2-r1 is below the published 5.5-r0' },
  // A fix is recorded but the index is older.
  { package: 'busybox', cve: 'CVE-2023-42366', state: 'vulnerable', fixedVersion: '1.35.0-r18', why: 'line 1.35.0-r18; published 1.35.0-r17 (no NVD record in the sample)' },
  { package: 'openssl', cve: 'CVE-2023-0286', state: 'vulnerable', fixedVersion: '1.1.1t-r0', why: 'line 1.1.1t-r0 is above the published 1.1.1s-r0' },
  { package: 'openssl3', cve: 'CVE-2023-3817', state: 'vulnerable', fixedVersion: '3.0.11-r0', why: "its own line 3.0.11-r0 is above 3.0.7-r0; openssl's line 1.1.1v-r0 is another package's" },
  { package: 'curl', cve: 'CVE-2023-38545', state: 'vulnerable', fixedVersion: '8.4.0-r0', why: 'line 8.4.0-r0; published 7.83.1-r4' },
  { package: 'openssh', cve: 'CVE-2023-38408', state: 'vulnerable', fixedVersion: '9.0_p1-r4', why: 'line 9.0_p1-r4; published 9.0_p1-r2' },
  { package: 'openssh', cve: 'CVE-2023-48795', state: 'vulnerable', fixedVersion: '9.0_p1-r5', why: 'line 9.0_p1-r5; published 9.0_p1-r2' },
  { package: 'ncurses', cve: 'CVE-2023-29491', state: 'vulnerable', fixedVersion: '6.3_p20220521-r1', why: 'line 6.3_p20220521-r1; published 6.3_p20220521-r0' },
  { package: 'libssh2', cve: 'CVE-2023-48795', state: 'vulnerable', fixedVersion: '1.11.0-r0', why: 'line 1.11.0-r0; published 1.10.0-r2' },
  { package: 'postgresql14', cve: 'CVE-2023-5868', state: 'vulnerable', fixedVersion: '14.10-r0', why: 'line 14.10-r0; published 14.5-r0' },
  { package: 'perl', cve: 'CVE-2023-47038', state: 'vulnerable', fixedVersion: '5.34.2-r0', why: 'NVD names only perl 5.34.0 (below 5.34.1), but the line 5.34.2-r0 is above the published 5.34.1-r0' },
  // A fix line for a bug NVD says came after the published version: an upgrade record.
  { package: 'curl', cve: 'CVE-2023-27537', state: 'not-affected', fixedVersion: '8.0.1-r0', why: 'NVD names only libcurl 7.88.0 and 7.88.1, which 7.83.1 predates and the line 8.0.1-r0 is past' },
  { package: 'curl', cve: 'CVE-2023-38039', state: 'not-affected', fixedVersion: '8.3.0-r0', why: 'NVD: 7.84.0 <= v < 8.3.0; 7.83.1 predates the bug, the line 8.3.0-r0 is the upgrade' },
  { package: 'postgresql14', cve: 'CVE-2023-39418', state: 'not-affected', fixedVersion: '14.9-r0', why: 'NVD: 15.0 <= v < 15.4 (MERGE came in 15); the line 14.9-r0 is an upgrade record' },
  { package: 'samba', cve: 'CVE-2022-37967', state: 'vulnerable', fixedVersion: '4.15.13-r0', why: "NVD's 4.15 range reads > 4.15.13 with no end, a slip for < 4.15.13: an open range never overrides the line" },
  { package: 'gnutls', cve: 'CVE-2023-0361', state: 'vulnerable', fixedVersion: '3.7.7-r1', why: 'NVD names only a RHEL build (after 3.7.7 by its order), but the line 3.7.7-r1 decides' },
  // Listed under 0: not affected, whatever NVD says.
  { package: 'zlib', cve: 'CVE-2023-45853', state: 'not-affected', fixedVersion: null, why: 'line under 0; NVD alone (<= 1.3) would hold 1.2.12' },
  { package: 'openssl', cve: 'CVE-2022-1292', state: 'not-affected', fixedVersion: null, why: 'line under 0' },
  { package: 'curl', cve: 'CVE-2021-22897', state: 'not-affected', fixedVersion: null, why: 'line under 0' },
  { package: 'bind', cve: 'CVE-2019-6470', state: 'not-affected', fixedVersion: null, why: 'line under 0; NVD alone (>= 9.11.2, no end) would hold 9.16.33' },
  { package: 'tar', cve: 'CVE-2021-32804', state: 'not-affected', fixedVersion: null, why: "line under 0; NVD's criterion is tar_project:tar (node-tar), which the rules keep from GNU tar" },
  { package: 'git', cve: 'CVE-2021-29468', state: 'not-affected', fixedVersion: null, why: "line under 0; NVD's criterion is cygwin:git, another vendor's git" },
  // No secfix line: NVD decides.
  { package: 'krb5', cve: 'CVE-2000-0546', state: 'fixed', fixedVersion: null, why: "mit:kerberos < 4.0 is Kerberos 4's numbering, outside the rule's line <4; the kerberos_5 criteria (1.0 to 1.0.7, 1.1, 1.1.1) end before 1.19.4" },
  { package: 'openssh', cve: 'CVE-2007-2768', state: 'vulnerable', fixedVersion: null, why: 'openbsd:openssh with no version and no bounds: every version' },
  { package: 'cups', cve: 'CVE-2008-1033', state: 'not-affected', fixedVersion: null, why: 'apple:cups every version AND a vulnerable:false Mac OS X platform, which an apk distribution is not' },
  { package: 'openssl', cve: 'CVE-2019-0190', state: 'vulnerable', fixedVersion: null, why: 'openssl >= 1.1.1 with no end holds 1.1.1s' },
  { package: 'openssl3', cve: 'CVE-2019-0190', state: 'vulnerable', fixedVersion: null, why: 'the same unbounded range holds 3.0.7, reached as a versioned origin' },
  { package: 'openssl', cve: 'CVE-2023-0466', state: 'vulnerable', fixedVersion: null, why: '1.1.1 <= 1.1.1s < 1.1.1u; the 1.0.2zh end of another range is read as far as it can be' },
  { package: 'dropbear', cve: 'CVE-2023-48795', state: 'vulnerable', fixedVersion: null, why: 'dropbear_ssh reaches binary dropbear-ssh of origin dropbear; 2022.82 < 2022.83' },
  { package: 'xz', cve: 'CVE-2020-22916', state: 'vulnerable', fixedVersion: null, why: 'NVD names exactly 5.2.5, the upstream part of 5.2.5-r1' },
  { package: 'python3', cve: 'CVE-2023-24329', state: 'vulnerable', fixedVersion: null, why: 'python:python reaches python3 as a versioned origin; 3.10.0 <= 3.10.8 < 3.10.12' },
  { package: 'postgresql13', cve: 'CVE-2023-5868', state: 'vulnerable', fixedVersion: null, why: 'no secdb entry for postgresql13; 13.0 <= 13.8 < 13.13' },
  { package: 'vim', cve: 'CVE-2023-2426', state: 'vulnerable', fixedVersion: null, why: '8.2.5000 < 9.0.1499' },
  { package: 'nodejs', cve: 'CVE-2021-3450', state: 'fixed', fixedVersion: null, why: "NVD's node.js ranges end at 15.14.0 at the latest; 16.17.1 is past them all (fixed upstream)" },
  { package: 'pcre2', cve: 'CVE-2017-7186', state: 'fixed', fixedVersion: null, why: "NVD names pcre2 10.23 exactly; 10.40 is past it. pcre:pcre 8.40 goes to pcre only, by the rules" },
  { package: 'busybox', cve: 'CVE-2023-42363', state: 'unknown', fixedVersion: null, why: 'NVD names only the exact 1.36.1; being older than an exact version proves nothing (v3.17 fixes it in 1.35.0-r31: NVD under-specifies), so unknown, not not-affected' },
  { package: 'curl', cve: 'CVE-2023-32001', state: 'not-affected', fixedVersion: null, why: 'libcurl 7.84.0 to 8.1.2; 7.83.1 is before the range' },
  { package: 'openssl', cve: 'CVE-2022-1473', state: 'not-affected', fixedVersion: null, why: 'only 3.0.0 to before 3.0.3 (openssl3 has the line); 1.1.1s is before it' },
  // A rejection, and an unknown.
  { package: 'python3', cve: 'CVE-2007-4559', state: 'rejected', fixedVersion: null, why: 'the rejection above; NVD alone (3.10.0 to before 3.10.12) would say vulnerable' },
  { package: 'sudo', cve: 'CVE-2021-3156', state: 'unknown', fixedVersion: '1.9.5p2-r0', why: 'the community line 1.9.5p2-r0 is not an apk version, and v3.16 main publishes no sudo' },
];
