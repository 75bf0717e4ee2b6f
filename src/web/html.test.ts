import { describe, expect, it } from 'vitest';
import { Html, html, safeUrl } from './html.js';

describe('html', () => {
  it('escapes interpolated text in content and attributes', () => {
    const hostile = `<script>alert("x")</script>' onload='x`;
    const out = html`<p title="${hostile}">${hostile}</p>`.toString();
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x</p>',
    );
    expect(out).not.toContain('<script>');
  });

  it('keeps nested templates, joins lists and drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.toString()).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
  });

  it('treats only Html instances as markup, not look-alike strings', () => {
    expect(html`${'<b>'}`.toString()).toBe('&lt;b&gt;');
    expect(html`${new Html('<b>')}`.toString()).toBe('<b>');
  });

  it('escapes every special character', () => {
    expect(String(html`${`&<>"'`}`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('lets only http(s) URLs through as links', () => {
    expect(safeUrl('https://nvd.nist.gov/x')).toBe('https://nvd.nist.gov/x');
    expect(safeUrl('HTTP://example.org')).toBe('HTTP://example.org');
    expect(safeUrl('javascript:alert(1)')).toBe('#');
    expect(safeUrl(' javascript:alert(1)')).toBe('#');
    expect(safeUrl('data:text/html,<script>')).toBe('#');
  });
});
