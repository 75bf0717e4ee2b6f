import { describe, expect, it } from 'vitest';
import { inputErrorFromAsync } from '../test-support/input-errors.js';
import { repoPath } from '../test-support/paths.js';
import { loadConfig, loadMappingRules } from './config.js';

describe('loadConfig', () => {
  it('resolves the demo configuration against data/ and reads its mapping file', async () => {
    const config = await loadConfig(repoPath('data', 'demo.yaml'));
    expect(config.keys).toBe(repoPath('data', 'alpine-sample', 'keys'));
    expect(config.branches[0]!.repositories[0]!.index).toBe(repoPath('data', 'alpine-sample', 'apkindex', 'v3.17-main-{arch}', 'APKINDEX.tar.gz'));
    expect(config.nvd[0]).toBe(repoPath('data', 'alpine-sample', 'nvd', 'feed-1.1', 'nvdcve-1.1-2000.json'));
    expect(config.mappingFile).toBe(repoPath('config', 'alpine-mapping.yaml'));
    expect(config.mapping.vendors.curl).toEqual(['haxx']);
  });

  it('leaves URLs alone', async () => {
    const config = await loadConfig(repoPath('config', 'alpine.yaml'));
    expect(config.branches[0]!.repositories[0]!.secdb).toBe('https://secdb.alpinelinux.org/edge/main.json');
    expect(config.keys).toBe('/etc/apk/keys');
  });

  it('names a missing configuration file', async () => {
    expect((await inputErrorFromAsync(() => loadConfig('/nonexistent/secfix.yaml'))).problem).toBe('no such file');
  });
});

describe('loadMappingRules', () => {
  it('defaults to the bundled Alpine rules', async () => {
    const rules = await loadMappingRules();
    expect(rules).toEqual(await loadMappingRules(repoPath('config', 'alpine-mapping.yaml')));
    expect(rules.products.length).toBeGreaterThan(10);
  });
});
