/**
 * The template layer: a tagged template that escapes every interpolated value unless it is
 * already `Html` (the output of another `html` template). Escaping is the default and cannot be
 * forgotten; the one way to insert markup is to build it with `html` too.
 */

/** Markup known to be safe: produced by `html` from escaped parts. */
export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

/** What a template may interpolate: text is escaped, `Html` kept, lists joined, nothing for null/undefined/false. */
export type HtmlValue = Html | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** `html\`<p>${text}</p>\``: builds markup, escaping every value that is not `Html`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] as string;
  for (let index = 0; index < values.length; index += 1) {
    out += render(values[index]) + (strings[index + 1] as string);
  }
  return new Html(out);
}

/** Link targets from data (references, CPE vendors' sites) only when they are http(s); anything else becomes inert. */
export function safeUrl(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '#';
}
