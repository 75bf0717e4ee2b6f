import { describe, expect, it } from 'vitest';
import { InputError } from '../base/input-error.js';
import { parseNvdMeta } from './nvd-meta.js';

// The example .meta file in /work/shared/reference/formats.md section 5.1, with its CRLF line ends.
const EXAMPLE = [
  'lastModifiedDate:2026-01-19T16:00:01-05:00',
  'size:15114674',
  'zipSize:1674794',
  'gzSize:1674650',
  'sha256:482399306951B6FF9E00E3EC72A7EED8D927FB2DB4F4E61F2D6218CF67133CC0',
  '',
].join('\r\n');

function metaError(text: string): InputError {
  try {
    parseNvdMeta(text, 'nvdcve-2.0-2024.meta');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseNvdMeta', () => {
  it('reads the formats.md example', () => {
    expect(parseNvdMeta(Buffer.from(EXAMPLE), 'example.meta')).toEqual({
      lastModified: '2026-01-19T21:00:01.000Z', // 16:00:01 at -05:00
      size: 15114674,
      zipSize: 1674794,
      gzSize: 1674650,
      sha256: '482399306951b6ff9e00e3ec72a7eed8d927fb2db4f4e61f2d6218cf67133cc0',
    });
  });

  it('accepts LF line ends and ignores unknown keys', () => {
    expect(parseNvdMeta(`${EXAMPLE.replaceAll('\r\n', '\n')}extra:1\n`, 'lf.meta').size).toBe(15114674);
  });

  it('names the line of a bad entry', () => {
    expect(metaError(EXAMPLE.replace('size:15114674', 'size 15114674'))).toMatchObject({ place: 'line 2', problem: 'expected "key:value"' });
    expect(metaError(EXAMPLE.replace('gzSize:1674650', 'gzSize:-1'))).toMatchObject({ place: 'line 4', problem: 'gzSize is not a byte count' });
    expect(metaError(EXAMPLE.replace('CC0', 'CC'))).toMatchObject({ place: 'line 5', problem: 'sha256 is not 64 hex digits' });
    expect(metaError(EXAMPLE.replace('2026-01-19T16', '2026-02-30T16'))).toMatchObject({ place: 'line 1' });
    expect(metaError(`${EXAMPLE}size:1\r\n`)).toMatchObject({ place: 'line 6', problem: '"size" given twice' });
  });

  it('requires every key', () => {
    expect(metaError(EXAMPLE.replace(/sha256:.*\r\n/, ''))).toMatchObject({ place: undefined, problem: 'no "sha256" line' });
    expect(metaError('')).toMatchObject({ problem: 'no "lastModifiedDate" line' });
  });
});
