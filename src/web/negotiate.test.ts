import { describe, expect, it } from 'vitest';
import { negotiateFormat } from './negotiate.js';

describe('negotiateFormat', () => {
  it('uses the fallback without an Accept header or for */*', () => {
    expect(negotiateFormat(undefined, 'html')).toBe('html');
    expect(negotiateFormat('', 'json')).toBe('json');
    expect(negotiateFormat('*/*', 'json')).toBe('json');
  });

  it('reads the media types of each representation', () => {
    expect(negotiateFormat('application/json', 'html')).toBe('json');
    expect(negotiateFormat('application/ld+json', 'html')).toBe('jsonld');
    expect(negotiateFormat('text/html', 'json')).toBe('html');
  });

  it('prefers quality, then specificity, then order', () => {
    expect(negotiateFormat('application/json;q=0.5, application/ld+json', 'html')).toBe('jsonld');
    expect(negotiateFormat('*/*, application/json', 'html')).toBe('json');
    expect(negotiateFormat('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json')).toBe('html');
    expect(negotiateFormat('application/ld+json, application/json', 'html')).toBe('jsonld');
  });

  it('returns undefined when nothing offered is acceptable', () => {
    expect(negotiateFormat('image/png', 'html')).toBeUndefined();
    expect(negotiateFormat('application/json;q=0', 'html')).toBeUndefined();
  });
});
