/** The representations every resource has. */
export const FORMATS = ['html', 'json', 'jsonld'] as const;
export type Format = (typeof FORMATS)[number];

export const MEDIA_TYPES: Record<Format, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  jsonld: 'application/ld+json; charset=utf-8',
};

const FORMAT_BY_MEDIA_TYPE: Record<string, Format> = {
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/json': 'json',
  'application/ld+json': 'jsonld',
};

interface AcceptEntry {
  readonly type: string;
  readonly quality: number;
  readonly order: number;
}

function parseAccept(header: string): AcceptEntry[] {
  return header
    .split(',')
    .map((part, order) => {
      const [type = '', ...parameters] = part.trim().toLowerCase().split(';');
      const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { type: type.trim(), quality: Number.isFinite(quality) ? quality : 0, order };
    })
    .filter((entry) => entry.type !== '' && entry.quality > 0);
}

/**
 * Picks the representation an Accept header prefers: the highest quality, then the most
 * specific type, then the order written. Wildcards (`*\/*`, `application/*`) get `fallback`
 * or, for `application/*`, JSON. Returns undefined when nothing acceptable is offered.
 */
export function negotiateFormat(accept: string | undefined, fallback: Format): Format | undefined {
  if (accept === undefined || accept.trim() === '') return fallback;
  let best: { format: Format; quality: number; specificity: number; order: number } | undefined;
  for (const entry of parseAccept(accept)) {
    let format: Format | undefined;
    let specificity = 2;
    if (entry.type === '*/*') {
      format = fallback;
      specificity = 0;
    } else if (entry.type === 'application/*') {
      format = fallback === 'html' ? 'json' : fallback;
      specificity = 1;
    } else if (entry.type === 'text/*') {
      format = 'html';
      specificity = 1;
    } else {
      format = FORMAT_BY_MEDIA_TYPE[entry.type];
    }
    if (format === undefined) continue;
    const better =
      best === undefined ||
      entry.quality > best.quality ||
      (entry.quality === best.quality && specificity > best.specificity) ||
      (entry.quality === best.quality && specificity === best.specificity && entry.order < best.order);
    if (better) best = { format, quality: entry.quality, specificity, order: entry.order };
  }
  return best?.format;
}
