import { describe, expect, it } from 'vitest';
import { compareVersions } from '../version/index.js';
import { compareUpstream, cpeVersionText, normalizeNvdVersion, upstreamVersion } from './upstream-version.js';

describe('upstreamVersion', () => {
  it.each([
    // v3.16 x86_64 APKINDEX: openssh V:9.0_p1-r2, ncurses V:6.3_p20220521-r0.
    ['9.0_p1-r2', '9.0_p1'],
    ['6.3_p20220521-r0', '6.3_p20220521'],
    // v3.17 community secdb key of sudo for CVE-2023-22809.
    ['1.9.12_p2-r0', '1.9.12_p2'],
    // Already upstream (as NVD versions are): unchanged.
    ['5.5', '5.5'],
  ])('%s → %s', (apk, upstream) => {
    expect(upstreamVersion(apk)).toBe(upstream);
  });
});

describe('normalizeNvdVersion', () => {
  it.each([
    // OpenSSH writes its portable releases 8.6p1 (CVE-2023-38408 says "before 9.3p2"); apk writes 8.6_p1.
    ['8.6p1', '8.6_p1'],
    ['9.3p2', '9.3_p2'],
    // sudo's own spelling, which Alpine once used as a secfixes key (v3.16 community `1.9.5p2-r0`).
    ['1.9.5p2', '1.9.5_p2'],
    ['1.2.3-rc1', '1.2.3_rc1'],
    ['1.2.3rc1', '1.2.3_rc1'],
    ['1.2.3-rc.1', '1.2.3_rc1'],
    ['2.0-beta2', '2.0_beta2'],
    ['1.0-alpha', '1.0_alpha'],
    ['1.0-pre1', '1.0_pre1'],
    // Ruby's old patch levels.
    ['1.9.3-p0', '1.9.3_p0'],
    ['4.0-patch10', '4.0_p10'],
    ['V1.2', '1.2'],
    // Already apk versions: OpenSSL letters, an ncurses patch date, leading zeros that apk orders as text.
    ['1.1.1s', '1.1.1s'],
    ['6.4_p20230408', '6.4_p20230408'],
    ['10.01.1', '10.01.1'],
  ])('%s → %s', (nvd, apk) => {
    expect(normalizeNvdVersion(nvd)).toBe(apk);
  });

  it.each([
    ['1.0.0.RELEASE', 'a Java release tag'],
    ['2021-06-30', 'a date with dashes (a real NVD bound in the sample)'],
    ['2.31.1-1', "Cygwin's package release (CVE-2021-29468's bound)"],
    ['1.0.2zh', "OpenSSL's letters past z, two letters apk cannot read"],
    ['3.1.0-snapshot', 'a snapshot tag (real NVD bound)'],
    ['7.0.1-r1456', 'an -rN that would read as an Alpine release'],
    ['build__0144', 'a build number (real NVD bound)'],
    ['0c3ad7f', 'a git hash'],
    ['*', 'ANY'],
    ['-', 'NA'],
  ])('%s has no apk reading: %s', (nvd) => {
    expect(normalizeNvdVersion(nvd)).toBeUndefined();
  });
});

describe('cpeVersionText', () => {
  it('joins the CPE update the way NVD spells the release', () => {
    // CVE-2023-38408 lists cpe:…:openssh:9.3:p1; CVE-2000-0546 cpe:…:kerberos:4.0:patch10.
    expect(normalizeNvdVersion(cpeVersionText('9.3', 'p1'))).toBe('9.3_p1');
    expect(normalizeNvdVersion(cpeVersionText('4.0', 'patch10'))).toBe('4.0_p10');
    expect(cpeVersionText('9.3', undefined)).toBe('9.3');
  });

  it('reads a date-like update as the patch date, as Alpine spells ncurses snapshots', () => {
    // CVE-2023-29491: "ncurses before 6.4 20230408"; v3.16 ships 6.3_p20220521.
    const named = cpeVersionText('6.4', '20230408');
    expect(normalizeNvdVersion(named)).toBe('6.4_p20230408');
    expect(compareUpstream('6.3_p20220521-r1', named)).toBe(-1);
  });
});

describe('compareUpstream', () => {
  it('orders Alpine _p versions against NVD p versions by what they mean', () => {
    // The prior tracker's bug (prior-art §4.3.8): apk alone puts 9.3_p2 below the invalid 9.3p2.
    expect(compareVersions('9.3_p2', '9.3p2')).toBe(-1);
    expect(compareUpstream('9.3_p2-r0', '9.3p2')).toBe(0);
    // v3.16 openssh 9.0_p1-r2 is below the 9.3p2 fix of CVE-2023-38408 and above 8.6.
    expect(compareUpstream('9.0_p1-r2', '9.3p2')).toBe(-1);
    expect(compareUpstream('9.0_p1-r2', '8.6')).toBe(1);
    // A patch release sorts after its base release: 8.6p1 is newer than 8.6.
    expect(compareUpstream('8.6_p1-r3', '8.6')).toBe(1);
  });

  it('compares sudo and ncurses patch levels', () => {
    // CVE-2023-28486: sudo before 1.9.13; v3.17's sudo key 1.9.12_p2-r0 is inside.
    expect(compareUpstream('1.9.12_p2-r0', '1.9.13')).toBe(-1);
    expect(compareUpstream('1.9.12_p2-r0', '1.9.12p2')).toBe(0);
    // CVE-2023-29491: before 6.4; the v3.16 ncurses 6.3_p20220521 is older.
    expect(compareUpstream('6.3_p20220521-r0', '6.4')).toBe(-1);
  });

  it('decides against an unreadable NVD version when its readable start settles the order', () => {
    // CVE-2023-0466 ends a range at 1.0.2zh: 1.1.1s and 3.0.7 are above it whatever "h" means,
    // 1.0.2u below it, and 1.0.2z could be either side.
    expect(compareUpstream('1.1.1s-r0', '1.0.2zh')).toBe(1);
    expect(compareUpstream('3.0.7-r0', '1.0.2zh')).toBe(1);
    expect(compareUpstream('1.0.2u-r0', '1.0.2zh')).toBe(-1);
    expect(compareUpstream('1.0.2z-r0', '1.0.2zh')).toBeUndefined();
    // CVE-2023-0361 names gnutls 3.6.8-11.el8_2 (a RHEL build); v3.16's 3.7.7 is past it.
    expect(compareUpstream('3.7.7-r0', '3.6.8-11.el8_2')).toBe(1);
    // CVE-2021-29468's 2.31.1-1: git 2.31.1 itself could be before or after Cygwin's release 1.
    expect(compareUpstream('2.31.1-r0', '2.31.1-1')).toBeUndefined();
    expect(compareUpstream('20210630-r0', '2021-06-30')).toBeUndefined();
  });

  it('gives no order for a package version apk cannot read', () => {
    // v3.16 x86_64 APKINDEX really has opensmtpd V:6.8.0p2-r4, not a valid apk version.
    expect(compareUpstream('6.8.0p2-r4', '6.8.0')).toBeUndefined();
    expect(compareUpstream('1.2.3-r0', '1.0.0.RELEASE')).toBe(1);
    expect(compareUpstream('1.0.0-r0', '1.0.0.RELEASE')).toBeUndefined();
  });
});
