import { describe, expect, it } from 'vitest';
import { parseOsRelease, writeOsRelease } from './os-release.js';

describe('parseOsRelease', () => {
  it("reads an os-release shaped like the one Alpine's alpine-release package ships", () => {
    const text = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\nHOME_URL="https://alpinelinux.org/"\n';
    const variables = parseOsRelease(text);
    // Quotes are syntax, not part of the value.
    expect(variables.get('NAME')).toBe('Alpine Linux');
    expect(variables.get('ID')).toBe('alpine');
    expect(variables.get('VERSION_ID')).toBe('3.20.3');
    expect(variables.get('PRETTY_NAME')).toBe('Alpine Linux v3.20');
  });

  it('unescapes \\" \\$ \\\\ and \\` inside double quotes only (os-release(5))', () => {
    const variables = parseOsRelease('A="say \\"hi\\" \\$HOME \\\\ \\`x\\`"\nB=\'no \\" escapes\'\n');
    expect(variables.get('A')).toBe('say "hi" $HOME \\ `x`');
    expect(variables.get('B')).toBe('no \\" escapes');
  });

  it('skips comments, blank lines and lines that are not assignments', () => {
    const variables = parseOsRelease('# comment\n\ngarbage line\nID=wolfi\n=novalue\n');
    expect([...variables]).toEqual([['ID', 'wolfi']]);
  });
});

describe('writeOsRelease', () => {
  it('quotes and escapes every value so parseOsRelease reads the same values back', () => {
    const variables = new Map([
      ['ID', 'alpine'],
      ['PRETTY_NAME', 'Alpine "Linux" $HOME `x` \\ v3.20'],
    ]);
    const text = writeOsRelease(variables);
    expect(text).toBe('ID="alpine"\nPRETTY_NAME="Alpine \\"Linux\\" \\$HOME \\`x\\` \\\\ v3.20"\n');
    expect(parseOsRelease(text)).toEqual(variables);
  });
});
