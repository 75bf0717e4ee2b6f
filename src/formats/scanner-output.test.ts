import { describe, expect, it } from 'vitest';
import { inputErrorFrom } from '../test-support/input-errors.js';
import { parseScannerOutput } from './scanner-output.js';

describe('parseScannerOutput', () => {
  it('reads secfix scan JSON: one finding per binary and id, a fix only for an upgrade', () => {
    const json = {
      target: { kind: 'rootfs' },
      findings: [
        { kind: 'upgrade', origin: 'openssl', installedVersion: '3.0.8-r0', packages: [{ name: 'libcrypto3' }, { name: 'libssl3' }], vulnerabilities: [{ id: 'CVE-1', fixedVersion: '3.0.8-r1' }] },
        { kind: 'fix-not-published', origin: 'xz', installedVersion: '5.6-r0', packages: [{ name: 'xz' }], vulnerabilities: [{ id: 'CVE-2', fixedVersion: '5.6-r1' }] },
        { kind: 'unfixed', origin: 'xz', installedVersion: '5.6-r0', packages: [{ name: 'xz' }], vulnerabilities: [{ id: 'CVE-3', state: 'vulnerable', fixedVersion: null }] },
      ],
    };
    expect(parseScannerOutput(JSON.stringify(json), 'out')).toEqual({
      format: 'secfix-json',
      findings: [
        { package: 'libcrypto3', installedVersion: '3.0.8-r0', vulnerability: 'CVE-1', fixedVersion: '3.0.8-r1' },
        { package: 'libssl3', installedVersion: '3.0.8-r0', vulnerability: 'CVE-1', fixedVersion: '3.0.8-r1' },
        { package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-2', fixedVersion: null },
        { package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-3', fixedVersion: null },
      ],
    });
  });

  it('reads SARIF 2.1.0 results: ruleId, and packages or package, installedVersion, fixedVersion from properties', () => {
    const sarif = {
      version: '2.1.0',
      runs: [
        {
          results: [
            { ruleId: 'CVE-1', properties: { packages: ['libcrypto3'], installedVersion: '3.0.8-r0', fixedVersion: '3.0.8-r1' } },
            { ruleId: 'CVE-2', properties: { package: 'xz', installedVersion: '5.6-r0' } },
            { ruleId: 'CVE-3', properties: { kind: 'fix-not-published', packages: ['xz'], installedVersion: '5.6-r0', fixedVersion: '5.6-r1' } },
          ],
        },
        { results: [] },
      ],
    };
    expect(parseScannerOutput(JSON.stringify(sarif), 'out').findings).toEqual([
      { package: 'libcrypto3', installedVersion: '3.0.8-r0', vulnerability: 'CVE-1', fixedVersion: '3.0.8-r1' },
      { package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-2', fixedVersion: null },
      { package: 'xz', installedVersion: '5.6-r0', vulnerability: 'CVE-3', fixedVersion: null },
    ]);
  });

  it('names the run and the place of what it cannot read', () => {
    const place = (text: string) => {
      const error = inputErrorFrom(() => parseScannerOutput(text, 'out'));
      return [error.source, error.place, error.problem.split(':')[0]];
    };
    expect(place('no findings')).toEqual(['out', undefined, 'not JSON (expected SARIF 2.1.0 or secfix scan --format json)']);
    expect(place('{"version":"2.1.0"}')).toEqual(['out', '$', 'neither a SARIF 2.1.0 log (version "2.1.0", runs) nor secfix scan JSON (findings)']);
    expect(place('{"version":"2.1.0","runs":[{"results":[{"ruleId":"CVE-1"}]}]}')).toEqual(['out', '$.runs[0].results[0].properties', 'names no package']);
  });
});
