import { describe, expect, it } from 'vitest';
import type { NotifyPair } from '../base/notify.js';
import { formatCloseNote, formatIssueBody, issueTitle, parseIssueMarkers } from './gitlab-issue.js';

const pair: NotifyPair = {
  origin: 'openssl',
  vulnerabilityId: 'CVE-2024-1234',
  severity: 'HIGH',
  kev: true,
  maintainers: ['Ann <ann@example.org>'],
  branches: [
    { branch: '3.20', repo: 'main', version: '3.3.1-r0', fixedVersion: null, status: 'vulnerable' },
    { branch: 'edge', repo: 'main', version: '3.3.2-r0', fixedVersion: '3.3.3-r0', status: 'affected' },
  ],
  openSince: '2026-01-01T00:00:00.000Z',
};

describe('GitLab issue text', () => {
  it('writes a body whose markers read back as the pair and its open branches', () => {
    const body = formatIssueBody(pair, { vulnerability: (id) => `https://t.example/cve/${id}`, package: (name) => `https://t.example/package/${name}` });
    expect(parseIssueMarkers(body)).toEqual({ origin: 'openssl', vulnerabilityId: 'CVE-2024-1234', recordedOpen: ['3.20/main', 'edge/main'] });
    expect(body).toContain('| 3.20 | main | 3.3.1-r0 | – | vulnerable |');
    expect(body).toContain('severity: high, listed as known exploited (CISA KEV)');
    expect(body).toContain('Maintainer: Ann \\<ann\\@example.org\\>');
    expect(body).toContain('(https://t.example/cve/CVE-2024-1234)');
    expect(issueTitle(pair.origin, pair.vulnerabilityId)).toBe('openssl: CVE-2024-1234');
  });

  it('records no open branch once nothing is open, and reads no marker from an issue written by hand', () => {
    expect(parseIssueMarkers(formatIssueBody({ ...pair, branches: [] }, undefined))?.recordedOpen).toEqual([]);
    expect(parseIssueMarkers('openssl: CVE-2024-1234 is bad')).toBeUndefined();
    expect(parseIssueMarkers('<!-- secfix:openssl:CVE-2024-1234 -->')?.recordedOpen).toBeNull();
  });

  it('shows index text literally: no mention, link, HTML or table break from a maintainer field', () => {
    const body = formatIssueBody({ ...pair, maintainers: ['@root <img src=x> [x](javascript:1) | a'] }, undefined);
    expect(body).toContain('Maintainer: \\@root \\<img src=x\\> \\[x\\]\\(javascript:1\\) \\| a');
    expect(formatCloseNote([{ key: '3.20/main', outcome: 'fixed', detail: 'version 3.3.2-r0' }])).toBe(
      'Closed by secfix: nothing is open on a supported branch any more.\n\n- 3.20/main: fixed (version 3.3.2-r0)\n',
    );
  });
});
