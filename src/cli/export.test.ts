import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CsafDocument } from '../formats/csaf.js';
import { parseSecdb } from '../formats/secdb.js';
import { parseSecurityIndex } from '../formats/security-index.js';
import { type TestStore, backends, openTestStore } from '../test-support/databases.js';
import { runCli } from '../test-support/cli.js';
import { csafValidator } from '../test-support/json-schema.js';

const validCsaf = csafValidator();

/* `secfix export secdb|security-index|osv|openvex|csaf|states` through the command line, on the demo data of both databases. */

describe.each(backends)('%s secfix export', (backend) => {
  let store: TestStore;
  const dir = mkdtempSync(join(tmpdir(), `secfix-cli-export-${backend}-`));
  const db = () => ['--db', store.url];
  beforeAll(async () => {
    store = await openTestStore(backend, { contents: 'demo' });
  });
  afterAll(() => store.close());

  it('writes a secdb to a file, the same bytes as to standard output', async () => {
    const out = join(dir, 'main.json');
    expect(await runCli(['export', 'secdb', '--branch', 'v3.16', '--repo', 'main', '--out', out, ...db()])).toEqual({ status: 0, stdout: '', stderr: '' });
    const printed = await runCli(['export', 'secdb', '--branch', '3.16', '--repo', 'main', ...db()]);
    expect(printed.stdout).toBe(readFileSync(out, 'utf8'));
    expect(parseSecdb(printed.stdout, out).packages.length).toBeGreaterThan(10);
  });

  it('writes the security index of one architecture, the same bytes to a file as to standard output', async () => {
    const out = join(dir, 'security-index.json');
    expect(await runCli(['export', 'security-index', '--branch', '3.16', '--arch', 'x86_64', '--out', out, ...db()])).toEqual({ status: 0, stdout: '', stderr: '' });
    const printed = await runCli(['export', 'security-index', '--branch', 'v3.16', '--arch', 'x86_64', ...db()]);
    expect(printed.stdout).toBe(readFileSync(out, 'utf8'));
    const document = parseSecurityIndex(printed.stdout, out);
    expect(document).toMatchObject({ branch: '3.16', arch: 'x86_64' });
    expect(document.packages.size).toBeGreaterThan(10);
  });

  it('writes the OSV folder with its index, and the same records on a second run', async () => {
    const out = join(dir, 'osv');
    const first = await runCli(['export', 'osv', out, '--base-url', 'https://security.example.org/', ...db()]);
    expect(first.status).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'all.json'), 'utf8')) as { id: string }[];
    expect(first.stderr).toBe(`wrote ${index.length} OSV records to ${out}\n`);
    expect(readdirSync(out)).toHaveLength(index.length + 1);
    const record = readFileSync(join(out, `${index[0]!.id}.json`), 'utf8');
    expect(record).toContain('https://security.example.org/cve/');
    await runCli(['export', 'osv', out, '--base-url', 'https://security.example.org/', ...db()]);
    expect(readFileSync(join(out, `${index[0]!.id}.json`), 'utf8')).toBe(record);
  });

  it('writes the CSAF folder: valid documents named by the CSAF rule, the index and changes, the same bytes on a second run', async () => {
    const out = join(dir, 'csaf');
    const config = join(dir, 'secfix.yaml');
    writeFileSync(config, 'distribution: Example Linux\n');
    const argv = ['export', 'csaf', '--config', config, '--base-url', 'https://security.example.org/', '--out', out, ...db()];
    const first = await runCli(argv);
    const files = readFileSync(join(out, 'index.txt'), 'utf8').split('\n').slice(0, -1);
    expect(first).toEqual({ status: 0, stdout: '', stderr: `wrote ${files.length} CSAF documents to ${out}\n` });
    expect(files).toContain('cve-2022-37434.json');
    expect(readdirSync(out)).toHaveLength(files.length + 2);
    const text = readFileSync(join(out, 'cve-2022-37434.json'), 'utf8');
    const document = JSON.parse(text) as CsafDocument;
    expect(validCsaf(document), JSON.stringify(validCsaf.errors)).toBe(true);
    expect(document.document.publisher).toEqual({ category: 'vendor', name: 'Example Linux', namespace: 'https://security.example.org' });
    expect(document.document.references).toEqual([{ category: 'external', summary: 'CVE-2022-37434 in the Example Linux security tracker', url: 'https://security.example.org/cve/CVE-2022-37434' }]);
    expect(document.product_tree.branches[0]!.name).toBe('Example Linux');
    expect(document.vulnerabilities[0]!.cve).toBe('CVE-2022-37434');
    await runCli(argv);
    expect(readFileSync(join(out, 'cve-2022-37434.json'), 'utf8')).toBe(text);
  });

  it('prints OpenVEX and the states table as CSV or JSON', async () => {
    const vex = await runCli(['export', 'openvex', '--branch', '3.16', ...db()]);
    expect(JSON.parse(vex.stdout)).toMatchObject({ '@context': 'https://openvex.dev/ns/v0.2.0' });
    const csv = await runCli(['export', 'states', '--branch', '3.16', '--state', 'fixed', ...db()]);
    const json = await runCli(['export', 'states', '--branch', '3.16', '--state', 'fixed', '--format', 'json', ...db()]);
    const rows = JSON.parse(json.stdout) as { state: string }[];
    expect(rows.every((row) => row.state === 'fixed')).toBe(true);
    expect(csv.stdout.trimEnd().split('\r\n')).toHaveLength(rows.length + 1);
  });

  it.each([
    [['secdb', '--branch', '9.99', '--repo', 'main'], 'secfix: --branch: unknown branch "9.99"\n'],
    [['security-index', '--branch', '3.16', '--arch', 'mips'], 'secfix: --arch: branch 3.16 has no architecture "mips"'],
    [['osv', 'x', '--prefix', 'alpine'], 'secfix: --prefix: "alpine" is not an OSV id prefix'],
    [['states', '--format', 'xml'], 'secfix: option \'--format <f>\' argument \'xml\' is invalid'],
  ])('exits 2 with one line for bad input: %o', async (argv, message) => {
    const result = await runCli(['export', ...argv, ...db()]);
    expect(result.status).toBe(2);
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
