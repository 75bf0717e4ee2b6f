import { describe, expect, it } from 'vitest';
import { ResponseCache } from './response-cache.js';

describe('response cache', () => {
  it('renders a format offered from loaded data only when first asked for, then keeps the body', () => {
    const cache = new ResponseCache(10, 1_000_000);
    let renders = 0;
    cache.set('json', {
      dataVersion: 1,
      contentType: 'application/json',
      render: () => {
        renders += 1;
        return '{"a":1}';
      },
    });
    expect(renders).toBe(0);
    expect(cache.get('json', 1)?.body.toString()).toBe('{"a":1}');
    expect(cache.get('json', 1)?.contentType).toBe('application/json');
    expect(renders).toBe(1);
    // A newer data version never renders the old data.
    expect(cache.get('json', 2)).toBeUndefined();
    expect(renders).toBe(1);
  });

  it('drops an offered format that fails to render, so its request renders it itself', () => {
    const cache = new ResponseCache(10, 1_000_000);
    cache.set('html', {
      dataVersion: 1,
      contentType: 'text/html',
      render: () => {
        throw new Error('see /elsewhere');
      },
    });
    expect(cache.get('html', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
